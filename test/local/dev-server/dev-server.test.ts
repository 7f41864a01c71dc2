import { Env } from '../../../lambda/contract';
import { parseGripUrl } from '../../../lambda/grip/grip-url';
import { type DevServer, describeDevServer, startDevServer } from '../../../local/dev-server/dev-server';
import { findPushpin } from '../../../local/grip/pushpin';
import { E2eClient, terminateAll } from '../../helpers/e2e-ws-client';
import { descendantsOf, processAlive } from '../../helpers/local-command';

const pushpinMissing = findPushpin() === undefined;
const inCi = process.env.CI === 'true';
if (pushpinMissing && !inCi) {
  console.warn(
    'pushpin is not installed: the dev server tests run the native transport only (apt-get install pushpin)',
  );
}
const withGrip = !pushpinMissing || inCi;
const gripTest = withGrip ? test : test.skip;

if (pushpinMissing && inCi) {
  test('pushpin is installed (required under CI)', () => {
    throw new Error('pushpin not found: install it (apt-get install pushpin) or set PUSHPIN_BIN');
  });
}

const ENDPOINT_LINE = /^(native|grip) websocket: ws:\/\/127\.0\.0\.1:\d+\/\S*$/;
const PAGE_LINE = /^chat page: http:\/\/127\.0\.0\.1:\d+\/$/;

