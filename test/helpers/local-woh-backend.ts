/**
 * A tiny WebSocket-over-HTTP backend for Pushpin tests, written from the GRIP spec: OPEN is accepted with the grip
 * extension and a subscribe control message for the channel named by the last path segment, TEXT is echoed back
 * (with the `m:` prefix), CLOSE is answered with CLOSE. Every `Grip-Sig` header is recorded.
 */
import { createServer, type Server } from 'node:http';
import { listen, stopServer } from '../../local/support/http-io';

interface Event {
  readonly type: string;
  readonly content?: Buffer;
}

function parseEvents(body: Buffer): Event[] {
  const events: Event[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    const [type, size] = body.subarray(at, lineEnd).toString('latin1').split(' ');
    at = lineEnd + 2;
    if (size === undefined) {
      events.push({ type });
      continue;
    }
    const length = Number.parseInt(size, 16);
    events.push({ type, content: body.subarray(at, at + length) });
    at += length + 2;
  }
  return events;
}

function encode(type: string, content?: Buffer | string): Buffer {
  if (content === undefined) return Buffer.from(`${type}\r\n`);
  const bytes = Buffer.from(content);
  return Buffer.concat([Buffer.from(`${type} ${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

/** Headers of a WebSocket-over-HTTP answer that accepts the grip extension. */
export const WOH_HEADERS = { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip' };

/** The answer to a request body: subscribe on OPEN (channel = last path segment), echo TEXT, answer CLOSE. */
export function answerEvents(path: string, body: Buffer): Buffer {
  const channel = path.split('?')[0].split('/').pop() ?? 'test';
  const out: Buffer[] = [];
  for (const event of parseEvents(body)) {
    if (event.type === 'OPEN') {
      out.push(encode('OPEN'), encode('TEXT', `c:${JSON.stringify({ type: 'subscribe', channel })}`));
    } else if (event.type === 'TEXT') {
      out.push(encode('TEXT', Buffer.concat([Buffer.from('m:'), event.content ?? Buffer.alloc(0)])));
    } else if (event.type === 'CLOSE') {
      out.push(encode('CLOSE', event.content));
    }
  }
  return Buffer.concat(out);
}

/** A running backend. */
export interface WohBackend {
  readonly target: string;
  readonly gripSigs: string[];
  stop(): Promise<void>;
}

/** Starts the backend on a free port. */
export async function startWohBackend(): Promise<WohBackend> {
  const gripSigs: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      gripSigs.push(String(req.headers['grip-sig'] ?? ''));
      res.writeHead(200, WOH_HEADERS);
      res.end(answerEvents(req.url ?? '/', Buffer.concat(chunks)));
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    target: `127.0.0.1:${port}`,
    gripSigs,
    stop: () => stopServer(server),
  };
}
