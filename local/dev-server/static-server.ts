/**
 * The dev server's page server: the chat page on `GET /`, its script, the client library (`GET /client.mjs`, the
 * package's `faas-grip-cdk/client`), and `GET /config`, a small JSON
 * document that tells the page where the WebSocket endpoints are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listen, stopServer } from '../support/http-io';

/** What `GET /config` returns to the chat page. */
export interface ChatPageConfig {
  /** WebSocket URL per transport; a transport that is off is absent. */
  readonly transports: { readonly native?: string; readonly grip?: string };
  /** One line shown under the chat, such as how to turn GRIP on. */
  readonly hint?: string;
  /**
   * The development identity provider the page signs users in with (authorization code with PKCE), when sign-in
   * is on: connections then carry the user's ID token.
   */
  readonly auth?: {
    readonly issuer: string;
    readonly clientId: string;
    readonly authorizationEndpoint: string;
    readonly tokenEndpoint: string;
    /** Channels open only to listed users, to show on the page. */
    readonly privateChannels: Readonly<Record<string, readonly string[]>>;
  };
  /** The application-level heartbeat the page sends to stay inside API Gateway's 10-minute idle limit. */
  readonly heartbeat: {
    /** The text the page sends; the handler answers it with nothing. */
    readonly command: string;
    /** Interval in milliseconds. */
    readonly intervalMs: number;
  };
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** The document served on `GET /config` (read on every request: it may be completed after the server starts). */
  readonly config: () => ChatPageConfig;
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  readonly host?: string;
}

/** A running page server. */
export interface StaticServer {
  /** `http://host:port/`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

/** The page's security headers; `connect` adds origins the page may fetch from (the identity provider's). */
function securityHeaders(connect: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
      `connect-src 'self' ws: wss:${connect.map((origin) => ` ${origin}`).join('')}`,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/** Finds a page file: next to this module (source tree, or dist when the build copied it), else in the source tree. */
function readAsset(name: string): Buffer {
  // Next to this file in the sources; from compiled or bundled code (dist/local/dev-server, a bundle of bin/), the
  // package's local/dev-server folder found upwards.
  const candidates = [join(__dirname, name)];
  for (let up = 1; up <= 4; up++) {
    candidates.push(join(__dirname, ...Array<string>(up).fill('..'), 'local', 'dev-server', name));
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(`chat page file ${name} not found next to the dev server; rebuild the package (npm run build)`);
  }
  return readFileSync(found);
}

/** The client library's ES module (dist/esm/client/index.mjs of the package), found upwards from this module. */
function readClientModule(): Buffer {
  for (let up = 1; up <= 4; up++) {
    const candidate = join(__dirname, ...Array<string>(up).fill('..'), 'dist', 'esm', 'client', 'index.mjs');
    if (existsSync(candidate)) return readFileSync(candidate);
  }
  throw new Error('the client module dist/esm/client/index.mjs was not found; build the package (npm run build)');
}

/** Starts the page server. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const files: Record<string, { type: string; body: () => Buffer }> = {
    '/': { type: 'text/html; charset=utf-8', body: constant(readAsset('chat-page.html')) },
    '/chat-page.js': { type: 'text/javascript; charset=utf-8', body: constant(readAsset('chat-page.js')) },
    '/client.mjs': { type: 'text/javascript; charset=utf-8', body: constant(readClientModule()) },
    '/config': { type: 'application/json', body: () => Buffer.from(JSON.stringify(options.config())) },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    const found = files[path === '/index.html' ? '/' : path];
    const file = found && { type: found.type, body: found.body() };
    const issuer = options.config().auth?.issuer;
    const SECURITY_HEADERS = securityHeaders(issuer === undefined ? [] : [new URL(issuer).origin]);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    } else if (file === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    } else {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    }
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  return { url: `http://${formatHost(host)}:${port}/`, port, stop: () => stopServer(server) };
}

function constant(body: Buffer): () => Buffer {
  return () => body;
}

/** Host part of a URL: IPv6 addresses in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
