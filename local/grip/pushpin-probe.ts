/**
 * Readiness of a starting Pushpin instance. Pushpin's processes connect their internal ZMQ sockets lazily, and a
 * request that needs a socket not yet connected fails (502, or 500 `Accept service unavailable.`), so readiness
 * exercises each path a client takes, every probe with a short timeout, all retried until the deadline:
 * - the publish socket accepting a connection (the handler's private IPC socket);
 * - a plain request that the backend holds as a GRIP stream (client port -> proxy -> zurl -> backend, then the
 *   proxy's hand-off of the request to the handler, which answers the client);
 * - a WebSocket handshake over HTTP with the GRIP extension (the proxy's WebSocket-over-HTTP path).
 * Probe requests carry a Host of their own, routed to a tiny backend in this process, so they never reach the user's.
 */
import { createServer, request } from 'node:http';
import WebSocket from 'ws';
import { WEBSOCKET_EVENTS_CONTENT_TYPE } from '../../lambda/grip/grip-response';
import { listen, readBody, stopServer } from '../support/http-io';

/** What {@link waitUntilReady} needs. */
export interface ReadinessInput {
  readonly httpUrl: string;
  /** Resolves whether the publish path is up (tried again until it is). */
  readonly publishReady: () => Promise<boolean>;
  /** Host header of the route that leads to the {@link ProbeBackend}. */
  readonly probeHost: string;
  readonly timeoutMs: number;
  readonly exited: () => boolean;
  readonly spawnError: Promise<Error>;
}

/** The backend of the probe route. */
export interface ProbeBackend {
  readonly port: number;
  stop(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 1_000;
const RETRY_DELAY_MS = 50;
const PROBE_CHANNEL = 'faas-grip-probe';

/**
 * Starts the probe backend on 127.0.0.1: a WebSocket-over-HTTP OPEN is accepted with the GRIP extension and a CLOSE
 * echoed (other events get no answer events); any other request is held as a GRIP stream.
 */
export async function startProbeBackend(): Promise<ProbeBackend> {
  const server = createServer((req, res) => {
    readBody(req).then(
      (body = Buffer.alloc(0)) => {
        if (!req.headers['content-type']?.startsWith(WEBSOCKET_EVENTS_CONTENT_TYPE)) {
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': PROBE_CHANNEL });
          res.end('probe\n');
          return;
        }
        const events = body.toString('latin1');
        res.writeHead(200, { 'Content-Type': WEBSOCKET_EVENTS_CONTENT_TYPE, 'Sec-WebSocket-Extensions': 'grip' });
        res.end(events.startsWith('OPEN') ? 'OPEN\r\n' : events.startsWith('CLOSE') ? body : '');
      },
      () => res.destroy(),
    );
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    port,
    stop: () => stopServer(server),
  };
}

/** Resolves the response status (0 on failure); the response itself is not read. */
function probe(url: string, method: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, timeout: PROBE_TIMEOUT_MS }, (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Resolves whether a WebSocket handshake with `Host: host` completed. */
function probeWebSocket(httpUrl: string, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(httpUrl.replace(/^http/, 'ws'), {
      headers: { Host: host },
      handshakeTimeout: PROBE_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    ws.on('open', () => {
      resolve(true);
      ws.terminate();
    });
    ws.on('unexpected-response', () => {
      resolve(false);
      ws.terminate();
    });
    ws.on('error', () => resolve(false));
  });
}

async function ready(input: ReadinessInput): Promise<boolean> {
  if (!(await input.publishReady())) return false;
  const held = await probe(`${input.httpUrl}/`, 'GET', { Host: input.probeHost });
  return held === 200 && (await probeWebSocket(input.httpUrl, input.probeHost));
}

/** Resolves `undefined` once the instance is ready, or the reason it will not be. */
export async function waitUntilReady(input: ReadinessInput): Promise<string | undefined> {
  let spawnFailure: Error | undefined;
  void input.spawnError.then((error) => {
    spawnFailure = error;
  });
  const deadline = Date.now() + input.timeoutMs;
  while (Date.now() < deadline) {
    if (spawnFailure) return `it could not be run: ${spawnFailure.message}`;
    if (input.exited()) return 'the process exited during start-up';
    if (await ready(input)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
  }
  return `not ready after ${input.timeoutMs} ms`;
}
