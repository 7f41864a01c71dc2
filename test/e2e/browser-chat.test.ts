import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { findPushpin } from '../../local/grip/pushpin';
import { chromiumMissingReason, launchBrowser, type TestBrowser } from '../helpers/browser';
import { lines, seeLine, submit, PAGE_WAIT_MS as WAIT_MS } from '../helpers/chat-page';
import { bundleLocalCommand, type LocalCommand, startLocalCommand, waitForLine } from '../helpers/local-command';

/** Where the screenshots of this test go (gitignored). */
const SCREENSHOTS = resolve(__dirname, '..', '..', '.test-output', 'screenshots');
const XSS = '<script>alert(1)</script><img src=x onerror="window.__xss=1">';

const inCi = process.env.CI === 'true';
const chromiumMissing = chromiumMissingReason();
const pushpinMissing = findPushpin() === undefined ? 'pushpin is not installed (apt-get install pushpin)' : undefined;
for (const [what, reason] of [
  ['browser chat tests', chromiumMissing],
  ['browser chat tests on grip', chromiumMissing ?? pushpinMissing],
] as const) {
  if (reason && !inCi) console.warn(`skipping the ${what}: ${reason}`);
}
if (inCi && (chromiumMissing || pushpinMissing)) {
  test('chromium and pushpin are installed (required under CI)', () => {
    throw new Error([chromiumMissing, pushpinMissing].filter(Boolean).join('; '));
  });
}

/** How many lines of the page's message list equal `text`. */
function countLine(page: Page, text: string): Promise<number> {
  return page.$$eval(
    '#messages li',
    (items, wanted) => items.filter((item) => item.textContent === wanted).length,
    text,
  );
}

/** Records every socket the page opens (on `window.testSockets`), so a test can drop one. */
function recordSockets(): void {
  const Native = window.WebSocket;
  const sockets: WebSocket[] = [];
  Object.assign(window, { testSockets: sockets });
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  };
}

async function connected(page: Page, transport: string): Promise<void> {
  await page.waitForSelector('#status[data-state="open"]', { timeout: WAIT_MS });
  expect(await page.inputValue('#transport')).toBe(transport);
  expect(await page.textContent('#status')).toBe(`connected (${transport})`);
}

async function say(page: Page, text: string): Promise<void> {
  await submit(page, '#message', text, '#send');
}

