/**
 * Sign-in in a real browser (Debian's Chromium through playwright-core) against `faas-grip-local` as `npm start`
 * runs it: the local identity provider signs in the typed name (authorization code with PKCE), the chat names each
 * user by the token, and the private channel `staff` (alice and bob) refuses a third user, on both transports.
 */
import type { Page } from 'playwright-core';
import { findPushpin } from '../../local/grip/pushpin';
import { chromiumMissingReason, launchBrowser, type TestBrowser } from '../helpers/browser';
import { lines, seeLine, submit, PAGE_WAIT_MS as WAIT_MS } from '../helpers/chat-page';
import { bundleLocalCommand, type LocalCommand, startLocalCommand, waitForLine } from '../helpers/local-command';

const inCi = process.env.CI === 'true';
const chromiumMissing = chromiumMissingReason();
const pushpinMissing = findPushpin() === undefined ? 'pushpin is not installed (apt-get install pushpin)' : undefined;
if (inCi && (chromiumMissing || pushpinMissing)) {
  test('chromium and pushpin are installed (required under CI)', () => {
    throw new Error([chromiumMissing, pushpinMissing].filter(Boolean).join('; '));
  });
}

describe.each([
  ['native', chromiumMissing],
  ['grip', chromiumMissing ?? pushpinMissing],
])('signed-in chat on %s', (transport, missing) => {
  const skipped = Boolean(missing) && !inCi;
  if (skipped) console.warn(`skipping the browser sign-in tests on ${transport}: ${missing}`);
  const run = skipped ? test.skip : test;
  let command: LocalCommand | undefined;
  let browser: TestBrowser | undefined;
  let pageUrl = '';
  const pages: Record<string, Page> = {};

  const signIn = async (name: string) => {
    const page = await browser!.context.newPage();
    await page.goto(pageUrl);
    await page.waitForSelector('#sign-in:not([hidden])', { timeout: WAIT_MS });
    await submit(page, '#sign-in-name', name, '#sign-in-button');
    await page.waitForSelector('#status[data-state="open"]', { timeout: WAIT_MS });
    pages[name] = page;
    return page;
  };

  beforeAll(async () => {
    if (skipped) return;
    command = startLocalCommand(bundleLocalCommand(`browser-identity-${transport}`), [
      '--port=0',
      '--ws-port=0',
      '--grip-port=0',
    ]);
    pageUrl = `${(await waitForLine(command, /^chat page: /)).slice('chat page: '.length)}?transport=${transport}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await command?.stop();
  });

  run('two users sign in through the identity provider and chat under their token names', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    expect(await alice.textContent('#user')).toBe('signed in as alice');
    expect(await bob.textContent('#user')).toBe('signed in as bob');
    expect(await alice.inputValue('#transport')).toBe(transport);
    expect(await alice.isDisabled('#nick')).toBe(true);
    await submit(alice, '#message', 'hello bob', '#send');
    await seeLine(bob, 'alice: hello bob');
    await submit(bob, '#message', 'hi alice', '#send');
    await seeLine(alice, 'bob: hi alice');
  });

  run('a third user is refused the private channel its listed users share', async () => {
    const carol = await signIn('carol');
    const { alice, bob } = pages;
    await submit(carol, '#channel', 'staff', '#channel-join');
    await seeLine(carol, 'error: [staff] is private; you are not on its list');
    for (const page of [alice, bob]) await submit(page, '#channel', 'staff', '#channel-join');
    await seeLine(alice, 'joined [staff]');
    await seeLine(bob, 'joined [staff]');
    await submit(alice, '#message', 'staff only', '#send');
    await seeLine(bob, 'alice: staff only');
    await carol.waitForTimeout(500);
    expect((await lines(carol)).some((line) => line.includes('staff only'))).toBe(false);
    expect(await carol.inputValue('#channel')).toBe('room');
  });
});