describe('startDevServer', () => {
  let server: DevServer;
  const clients: E2eClient[] = [];
  const errors: unknown[] = [];
  const envBefore = { ...process.env };

  const connect = async (name: string, url: string) => {
    const client = await E2eClient.connect(name, url);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startDevServer({ grip: withGrip, onError: (error) => errors.push(error) });
  });

  afterEach(() => terminateAll(clients.splice(0)));

  afterAll(async () => {
    await server?.stop();
  });

  test('describes one line per WebSocket endpoint and one chat page line', () => {
    const lines = describeDevServer(server);
    const endpoints = lines.filter((line) => line.includes(' websocket: '));
    expect(endpoints).toHaveLength(withGrip ? 2 : 1);
    for (const line of endpoints) expect(line).toMatch(ENDPOINT_LINE);
    expect(endpoints[0]).toBe(`native websocket: ${server.urls.native}`);
    expect(lines.filter((line) => line.startsWith('chat page: '))).toEqual([`chat page: ${server.urls.page}`]);
    expect(lines.at(-1)).toMatch(PAGE_LINE);
  });

  test('serves the chat page, its script and the WebSocket URLs on /config', async () => {
    const page = await fetch(server.urls.page);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="chat-page.js"></script>');

    const script = await fetch(new URL('chat-page.js', server.urls.page));
    expect(script.status).toBe(200);
    expect(await script.text()).not.toContain('innerHTML');

    const config = await (await fetch(new URL('config', server.urls.page))).json();
    expect(config.transports).toEqual({ native: server.urls.native, ...(withGrip ? { grip: server.urls.grip } : {}) });
    expect(config.heartbeat).toEqual({ command: '/ping', intervalMs: 15_000 });

    expect((await fetch(new URL('nothing-here', server.urls.page))).status).toBe(404);
    expect((await fetch(server.urls.page, { method: 'POST' })).status).toBe(405);
  });

  test('gives the handler both transports in one environment', () => {
    expect(process.env[Env.CONNECTION_TABLE]).toBe(server.env[Env.CONNECTION_TABLE]);
    expect(process.env[Env.MANAGEMENT_ENDPOINT]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local$/);
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ENDPOINT_URL_LAMBDA).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    if (withGrip) {
      const proxy = parseGripUrl(process.env[Env.GRIP_URL] ?? '');
      expect(proxy.verifyIss).toBe('pushpin');
      expect(proxy.verifyKey).toBeDefined();
      expect(proxy.controlIss).toBe('faas-grip-local');
    } else {
      expect(process.env[Env.GRIP_URL]).toBe(envBefore[Env.GRIP_URL]);
    }
  });

  gripTest('puts a JWT gate in front of the publish API', async () => {
    const { controlUri } = parseGripUrl(server.env[Env.GRIP_URL]);
    const unsigned = await fetch(`${controlUri.replace(/\/$/, '')}/publish/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ items: [{ channel: 'room', formats: { 'ws-message': { content: 'forged' } } }] }),
    });
    expect(unsigned.status).toBe(401);
  });

  test("runs no event a caller without this run's signature sends to the Lambda Invoke endpoint", async () => {
    if (!envBefore.AWS_ACCESS_KEY_ID) {
      expect(server.env.AWS_ACCESS_KEY_ID).toBe('local');
      expect(server.env.AWS_SECRET_ACCESS_KEY).toMatch(/^[0-9a-f]{64}$/);
    }
    const listener = await connect('listener', server.urls.native);
    await listener.nick('listener');
    const forged = {
      requestContext: {
        routeKey: '$default',
        eventType: 'MESSAGE',
        connectionId: 'forged-id',
        authorizer: { principalId: 'admin' },
      },
      body: 'forged line',
    };
    const invoke = `${server.env.AWS_ENDPOINT_URL_LAMBDA}/2015-03-31/functions/faas-grip-local/invocations`;
    const unsigned = await fetch(invoke, { method: 'POST', body: JSON.stringify(forged) });
    expect(unsigned.status).toBe(403);
    const fromPage = await fetch(invoke, {
      method: 'POST',
      headers: { Origin: 'http://attacker.example', 'Content-Type': 'text/plain' },
      body: JSON.stringify(forged),
    });
    expect(fromPage.status).toBe(403);
    listener.send('after the forgeries');
    await listener.expect('listener: after the forgeries');
    expect(listener.received.filter((line) => line.includes('forged'))).toEqual([]);
  });

  test('native clients chat: nick, broadcast, channel switch', async () => {
    const alice = await connect('alice', server.urls.native);
    const bob = await connect('bob', server.urls.native);
    await alice.nick('alice');
    alice.send('/ping');
    alice.send('hi bob');
    await alice.expect('alice: hi bob');
    await bob.expect('alice: hi bob');

    await bob.join('side');
    alice.send('only room');
    await alice.expect('alice: only room');
    bob.send('only side');
    await bob.expect('anonymous: only side');
    expect(bob.received).not.toContain('alice: only room');
  });

  gripTest('a native client and a GRIP client chat in the same room', async () => {
    const native = await connect('native', server.urls.native);
    const grip = await connect('grip', server.urls.grip ?? '');
    native.send('/nick Zoë');
    grip.send('/nick 🦊');
    await native.expect('nickname set to [Zoë]');
    await grip.expect('nickname set to [🦊]');

    native.send('hello from native');
    await native.expect('Zoë: hello from native');
    await grip.expect('Zoë: hello from native');
    grip.send('hello from grip');
    await grip.expect('🦊: hello from grip');
    await native.expect('🦊: hello from grip');

    native.send('/join elsewhere');
    grip.send('/join elsewhere');
    await native.expect('joined [elsewhere]');
    await grip.expect('joined [elsewhere]');
    grip.send('moved along');
    await grip.expect('🦊: moved along');
    await native.expect('🦊: moved along');
    expect(errors).toEqual([]);
  });

  test('stop closes every server, stops Pushpin and restores the environment', async () => {
    const pushpinPids = server.pushpinPid === undefined ? [] : [server.pushpinPid, ...descendantsOf(server.pushpinPid)];
    expect(pushpinPids.length > 0).toBe(withGrip);
    await server.stop();
    await server.stop(); // a second stop is harmless
    for (const pid of pushpinPids) expect(processAlive(pid)).toBe(false);
    await expect(fetch(server.urls.page)).rejects.toThrow();
    await expect(E2eClient.connect('late', server.urls.native, 2_000)).rejects.toThrow();
    for (const name of [Env.CONNECTION_TABLE, Env.MANAGEMENT_ENDPOINT, Env.GRIP_URL, 'AWS_ENDPOINT_URL_DYNAMODB']) {
      expect(process.env[name]).toBe(envBefore[name]);
    }
  });
});
