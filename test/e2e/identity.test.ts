/**
 * Verified identity end to end on both transports: a real Pushpin (GRIP) and the API Gateway WebSocket emulator
 * (native) in front of the same function, a real OIDC issuer on loopback (oidc-provider, its own JWKS).
 *
 * - Every kind of bad token is refused at the handshake (401) before any user code runs; a valid one is accepted
 *   and the subprotocol answered.
 * - `ws.user` on every later event is the token's, whatever the client sends: `Meta-*` handshake headers, message
 *   bodies, a refresh token for another user.
 * - A private channel: its listed users read it; another user gets `forbidden` for subscribe and history and
 *   receives none of its messages; the chat's `/join` refuses too. A `user:<sub>` channel is its user's alone.
 * - Expiry: a connection past its token's expiry is closed with 4401; a fresh token sent over the connection keeps it.
 * - The JWKS is fetched once for 1,000 connects.
 */
import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { Env } from '../../lambda/contract';
import { resetContainer } from '../../lambda/core/container';
import { type DevIssuerProcess, startDevIssuerProcess } from '../helpers/dev-issuer';
import { describeWithPushpin, E2E_START_TIMEOUT_MS, type E2eEnv, loadFresh, startE2eEnv } from '../helpers/e2e-env';
import { setEnv } from '../helpers/grip-events';
import { until } from '../helpers/until';

jest.setTimeout(90_000);

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/** A handler that records each time user code runs and echoes `ws.user` for every message. */
function recordingHandler(calls: Array<{ opening: boolean; sub?: string }>): Handler {
  return loadFresh(() => {
    const { webSocketHandler } =
      require('../../lambda/aws/websocket-handler') as typeof import('../../lambda/aws/websocket-handler');
    return webSocketHandler(async (ws) => {
      calls.push({ opening: ws.isOpening(), sub: ws.user?.sub });
      if (ws.isOpening()) ws.accept();
      while (ws.canRecv()) {
        const message = ws.recv();
        if (message === null) break;
        ws.send(JSON.stringify({ user: ws.user ?? null }));
      }
    }) as Handler;
  });
}

interface Opened {
  readonly socket: WebSocket;
  readonly protocol: string;
  readonly received: string[];
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Connects; resolves when open, rejects with the handshake's status when refused. */
function connect(url: string, options: { token?: string; headers?: Record<string, string> } = {}): Promise<Opened> {
  const protocols = options.token === undefined ? undefined : ['faas-grip', `faas-grip.bearer.${options.token}`];
  const socket = new WebSocket(url, protocols, { headers: options.headers });
  const received: string[] = [];
  socket.on('message', (data) => received.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, protocol: socket.protocol, received, closed }));
    socket.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode }));
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

