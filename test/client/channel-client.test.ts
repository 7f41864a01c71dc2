/**
 * The client library against a scripted server (a real `ws` WebSocket server speaking wire format v1): duplicates
 * dropped, order restored, a gap fetched after the bounded wait, resume after a reconnect, `notRecovered`, a
 * heartbeat that goes unanswered, and application messages queued while the connection is down.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ChannelClient, type ChannelMessage } from '../../client';
import { until } from '../helpers/until';

interface Scripted {
  readonly server: WebSocketServer;
  readonly url: string;
  /** Frames each connection received, parsed, per connection in order. */
  readonly received: Array<Array<Record<string, unknown>>>;
  readonly sockets: WebSocket[];
  /** Answers a frame; default: subscribe/fetch answered at the given head, ping answered. */
  answer: (socket: WebSocket, frame: Record<string, unknown>) => void;
}

const EPOCH = 'E1';
const frame = (body: Record<string, unknown>) => JSON.stringify({ fg: 1, ...body });
const message = (offset: number, data = `m${offset}`) =>
  frame({ type: 'message', channel: 'room', offset, epoch: EPOCH, data });

let scripted: Scripted;
let client: ChannelClient | undefined;
let head = 0;

beforeEach(async () => {
  head = 0;
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  scripted = {
    server,
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: [],
    sockets: [],
    answer: (socket, f) => {
      if (f.op === 'subscribe' || f.op === 'fetch') {
        const type = f.op === 'subscribe' ? 'subscribed' : 'fetched';
        socket.send(frame({ type, channel: f.channel, recovered: true, offset: head, epoch: EPOCH }));
      } else if (f.op === 'ping') {
        socket.send(frame({ type: 'pong' }));
      }
    },
  };
  server.on('connection', (socket) => {
    const frames: Array<Record<string, unknown>> = [];
    scripted.received.push(frames);
    scripted.sockets.push(socket);
    socket.on('message', (data) => {
      const text = data.toString();
      const parsed = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { app: text };
      frames.push(parsed);
      if (!('app' in parsed)) scripted.answer(socket, parsed);
    });
  });
});

afterEach(async () => {
  client?.close();
  client = undefined;
  for (const socket of scripted.sockets) socket.terminate();
  await new Promise((resolve) => scripted.server.close(resolve));
});

function start(options: ConstructorParameters<typeof ChannelClient>[1] = {}) {
  const got: ChannelMessage[] = [];
  client = new ChannelClient(scripted.url, {
    WebSocket: WebSocket as never,
    minReconnectDelayMs: 20,
    maxReconnectDelayMs: 50,
    gapWaitMs: 100,
    heartbeatMs: 0,
    ...options,
  });
  client.on('message', (m) => got.push(m));
  return got;
}

const ops = (i: number) => scripted.received[i]?.map((f) => f.op ?? `app:${f.app}`) ?? [];

test('subscribes, fetches once after subscribed, drops duplicates and restores order', async () => {
  const got = start();
  client?.subscribe('room');
  await until('the activation fetch', () => ops(0).includes('fetch'));
  expect(ops(0)).toEqual(['subscribe', 'fetch']);
  expect(scripted.received[0][1]).toMatchObject({ op: 'fetch', channel: 'room', offset: 0, epoch: EPOCH });

  for (const offset of [2, 1, 1, 3, 2]) scripted.sockets[0].send(message(offset));

  await until('three messages', () => got.length === 3);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(got.map((m) => m.offset)).toEqual([1, 2, 3]);
  expect(client?.position('room')).toEqual({ offset: 3, epoch: EPOCH });
});

test('a gap is fetched from the log after the bounded wait, not waited on forever', async () => {
  const got = start();
  client?.subscribe('room');
  await until('subscribed', () => ops(0).includes('fetch'));
  scripted.answer = (socket, f) => {
    if (f.op === 'fetch' && f.offset === 1) {
      socket.send(message(2));
      socket.send(frame({ type: 'fetched', channel: 'room', recovered: true, offset: 3, epoch: EPOCH }));
    }
  };
  scripted.sockets[0].send(message(1));
  scripted.sockets[0].send(message(3));

  await until('the gap filled', () => got.length === 3);
  expect(got.map((m) => m.data)).toEqual(['m1', 'm2', 'm3']);
  expect(scripted.received[0].filter((f) => f.op === 'fetch').map((f) => f.offset)).toEqual([0, 1]);
});

test('after a reconnect every channel resumes from its last position; sends wait for the connection', async () => {
  const got = start();
  const states: string[] = [];
  client?.on('state', (s) => states.push(s));
  client?.subscribe('room');
  await until('subscribed', () => ops(0).includes('fetch'));
  scripted.sockets[0].send(message(1));
  scripted.sockets[0].send(message(2));
  await until('two messages', () => got.length === 2);

  scripted.sockets[0].terminate();
  await until('reconnecting', () => states.includes('reconnecting'));
  client?.send('/nick ann');
  await until('a second connection', () => ops(1).includes('subscribe'));

  expect(scripted.received[1][0]).toMatchObject({ op: 'subscribe', channel: 'room', offset: 2, epoch: EPOCH });
  await until('the queued send', () => ops(1).includes('app:/nick ann'));
  expect(states).toEqual(['open', 'reconnecting', 'open']);
});

