/**
 * The SSE client against a scripted server (a real HTTP server writing Server-Sent Events as the stream example
 * does): events split across chunks, CRLF and multi-line data, bytes events and comments; a reconnect that sends the
 * last position as Last-Event-ID and drops the duplicate the server repeats; 5xx retried, other refusals ending the
 * stream with a typed error, a 401 retried once with a fresh token.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ChannelMessage, ChannelStream, type ChannelStreamError } from '../../client';
import { until } from '../helpers/until';

type Script = (req: IncomingMessage, res: ServerResponse, request: number) => void;

let server: Server;
let url: string;
let script: Script;
const requests: IncomingMessage[] = [];
let stream: ChannelStream | undefined;

beforeEach(async () => {
  requests.length = 0;
  server = createServer((req, res) => {
    requests.push(req);
    script(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream/room`;
});

afterEach(async () => {
  stream?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const sse = (res: ServerResponse) => res.writeHead(200, { 'Content-Type': 'text/event-stream' });
const seen = (s: ChannelStream) => {
  const out = { messages: [] as ChannelMessage[], errors: [] as ChannelStreamError[], states: [] as string[] };
  s.on('message', (m) => out.messages.push(m));
  s.on('error', (e) => out.errors.push(e));
  s.on('state', (state) => out.states.push(state));
  return out;
};

test('parses events split across chunks, CRLF, multi-line data, bytes and comments', async () => {
  script = (_req, res) => {
    sse(res);
    res.write(': stream opened\n\n');
    res.write('id: E1:1\r\ndata: li');
    res.write('ne one\r\ndata: line two\r\n\r\n');
    res.write(':\n\nid: E1:2\nevent: bytes\ndata: AAEC/w==\n\n');
    res.write('id: E1:3\ndata:no space\n\n');
    // A CRLF split between chunks is one line end, not two.
    res.write('id: E1:4\r');
    setTimeout(() => res.write('\ndata: x\r'), 20);
    setTimeout(() => res.write('\n\r\n'), 40);
  };
  stream = new ChannelStream(url);
  const out = seen(stream);
  await until('four messages', () => out.messages.length === 4);
  expect(out.messages).toEqual([
    { channel: 'room', epoch: 'E1', offset: 1, data: 'line one\nline two' },
    { channel: 'room', epoch: 'E1', offset: 2, data: new Uint8Array([0, 1, 2, 255]) },
    { channel: 'room', epoch: 'E1', offset: 3, data: 'no space' },
    { channel: 'room', epoch: 'E1', offset: 4, data: 'x' },
  ]);
  expect(requests[0].headers.accept).toBe('text/event-stream');
  expect(requests[0].url).toBe('/stream/room');
});

test('reconnects from its position (lastEventId) after the stream ends, and drops what it already has', async () => {
  script = (req, res, request) => {
    sse(res);
    if (request === 1) {
      res.end('id: E1:1\ndata: a\n\nid: E1:2\ndata: b\n\n');
      return;
    }
    // The server repeats the last one (as a proxy may after a gap fill), then goes on.
    expect(new URL(req.url ?? '', 'http://x').searchParams.get('lastEventId')).toBe('E1:2');
    res.write('id: E1:2\ndata: b\n\nid: E1:3\ndata: c\n\n');
  };
  stream = new ChannelStream(url, { minReconnectDelayMs: 20 });
  const out = seen(stream);
  await until('c', () => out.messages.some((m) => m.data === 'c'));
  expect(out.messages.map((m) => m.data)).toEqual(['a', 'b', 'c']);
  expect(out.states).toEqual(['open', 'reconnecting', 'open']);
  expect(stream.position()).toEqual({ epoch: 'E1', offset: 3 });
});

test('retries a 5xx with backoff; ends on a 403 or 400 with a typed error', async () => {
  script = (_req, res, request) => {
    if (request === 1) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(request === 2 ? 403 : 400).end();
  };
  stream = new ChannelStream(url, { minReconnectDelayMs: 20 });
  const out = seen(stream);
  await until('the refusal', () => out.errors.length > 0);
  expect(requests).toHaveLength(2);
  expect(out.errors).toEqual([{ code: 'forbidden', status: 403, message: 'the request was refused with 403' }]);
  expect(stream.state).toBe('closed');
});

test('sends the token as a bearer header or a query parameter, and retries a 401 once with a fresh one', async () => {
  let tokens = 0;
  script = (req, res, request) => {
    if (request === 1) {
      res.writeHead(401).end();
      return;
    }
    sse(res);
    res.write(`id: E1:1\ndata: ${req.headers.authorization}\n\n`);
  };
  stream = new ChannelStream(url, { token: () => `t${++tokens}` });
  const out = seen(stream);
  await until('the message', () => out.messages.length === 1);
  expect(out.messages[0].data).toBe('Bearer t2');
  stream.close();

  script = (req, res) => res.writeHead(401).end(req.url);
  requests.length = 0;
  stream = new ChannelStream(url, { token: () => 'stale', tokenParameter: 'access_token' });
  const refused = seen(stream);
  await until('unauthorized', () => refused.errors.length > 0);
  expect(requests.map((r) => r.url)).toEqual(['/stream/room?access_token=stale', '/stream/room?access_token=stale']);
  expect(requests[0].headers.authorization).toBeUndefined();
  expect(refused.errors[0]).toMatchObject({ code: 'unauthorized', status: 401 });
});

test('takes a new stream’s opening id as its position, delivering nothing for it', async () => {
  script = (req, res, request) => {
    sse(res);
    if (request === 1) {
      res.end(': stream opened\n\nid: E1:7\n\n');
      return;
    }
    res.write(`id: E1:8\ndata: ${new URL(req.url ?? '', 'http://x').searchParams.get('lastEventId')}\n\n`);
  };
  stream = new ChannelStream(url, { minReconnectDelayMs: 20 });
  const out = seen(stream);
  await until('the message', () => out.messages.length === 1);
  // The reconnect (before any message) resumed from the opening position, not from a later head.
  expect(out.messages).toEqual([{ channel: 'room', epoch: 'E1', offset: 8, data: 'E1:7' }]);
});

test('ends with not-durable for an answer that is not an event stream, or an event without a position', async () => {
  script = (_req, res, request) => {
    if (request === 1) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
      return;
    }
    sse(res);
    res.write('data: no id\n\n');
  };
  stream = new ChannelStream(url);
  const plain = seen(stream);
  await until('the error', () => plain.errors.length > 0);
  expect(plain.errors[0]).toMatchObject({ code: 'not-durable' });
  stream = new ChannelStream(url);
  const anonymous = seen(stream);
  await until('the second error', () => anonymous.errors.length > 0);
  expect(anonymous.errors[0]).toMatchObject({ code: 'not-durable' });
  expect(requests).toHaveLength(2);
});

test('a token valid for a year is not refreshed at once (a timer cannot wait that long)', async () => {
  const payload = Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 365 * 24 * 3600 })).toString(
    'base64url',
  );
  script = (_req, res) => {
    sse(res);
    res.write('id: E1:1\ndata: a\n\n');
  };
  stream = new ChannelStream(url, { token: () => `h.${payload}.s` });
  const out = seen(stream);
  await until('the message', () => out.messages.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(requests).toHaveLength(1);
});

test('a listener that throws does not keep a refused stream alive (its error is rethrown, not swallowed)', async () => {
  script = (_req, res) => res.writeHead(403).end();
  // In a process of its own: the rethrown error is an uncaught exception there, as in an application.
  const program = `
    const { ChannelStream } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'client', 'index.js'))});
    const thrown = [];
    process.on('uncaughtException', (e) => thrown.push(e.message));
    const stream = new ChannelStream(${JSON.stringify(url)}, { minReconnectDelayMs: 10 });
    stream.on('error', () => { throw new Error('a listener bug'); });
    setTimeout(() => { console.log(JSON.stringify({ state: stream.state, thrown })); process.exit(0); }, 400);
  `;
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', program], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  expect(JSON.parse(output)).toEqual({ state: 'closed', thrown: ['a listener bug'] });
  expect(requests).toHaveLength(1);
});

test('says when requests keep failing without an answer, and goes on trying', async () => {
  // A port nothing listens on (the server's, closed).
  const closed = url;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stream = new ChannelStream(closed, { minReconnectDelayMs: 5, maxReconnectDelayMs: 5 });
  const out = seen(stream);
  await until('the report', () => out.errors.length > 0);
  expect(out.errors).toEqual([expect.objectContaining({ code: 'network' })]);
  expect(out.errors[0].message).toMatch(/^3 requests in a row failed .*still trying/);
  expect(stream.state).toBe('reconnecting');
});