async function refusedStatus(
  url: string,
  options: { token?: string; headers?: Record<string, string> },
): Promise<number> {
  try {
    const opened = await connect(url, options);
    opened.socket.close();
    return 101;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

const frames = (received: string[]) =>
  received.filter((t) => t.startsWith('{')).map((t) => JSON.parse(t) as Record<string, unknown>);

describeWithPushpin('verified identity on both transports', () => {
  let env: E2eEnv;
  let idp: DevIssuerProcess;
  let restore = () => {};
  const open: WebSocket[] = [];

  beforeAll(async () => {
    idp = await startDevIssuerProcess();
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
    restore = setEnv({
      [Env.AUTH_ISSUER]: idp.issuer,
      [Env.AUTH_AUDIENCE]: idp.clientId,
      [Env.AUTH_CLOCK_SKEW]: '0',
      [Env.PRIVATE_CHANNELS]: JSON.stringify({ staff: ['alice', 'bob'] }),
    });
    resetContainer();
  }, E2E_START_TIMEOUT_MS);

  afterAll(async () => {
    for (const s of open) s.terminate();
    restore();
    await env?.stop();
    await idp?.stop();
  }, E2E_START_TIMEOUT_MS);

  const urls = () => [
    ['grip', `${env.grip?.wsUrl}/chat`],
    ['native', env.native?.wsUrl as string],
  ];

  it.each([['grip'], ['native']])('%s: bad tokens are refused with 401 before any user code runs', async (name) => {
    const url = urls().find(([n]) => n === name)?.[1] as string;
    const calls: Array<{ opening: boolean; sub?: string }> = [];
    env.slot.current = recordingHandler(calls) as never;
    const now = Math.floor(Date.now() / 1000);
    const { newSigningKey } = await import('../../local/identity/dev-issuer');
    const rogue = newSigningKey('rogue');
    const [h, , sig] = idp.craft().split('.');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const bad: Record<string, string | undefined> = {
      none: undefined,
      forged: `${h}.${b64({ iss: idp.issuer, aud: idp.clientId, sub: 'admin', exp: now + 600 })}.${sig}`,
      'unknown key': idp.craft({}, { key: rogue }),
      'known kid, other key': idp.craft({}, { key: rogue, kid: idp.keys[0].kid }),
      expired: idp.craft({ exp: now - 5 }),
      'not yet valid': idp.craft({ nbf: now + 300 }),
      'other audience': idp.craft({ aud: 'another-app' }),
      'other issuer': idp.craft({ iss: 'https://issuer.invalid' }),
      'alg none': `${b64({ alg: 'none', kid: idp.keys[0].kid })}.${b64({ iss: idp.issuer, aud: idp.clientId, sub: 'a', exp: now + 600 })}.`,
      'HS256 with the public key': jwt.sign(
        { iss: idp.issuer, aud: idp.clientId, sub: 'admin', exp: now + 600 },
        createPublicKey({ key: idp.keys[0] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }),
        { algorithm: 'HS256', keyid: idp.keys[0].kid },
      ),
    };
    for (const [kind, token] of Object.entries(bad)) {
      expect([kind, await refusedStatus(url, { token })]).toEqual([kind, 401]);
    }
    // (A closing event of the previous test's connection may arrive meanwhile: only openings count here.)
    expect(calls.filter((c) => c.opening)).toEqual([]);

    const opened = await connect(url, { token: await idp.signIn('alice') });
    open.push(opened.socket);
    expect(opened.protocol).toBe('faas-grip');
    expect(calls.filter((c) => c.opening)).toEqual([{ opening: true, sub: 'alice' }]);
    opened.socket.close();
  });

  it.each([['grip'], ['native']])(
    '%s: ws.user cannot be changed by headers, bodies or a refresh for another user',
    async (name) => {
      const url = urls().find(([n]) => n === name)?.[1] as string;
      const calls: Array<{ opening: boolean; sub?: string }> = [];
      env.slot.current = recordingHandler(calls) as never;
      const admin = Buffer.from(JSON.stringify({ s: 'admin', i: idp.issuer, e: 9999999999, c: {} })).toString(
        'base64url',
      );
      const opened = await connect(url, {
        token: idp.craft({ sub: 'alice' }),
        headers: { 'Meta-faas-grip-user': admin, 'Meta-User': 'admin', 'X-User': 'admin' },
      });
      open.push(opened.socket);
      opened.socket.send(JSON.stringify({ sub: 'admin', user: { sub: 'admin' } }));
      await until('an answer', () => opened.received.length >= 1);
      // A fresh token for another user, through the protocol (the chat answers it): refused.
      env.useChatHandler();
      opened.socket.send(JSON.stringify({ fg: 1, op: 'auth', token: idp.craft({ sub: 'admin' }) }));
      await until('the refusal', () => frames(opened.received).some((f) => f.type === 'error'));
      expect(frames(opened.received).find((f) => f.type === 'error')).toMatchObject({
        code: 'unauthorized',
        op: 'auth',
      });
      env.slot.current = recordingHandler(calls) as never;
      opened.socket.send('who am i');
      await until('the second answer', () => opened.received.filter((t) => t.startsWith('{"user"')).length >= 2);
      for (const text of opened.received.filter((t) => t.startsWith('{"user"'))) {
        expect(JSON.parse(text).user.sub).toBe('alice');
      }
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.every((c) => c.sub === 'alice')).toBe(true);
      opened.socket.close();
    },
  );

  it.each([['grip'], ['native']])(
    '%s: a private channel: others get forbidden, live and from history',
    async (name) => {
      const url = urls().find(([n]) => n === name)?.[1] as string;
      env.useChatHandler();
      const channel = 'staff';
      const alice = await connect(url, { token: await idp.signIn('alice') });
      const carol = await connect(url, { token: await idp.signIn('carol') });
      open.push(alice.socket, carol.socket);
      alice.socket.send(JSON.stringify({ fg: 1, op: 'subscribe', channel }));
      carol.socket.send(JSON.stringify({ fg: 1, op: 'subscribe', channel }));
      carol.socket.send(JSON.stringify({ fg: 1, op: 'history', channel, limit: 10 }));
      await until('alice subscribed', () => frames(alice.received).some((f) => f.type === 'subscribed'));
      await until('carol refused twice', () => frames(carol.received).filter((f) => f.type === 'error').length >= 2);
      const errors = frames(carol.received).filter((f) => f.type === 'error');
      expect(errors.map((f) => [f.code, f.op, f.channel])).toEqual([
        ['forbidden', 'subscribe', channel],
        ['forbidden', 'history', channel],
      ]);
      carol.socket.send(`/join ${channel}`);
      await until('carol join refused', () => carol.received.some((t) => t.includes('is private')));
      alice.socket.send(`/join ${channel}`);
      await until('alice joined', () => alice.received.includes(`joined [${channel}]`));
      alice.socket.send(`secret-${name}`);
      await until('alice sees her message', () => alice.received.some((t) => t.includes(`secret-${name}`)));
      // The name in the chat line is the token's.
      expect(alice.received.some((t) => t === `alice: secret-${name}` || t.includes('"data":"alice: secret-'))).toBe(
        true,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(carol.received.some((t) => t.includes('secret-'))).toBe(false);
      // Another listed user reads the history.
      const bob = await connect(url, { token: await idp.signIn('bob') });
      open.push(bob.socket);
      bob.socket.send(JSON.stringify({ fg: 1, op: 'history', channel, limit: 10, id: 'h' }));
      await until('bob history', () => frames(bob.received).some((f) => f.type === 'history'));
      const history = frames(bob.received).find((f) => f.type === 'history') as {
        messages: Array<Record<string, unknown>>;
      };
      // The chat publishes with the sender's user id: it travels with the message.
      expect(history.messages).toContainEqual(
        expect.objectContaining({ data: `alice: secret-${name}`, from: 'alice' }),
      );
      // The chat's channel list leaves out what the asker may not read.
      alice.socket.send('/channels');
      carol.socket.send('/channels');
      const listOf = (o: Opened) => o.received.find((t) => t.startsWith('channels: '));
      await until('both lists', () => listOf(alice) !== undefined && listOf(carol) !== undefined);
      expect(listOf(alice)?.split(/[:,] /)).toContain(channel);
      expect(listOf(carol)?.split(/[:,] /)).not.toContain(channel);
      // Per-user channels: user:<sub> is its user's alone.
      const own = (f: Record<string, unknown>) => f.channel === 'user:alice';
      alice.socket.send(JSON.stringify({ fg: 1, op: 'subscribe', channel: 'user:alice' }));
      carol.socket.send(JSON.stringify({ fg: 1, op: 'subscribe', channel: 'user:alice' }));
      await until('alice in her channel', () => frames(alice.received).some(own));
      await until('carol refused it', () => frames(carol.received).some(own));
      expect(frames(alice.received).find(own)).toMatchObject({ type: 'subscribed' });
      expect(frames(carol.received).find(own)).toMatchObject({ type: 'error', code: 'forbidden', op: 'subscribe' });
      for (const s of [alice, carol, bob]) s.socket.close();
    },
  );

  it.each([['grip'], ['native']])(
    '%s: an expired token closes with 4401; a refreshed one keeps the connection',
    async (name) => {
      const url = urls().find(([n]) => n === name)?.[1] as string;
      const calls: Array<{ opening: boolean; sub?: string }> = [];
      env.slot.current = recordingHandler(calls) as never;
      const now = Math.floor(Date.now() / 1000);
      const expiring = await connect(url, { token: idp.craft({ exp: now + 2 }) });
      const refreshed = await connect(url, { token: idp.craft({ exp: now + 2 }) });
      open.push(expiring.socket, refreshed.socket);
      env.useChatHandler(); // the chat answers the protocol's auth frame
      refreshed.socket.send(JSON.stringify({ fg: 1, op: 'auth', token: idp.craft({ exp: now + 600 }) }));
      await until('authenticated', () => frames(refreshed.received).some((f) => f.type === 'authenticated'));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (now + 3) * 1000 - Date.now() + 300)));
      expiring.socket.send('/ping');
      refreshed.socket.send(JSON.stringify({ fg: 1, op: 'ping' }));
      if (name === 'grip') expect(await expiring.closed).toMatchObject({ code: 4401, reason: 'token expired' });
      else {
        // API Gateway closes without a chosen code: the frame before the close says why.
        await expiring.closed;
        expect(frames(expiring.received)).toContainEqual(
          expect.objectContaining({ type: 'error', code: 'token-expired' }),
        );
      }
      await until('pong after the first expiry', () => frames(refreshed.received).some((f) => f.type === 'pong'));
      expect(refreshed.socket.readyState).toBe(WebSocket.OPEN);
      refreshed.socket.close();
    },
  );

  it('native: the JWKS is fetched once for 1,000 connects', async () => {
    env.slot.current = recordingHandler([]) as never;
    resetContainer(); // a new container: its verifier has no JWKS yet
    const before = await idp.jwksCount();
    const token = idp.craft({ sub: 'many' });
    const url = env.native?.wsUrl as string;
    for (let batch = 0; batch < 20; batch++) {
      const sockets = await Promise.all(Array.from({ length: 50 }, () => connect(url, { token })));
      for (const s of sockets) s.socket.terminate();
    }
    expect((await idp.jwksCount()) - before).toBe(1);
  });
});