test('a position that cannot be honoured is reported with the current one, and delivery goes on from there', async () => {
  const got = start();
  const reports: unknown[] = [];
  client?.on('notRecovered', (r) => reports.push(r));
  scripted.answer = (socket, f) => {
    if (f.op === 'subscribe') {
      socket.send(frame({ type: 'subscribed', channel: 'room', recovered: false, offset: 9, epoch: 'E2' }));
    }
  };
  client?.subscribe('room', { position: { offset: 3, epoch: EPOCH } });

  await until('the report', () => reports.length === 1);
  expect(reports[0]).toEqual({
    channel: 'room',
    previous: { offset: 3, epoch: EPOCH },
    position: { offset: 9, epoch: 'E2' },
  });
  scripted.sockets[0].send(frame({ type: 'message', channel: 'room', offset: 10, epoch: 'E2', data: 'ten' }));
  await until('the next message', () => got.length === 1);
  expect(got[0]).toMatchObject({ offset: 10, data: 'ten' });
});

test('an unanswered heartbeat drops the connection and reconnects', async () => {
  start({ heartbeatMs: 50, heartbeatTimeoutMs: 100 });
  const states: string[] = [];
  client?.on('state', (s) => states.push(s));
  let answered = true;
  scripted.answer = (socket, f) => {
    if (f.op === 'ping' && answered) socket.send(frame({ type: 'pong' }));
  };
  await until('a first ping', () => ops(0).includes('ping'));
  answered = false;

  await until('a second connection', () => scripted.received.length === 2);
  answered = true;
  await until('open again', () => client?.state === 'open');
  expect(states.slice(0, 3)).toEqual(['open', 'reconnecting', 'open']);
});

test('a missing WebSocket implementation is a clear TypeError', () => {
  const global = globalThis as { WebSocket?: unknown };
  const saved = global.WebSocket;
  delete global.WebSocket;
  try {
    expect(() => new ChannelClient('ws://127.0.0.1:1')).toThrow(/no WebSocket implementation/);
  } finally {
    if (saved !== undefined) global.WebSocket = saved;
  }
});

describe('signing in with a token', () => {
  const jwt = (exp: number, sub = 'alice') => `h.${Buffer.from(JSON.stringify({ sub, exp })).toString('base64url')}.s`;

  it('offers the token in the subprotocol list on every connect, asking for a fresh one each time', async () => {
    const offered: string[] = [];
    scripted.server.on('connection', (_socket, req) => offered.push(String(req.headers['sec-websocket-protocol'])));
    let calls = 0;
    start({ token: () => jwt(Math.floor(Date.now() / 1000) + 3600, `u${++calls}`) });
    await until('connected', () => scripted.sockets.length === 1 && client?.state === 'open');
    scripted.sockets[0].terminate();
    await until('reconnected', () => scripted.sockets.length === 2 && client?.state === 'open');
    expect(offered.map((p) => p.split(/,\s*/)[0])).toEqual(['faas-grip', 'faas-grip']);
    expect(offered.map((p) => JSON.parse(Buffer.from(p.split('.')[3], 'base64url').toString()).sub)).toEqual([
      'u1',
      'u2',
    ]);
  });

  it('sends a fresh token over the connection before the current one expires', async () => {
    const now = Math.floor(Date.now() / 1000);
    let calls = 0;
    start({ token: () => jwt(now + (++calls === 1 ? 2 : 3600)), tokenRefreshMs: 1000 });
    await until('an auth frame', () => scripted.received[0]?.some((f) => f.op === 'auth') === true, 5000);
    const auth = scripted.received[0].find((f) => f.op === 'auth') as { token: string };
    expect(JSON.parse(Buffer.from(auth.token.split('.')[1], 'base64url').toString()).exp).toBe(now + 3600);
    expect(scripted.sockets).toHaveLength(1);
  });

  it('reconnects at once with a fresh token after a 4401 close, and after a token-expired frame', async () => {
    let calls = 0;
    const errors: string[] = [];
    start({ token: () => jwt(Math.floor(Date.now() / 1000) + 3600, `u${++calls}`), minReconnectDelayMs: 60_000 });
    client?.on('error', (e) => errors.push(e.code));
    await until('connected', () => client?.state === 'open');
    scripted.sockets[0].close(4401, 'token expired');
    await until('reconnected at once despite a long backoff', () => scripted.sockets.length === 2, 3000);
    await until('open', () => client?.state === 'open');
    scripted.sockets[1].send(frame({ type: 'error', code: 'token-expired', message: 'token expired' }));
    scripted.sockets[1].terminate();
    await until('reconnected again', () => scripted.sockets.length === 3, 3000);
    expect(errors).toEqual(['token-expired', 'token-expired']);
    expect(calls).toBe(3);
  });
});
