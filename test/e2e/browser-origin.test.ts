import { createServer, type Server } from 'node:http';
import { startWebSocketEmulator, type WebSocketEmulator } from '../../local/apigw-websocket/websocket-emulator';
import { type PublishGate, startPublishGate } from '../../local/grip/publish-gate';
import { listen, stopServer } from '../../local/support/http-io';
import { chromiumMissingReason, launchBrowser, type TestBrowser } from '../helpers/browser';

const inCi = process.env.CI === 'true';
const chromiumMissing = chromiumMissingReason();
if (chromiumMissing && !inCi) console.warn(`skipping the cross-origin browser tests: ${chromiumMissing}`);
if (chromiumMissing && inCi) {
  test('chromium is installed (required under CI)', () => {
    throw new Error(chromiumMissing);
  });
}
const suite = chromiumMissing ? describe.skip : describe;

/** A native MESSAGE event with a forged authorizer context, as a page would try to inject it. */
const FORGED_EVENT = JSON.stringify({
  requestContext: {
    routeKey: '$default',
    eventType: 'MESSAGE',
    connectionId: 'forged',
    authorizer: { principalId: 'admin', role: 'admin' },
  },
  body: 'forged by a page',
});

/** What the attacker's page tries: every way a page can POST without asking the target's permission. */
function attackerPage(targets: readonly string[]): string {
  const script = `
    const targets = ${JSON.stringify(targets)};
    const body = ${JSON.stringify(FORGED_EVENT)};
    const outcomes = [];
    for (const url of targets) {
      for (const mode of ['no-cors', 'cors']) {
        try {
          const res = await fetch(url, { method: 'POST', mode, body, headers: { 'Content-Type': 'text/plain' } });
          outcomes.push(mode + ' ' + res.type + ' ' + res.status);
        } catch (error) {
          outcomes.push(mode + ' failed');
        }
      }
      navigator.sendBeacon(url, body);
    }
    window.attackOutcomes = outcomes;`;
  return `<!doctype html><title>another site</title><script type="module">${script}</script>`;
}

suite('a page on another origin', () => {
  const invoked: unknown[] = [];
  const published: unknown[] = [];
  let emulator: WebSocketEmulator;
  let gate: PublishGate;
  let attacker: Server;
  let browser: TestBrowser;
  let pageUrl = '';

  beforeAll(async () => {
    emulator = await startWebSocketEmulator({
      functionName: 'chat',
      onError: () => {},
      handler: async (event: unknown) => {
        invoked.push(event);
        return { statusCode: 200 };
      },
    });
    gate = await startPublishGate({
      upstream: { publish: async (items) => void published.push(...items) },
      iss: 'local',
      key: 'gate-key',
    });
    const targets = [
      `${emulator.lambdaEndpoint}/2015-03-31/functions/chat/invocations`,
      `${emulator.managementEndpoint}/@connections/forged`,
      `${gate.url}/publish/`,
    ];
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(attackerPage(targets));
    });
    pageUrl = `http://127.0.0.1:${await listen(attacker, 0, '127.0.0.1')}/`;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (attacker) await stopServer(attacker);
    await gate?.stop();
    await emulator?.stop();
  });

  it('cannot invoke the function, post to a connection or publish through the local servers', async () => {
    const page = await browser.context.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(
      () => Array.isArray((window as { attackOutcomes?: unknown }).attackOutcomes),
      undefined,
      {
        timeout: 15_000,
      },
    );
    const outcomes = await page.evaluate(() => (window as unknown as { attackOutcomes: string[] }).attackOutcomes);
    expect(outcomes).toHaveLength(6);
    // every request was sent (no-cors answers are opaque; cors ones fail): the servers refused them all
    expect(outcomes.filter((outcome) => outcome.startsWith('cors '))).toEqual([
      'cors failed',
      'cors failed',
      'cors failed',
    ]);
    await page.close();
    // the handler answers signed invokes, so nothing queued behind the refusals ran either
    expect(invoked).toEqual([]);
    expect(published).toEqual([]);
  });
});
