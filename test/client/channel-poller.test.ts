/**
 * The long-poll client against a scripted server (a real HTTP server answering as the long-poll example does):
 * each request asks from the last position, answers are delivered once and in order, an empty answer moves the
 * position to the answer's, `recovered: false` reports `notRecovered`, and an answer that is not a durable one ends
 * the poller with `not-durable`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChannelMessage, ChannelPoller, type ChannelStreamError, type NotRecovered } from '../../client';
import { until } from '../helpers/until';

let server: Server;
let url: string;
let answers: Array<(req: IncomingMessage, res: ServerResponse) => void>;
const asked: string[] = [];
let poller: ChannelPoller | undefined;

beforeEach(async () => {
  asked.length = 0;
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const answer = answers.shift();
    if (answer) answer(req, res);
    // Nothing more scripted: hold, as the proxy would, until the test ends.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/poll/room`;
});

afterEach(async () => {
  poller?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (body: Record<string, unknown>) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ fg: 1, channel: 'room', ...body }));
const watch = (p: ChannelPoller) => {
  const out = { messages: [] as ChannelMessage[], errors: [] as ChannelStreamError[], gaps: [] as NotRecovered[] };
  p.on('message', (m) => out.messages.push(m));
  p.on('error', (e) => out.errors.push(e));
  p.on('notRecovered', (n) => out.gaps.push(n));
  return out;
};

test('asks from its position each time, delivers once and in order, and moves on after an empty answer', async () => {
  answers = [
    json({
      recovered: true,
      epoch: 'E1',
      offset: 2,
      messages: [
        { offset: 1, data: 'a' },
        { offset: 2, data64: 'AP8=' },
      ],
    }),
    // A repeat of what it has (as after a retry) and the next one.
    json({
      recovered: true,
      epoch: 'E1',
      offset: 3,
      messages: [
        { offset: 2, data: 'dup' },
        { offset: 3, data: 'c' },
      ],
    }),
    // The proxy's timeout: nothing new, at the head.
    json({ recovered: true, epoch: 'E1', offset: 3, messages: [] }),
  ];
  poller = new ChannelPoller(url);
  const out = watch(poller);
  await until('the fourth request', () => asked.length === 4);
  expect(out.messages).toEqual([
    { channel: 'room', epoch: 'E1', offset: 1, data: 'a' },
    { channel: 'room', epoch: 'E1', offset: 2, data: new Uint8Array([0, 255]) },
    { channel: 'room', epoch: 'E1', offset: 3, data: 'c' },
  ]);
  expect(asked).toEqual([
    '/poll/room?after=0&epoch=',
    '/poll/room?after=2&epoch=E1',
    '/poll/room?after=3&epoch=E1',
    '/poll/room?after=3&epoch=E1',
  ]);
});

test('reports a position it cannot resume from, and goes on from the answer', async () => {
  answers = [
    json({
      recovered: false,
      epoch: 'E2',
      offset: 8,
      messages: [
        { offset: 7, data: 'g' },
        { offset: 8, data: 'h' },
      ],
    }),
  ];
  poller = new ChannelPoller(url, { position: { epoch: 'E1', offset: 40 } });
  const out = watch(poller);
  await until('the next request', () => asked.length === 2);
  expect(out.gaps).toEqual([
    { channel: 'room', previous: { epoch: 'E1', offset: 40 }, position: { epoch: 'E2', offset: 6 } },
  ]);
  expect(out.messages.map((m) => m.data)).toEqual(['g', 'h']);
  expect(asked[1]).toBe('/poll/room?after=8&epoch=E2');
});

test('ends with not-durable for an answer that is not a durable long-poll answer', async () => {
  answers = [(_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('request timed out\n')];
  poller = new ChannelPoller(url);
  const out = watch(poller);
  await until('the error', () => out.errors.length > 0);
  expect(out.errors[0].code).toBe('not-durable');
  expect(poller.state).toBe('closed');
});

test('does not spin on empty answers that come at once (no proxy holding the request)', async () => {
  const times: number[] = [];
  answers = Array.from({ length: 100 }, () => (req: IncomingMessage, res: ServerResponse) => {
    times.push(Date.now());
    json({ recovered: true, epoch: 'E1', offset: 0, messages: [] })(req, res);
  });
  poller = new ChannelPoller(url, { minReconnectDelayMs: 200, maxReconnectDelayMs: 200, random: () => 1 });
  await until('four requests', () => times.length >= 4);
  // Each next request waited the reconnect delay instead of following at once.
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(150);
});
