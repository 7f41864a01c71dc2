/**
 * Presence on the chat page, in Chromium, on each transport: two pages see each other in the `online` list (with
 * the join announced), and a third page whose network dies silently (its WebSocket neither closes nor forwards
 * anything) leaves the others' lists within the stated bound. The dev command runs with a 1-second heartbeat and a
 * 3-second presence timeout, so the bound is timeout + timeout / 3 + one heartbeat = 5 s.
 */
import type { Page, WebSocketRoute } from 'playwright-core';
import { findPushpin } from '../../local/grip/pushpin';
import { chromiumMissingReason, launchBrowser, type TestBrowser } from '../helpers/browser';
import { bundleLocalCommand, type LocalCommand, startLocalCommand, waitForLine } from '../helpers/local-command';

const WAIT_MS = 15_000;
const BOUND_MS = 5_000;
const inCi = process.env.CI === 'true';
const chromiumMissing = chromiumMissingReason();
const pushpinMissing = findPushpin() === undefined ? 'pushpin is not installed (apt-get install pushpin)' : undefined;
if (!inCi && (chromiumMissing || pushpinMissing)) {
  console.warn(`skipping some browser presence tests: ${[chromiumMissing, pushpinMissing].filter(Boolean).join('; ')}`);
}
if (inCi && (chromiumMissing || pushpinMissing)) {
  test('chromium and pushpin are installed (required under CI)', () => {
    throw new Error([chromiumMissing, pushpinMissing].filter(Boolean).join('; '));
  });
}

const online = (page: Page) =>
  page.$$eval('[aria-label="online"] li', (items) => items.map((item) => item.textContent ?? '').sort());

async function waitOnline(page: Page, wanted: string[], timeout = WAIT_MS): Promise<void> {
  await page
    .waitForFunction(
      (names) =>
        JSON.stringify(
          Array.from(document.querySelectorAll('[aria-label="online"] li'))
            .map((item) => item.textContent ?? '')
            .sort(),
        ) === JSON.stringify(names),
      [...wanted].sort(),
      { timeout, polling: 50 },
    )
    .catch(async (error: Error) => {
      throw new Error(`online list is ${JSON.stringify(await online(page))}, wanted ${JSON.stringify(wanted)}`, {
        cause: error,
      });
    });
}

describe.each([
  ['native', chromiumMissing],
  ['grip', chromiumMissing ?? pushpinMissing],
])('presence on the chat page on %s', (transport, missing) => {
  const run = missing && !inCi ? test.skip : test;
  let command: LocalCommand | undefined;
  let browser: TestBrowser | undefined;
  let pageUrl = '';

  beforeAll(async () => {
    if (missing && !inCi) return;
    command = startLocalCommand(
      bundleLocalCommand(`browser-presence-${transport}`),
      ['--port=0', '--ws-port=0', '--grip-port=0', '--no-sign-in'],
      { FAAS_GRIP_HEARTBEAT_MS: '1000', FAAS_GRIP_PRESENCE_TIMEOUT: '3' },
    );
    pageUrl = `${(await waitForLine(command, /^chat page: /)).slice('chat page: '.length)}?transport=${transport}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await command?.stop();
  });

  async function openAs(nick: string, route?: (ws: WebSocketRoute) => void): Promise<Page> {
    const page = await browser!.context.newPage();
    if (route) await page.routeWebSocket(/.*/, route);
    await page.goto(pageUrl);
    await page.waitForSelector('#status[data-state="open"]', { timeout: WAIT_MS });
    // In the list as anonymous first: the nick then renames the membership (a nick set in the very moment of
    // joining may keep the old name on the native transport, whose requests run concurrently, until the next one).
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('[aria-label="online"] li')).some((li) =>
          li.textContent?.startsWith('anonymous'),
        ),
      undefined,
      { timeout: WAIT_MS, polling: 50 },
    );
    await page.fill('#nick', nick);
    await page.click('#nick-set');
    return page;
  }

  run('two pages see each other online; a page whose network dies silently leaves within the bound', async () => {
    const ann = await openAs('ann');
    const bob = await openAs('bob');
    await waitOnline(ann, [`ann (${transport})`, `bob (${transport})`]);
    await waitOnline(bob, [`ann (${transport})`, `bob (${transport})`]);
    await ann.waitForFunction(
      () => document.querySelector('#presence-news')?.textContent === 'bob joined [room]',
      undefined,
      {
        timeout: WAIT_MS,
      },
    );

    // carol's network dies: nothing passes either way and neither side is closed; reconnects get nowhere.
    let silent = false;
    const carol = await openAs('carol', (ws) => {
      if (silent) return; // a new connection while offline: never reaches the server
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        if (!silent) server.send(message);
      });
      server.onMessage((message) => {
        if (!silent) ws.send(message);
      });
      ws.onClose(() => undefined); // the page closing does not reach the server
      server.onClose(() => undefined);
    });
    await waitOnline(ann, [`ann (${transport})`, `bob (${transport})`, `carol (${transport})`]);
    silent = true;

    // Within the bound (and a margin for the page's own work): gone from both lists.
    await waitOnline(ann, [`ann (${transport})`, `bob (${transport})`], BOUND_MS + 3_000);
    await waitOnline(bob, [`ann (${transport})`, `bob (${transport})`], 1_000);
    await carol.close();
  });
});
