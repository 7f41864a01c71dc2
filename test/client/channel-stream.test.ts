/**
 * The SSE client against a scripted server (a real HTTP server writing Server-Sent Events as the stream example
 * does): events split across chunks, CRLF and multi-line data, bytes events and comments; a reconnect that sends the
 * last position as Last-Event-ID and drops the duplicate the server repeats; 5xx retried, other refusals ending the
 * stream with a typed error, a 401 retried once with a fresh token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChannelMessage, ChannelStream, type ChannelStreamError } from '../../client';

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
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
  expect(requests[0].headers['last-event-id']).toBeUndefined();
});

test('reconnects with Last-Event-ID after the stream ends, and drops what it already has', async () => {
  script = (req, res, request) => {
    sse(res);
    if (request === 1) {
      res.end('id: E1:1\ndata: a\n\nid: E1:2\ndata: b\n\n');
      return;
    }
    // The server repeats the last one (as a proxy may after a gap fill), then goes on.
    expect(req.headers['last-event-id']).toBe('E1:2');
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