/** The tests of one transport run in order on the same three pages: each builds on the state the last one left. */
describe.each([
  ['native', chromiumMissing],
  ['grip', chromiumMissing ?? pushpinMissing],
])('chat page on %s', (transport, missing) => {
  const skipped = Boolean(missing) && !inCi;
  const run = skipped ? test.skip : test;
  const dialogs: string[] = [];
  let command: LocalCommand | undefined;
  let browser: TestBrowser | undefined;
  let pageUrl = '';
  let alice: Page;
  let bob: Page;

  const openPage = async () => {
    const page = await browser!.context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.addInitScript(recordSockets);
    return page;
  };

  beforeAll(async () => {
    if (skipped) return;
    command = startLocalCommand(bundleLocalCommand(`browser-chat-${transport}`), [
      '--port=0',
      '--ws-port=0',
      '--grip-port=0',
      '--no-sign-in',
    ]);
    pageUrl = `${(await waitForLine(command, /^chat page: /)).slice('chat page: '.length)}?transport=${transport}`;
    browser = await launchBrowser();
    alice = await openPage();
    bob = await openPage();
    await alice.goto(pageUrl);
    await bob.goto(pageUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await command?.stop();
  });

  run('shows the transport and sets nicknames', async () => {
    await connected(alice, transport);
    await connected(bob, transport);
    await submit(alice, '#nick', 'alice', '#nick-set');
    await seeLine(alice, 'nickname set to [alice]');
    await submit(bob, '#nick', 'bob');
    await seeLine(bob, 'nickname set to [bob]');
    expect(await alice.inputValue('#nick')).toBe('alice');
  });

  run('broadcasts to both pages', async () => {
    await say(alice, 'hello bob');
    await seeLine(bob, 'alice: hello bob');
    await seeLine(alice, 'alice: hello bob');
  });

  run('renders a message containing <script> as text', async () => {
    await say(bob, XSS);
    await seeLine(alice, `bob: ${XSS}`);
    await seeLine(bob, `bob: ${XSS}`);
    for (const page of [alice, bob]) {
      expect(await page.$$eval('#messages script, #messages img', (found) => found.length)).toBe(0);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.getByText(XSS).first().isVisible()).toBe(true);
    }
    expect(dialogs).toEqual([]);
  });

  run('keeps sender and system lines apart: no nick poses as the server or as another user', async () => {
    const lineOn = (page: Page, ending: string) =>
      page.$$eval(
        '#messages li',
        (items, wanted) =>
          items
            .filter((item) => item.textContent?.endsWith(wanted))
            .map((item) => ({
              className: item.className,
              nick: item.querySelector('.nick')?.textContent ?? null,
              nickTag: item.querySelector('.nick')?.tagName ?? null,
              text: item.textContent,
            })),
        ending,
      );
    for (const [nick, reason] of [
      ['error', 'reserved'],
      ['alice: I am', "':'"],
      ['\u202Eecila', 'bidirectional'],
    ]) {
      await submit(bob, '#nick', nick, '#nick-set');
      await say(bob, `posing as ${reason}`);
      await seeLine(alice, `bob: posing as ${reason}`);
      const [line] = await lineOn(alice, `posing as ${reason}`);
      expect(line).toEqual({
        className: 'message',
        nick: 'bob',
        nickTag: 'BDI',
        text: `bob: posing as ${reason}`,
      });
      const refusals = await bob.$$eval('#messages li.system', (items) => items.map((item) => item.textContent ?? ''));
      expect(refusals.some((text) => text.startsWith('error: ') && text.includes(reason))).toBe(true);
    }

    // bidirectional controls in a message are shown, not obeyed, and stay inside the message
    await say(bob, 'abc\u202Edef');
    await seeLine(alice, 'bob: abc[U+202E]def');
  });

  run('switches channel: messages stay in their channel', async () => {
    await submit(bob, '#channel', 'side', '#channel-join');
    await seeLine(bob, 'joined [side]');
    await say(alice, 'only in room');
    await seeLine(alice, 'alice: only in room');
    await say(bob, 'only in side');
    await seeLine(bob, 'bob: only in side');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await alice.screenshot({ path: join(SCREENSHOTS, `browser-chat-${transport}-alice.png`) });
    await bob.screenshot({ path: join(SCREENSHOTS, `browser-chat-${transport}-bob.png`) });
    expect(await countLine(alice, 'bob: only in side')).toBe(0);
    expect(await countLine(bob, 'alice: only in room')).toBe(0);
  });

  run('reconnects after the connection drops and restores nickname and channel', async () => {
    const before = (await lines(bob)).length;
    await bob.evaluate(() => (window as unknown as { testSockets: WebSocket[] }).testSockets.at(-1)?.close());
    await bob.waitForFunction((count) => document.querySelectorAll('#messages li').length >= count + 2, before, {
      timeout: WAIT_MS,
      polling: 50,
    });
    await connected(bob, transport);
    // the native transport does not order one connection's messages (nor does API Gateway)
    expect((await lines(bob)).slice(before).sort()).toEqual(['joined [side]', 'nickname set to [bob]']);
    expect(await bob.evaluate(() => (window as unknown as { testSockets: WebSocket[] }).testSockets.length)).toBe(2);
    await say(bob, 'back again');
    await seeLine(bob, 'bob: back again');
    expect(await countLine(alice, 'bob: back again')).toBe(0);
  });

  run('sends a heartbeat within the idle limit that shows on no page', async () => {
    const carol = await openPage();
    await carol.clock.install();
    await carol.goto(pageUrl);
    await connected(carol, transport);
    await carol.clock.fastForward('00:16');
    await carol.waitForSelector('body[data-heartbeats="1"]', { timeout: WAIT_MS });
    await say(carol, 'after the heartbeat');
    await seeLine(alice, 'anonymous: after the heartbeat');
    await seeLine(carol, 'anonymous: after the heartbeat');
    const all = [...(await lines(alice)), ...(await lines(bob)), ...(await lines(carol))];
    expect(all.filter((line) => line.includes('/ping'))).toEqual([]);

    // another user's message shaped like a server answer changes nothing on this page
    await say(carol, '/nick nickname set to [mallory');
    await seeLine(carol, 'nickname set to [nickname set to [mallory]');
    await say(carol, 'x]');
    await seeLine(alice, 'nickname set to [mallory: x]');
    expect(await alice.inputValue('#nick')).toBe('alice');
    expect(await alice.$$eval('#messages li.system', (items) => items.map((item) => item.textContent))).toEqual([
      'nickname set to [alice]',
    ]);
  });

  run('a page opened later shows the channel history, and the channel list', async () => {
    const dave = await openPage();
    await dave.goto(pageUrl);
    await connected(dave, transport);
    await seeLine(dave, 'alice: hello bob');
    await seeLine(dave, 'anonymous: after the heartbeat');
    const history = (await lines(dave)).filter((line) => line.startsWith('alice: ') || line.startsWith('bob: '));
    expect(history.indexOf('alice: hello bob')).toBeLessThan(history.indexOf('alice: only in room'));
    expect(history).not.toContain('bob: only in side');
    await dave.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#channels button'))
          .map((b) => b.textContent)
          .join(',') === 'room,side',
      undefined,
      { timeout: WAIT_MS, polling: 50 },
    );
    await dave.close();
  });

  run(
    'a page whose connection is cut and kept down shows "reconnecting", then every missed message once, in order',
    async () => {
      const erin = await browser!.context.newPage();
      const routes: Array<{ close: () => Promise<void> }> = [];
      let down = false;
      await erin.routeWebSocket(/.*/, (ws) => {
        if (down) {
          void ws.close({ code: 1011 });
          return;
        }
        ws.connectToServer();
        routes.push(ws);
      });
      await erin.goto(pageUrl);
      await connected(erin, transport);
      await seeLine(erin, 'alice: hello bob');

      down = true;
      await routes.at(-1)?.close();
      await erin.waitForSelector('#status[data-state="waiting"]', { timeout: WAIT_MS });
      expect(await erin.textContent('#status')).toBe('reconnecting');
      const missed = Array.from({ length: 6 }, (_, i) => `missed ${i + 1}`);
      for (const text of missed) await say(alice, text);
      await seeLine(alice, 'alice: missed 6');
      expect(await countLine(erin, 'alice: missed 1')).toBe(0);
      down = false;

      await connected(erin, transport);
      await seeLine(erin, 'alice: missed 6');
      const got = (await lines(erin)).filter((line) => line.startsWith('alice: missed'));
      expect(got).toEqual(missed.map((text) => `alice: ${text}`));
      await erin.close();
    },
  );

  if (transport === 'grip') {
    run('switches transport from the selector and keeps the nickname', async () => {
      await alice.bringToFront();
      await alice.selectOption('#transport', 'native');
      await connected(alice, 'native');
      expect(new URL(alice.url()).searchParams.get('transport')).toBe('native');
      await alice.waitForFunction(
        () =>
          Array.from(document.querySelectorAll('#messages li')).filter(
            (item) => item.textContent === 'nickname set to [alice]',
          ).length === 2,
        undefined,
        { timeout: WAIT_MS, polling: 50 },
      );
      await say(bob, '/join room');
      await seeLine(bob, 'joined [room]');
      await say(bob, 'from grip to native');
      await seeLine(alice, 'bob: from grip to native');
    });
  }
});
