/**
 * A JWT gate in front of a GRIP publish API. Pushpin checks no credentials on publish; Fanout does. The gate
 * accepts only `Authorization: Bearer <JWT>` signed HS256 with the shared key, carrying the pinned issuer and an
 * expiry (`exp`), answers 401 otherwise, and refuses requests a web page made (403, browser-guard.ts). Accepted
 * requests go to the upstream: forwarded unchanged (minus the Authorization header) to an HTTP publish API, or, for
 * a {@link PublishSink} (the Pushpin launcher's private socket), the body's `items` handed over.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import jwt from 'jsonwebtoken';
import { refuseBrowserRequest } from '../support/browser-guard';
import { listen, readBody, stopServer } from '../support/http-io';

/** Largest publish body the gate reads, as Pushpin's HTTP publish API (`push_in_http_max_body_size`). */
export const MAX_PUBLISH_BODY_BYTES = 1_000_000;

/** Where a gate hands accepted publish items when there is no HTTP publish API behind it. */
export interface PublishSink {
  /** Publishes the items of one `POST /publish/` (GRIP publish items: `channel`, `formats`, ...). */
  publish(items: readonly Readonly<Record<string, unknown>>[]): Promise<void>;
}

/** Options of {@link startPublishGate}. */
export interface PublishGateOptions {
  /** The publish API to protect: the base URL of an HTTP publish API, or a {@link PublishSink}. */
  readonly upstream: string | PublishSink;
  /** The issuer tokens must carry. */
  readonly iss: string;
  /** The HS256 key (a string is used as its UTF-8 bytes). */
  readonly key: string | Uint8Array;
  /** Port to listen on; default 0 (a free port). */
  readonly port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
}

/** A running gate. */
export interface PublishGate {
  /** The gate's base URL: a GRIP control URI (publish goes to `<url>/publish/`). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function refuse(res: ServerResponse, reason: string): void {
  const body = `${reason}\n`;
  res.writeHead(401, {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(body),
    'WWW-Authenticate': 'Bearer',
  });
  res.end(body);
}

/** Why `authorization` is refused, or `undefined` when it is a valid token. */
export function checkBearer(authorization: string | undefined, iss: string, key: Buffer): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return 'missing bearer token: send Authorization: Bearer <HS256 JWT with iss and exp>';
  try {
    const claims = jwt.verify(match[1], key, { algorithms: ['HS256'], issuer: iss });
    if (typeof claims !== 'object' || typeof claims.exp !== 'number') {
      return 'invalid token: exp missing; a publish token must expire (set exp)';
    }
    return undefined;
  } catch (error) {
    return `invalid token: ${(error as Error).message}`;
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The `items` of a publish body, or why it is not one. */
export function publishItems(body: Buffer): Array<Record<string, unknown>> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'Invalid format: body is not JSON';
  }
  const items = (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return 'Invalid format: body must be an object with an items array';
  const valid = items.every(
    (item) => typeof item === 'object' && item !== null && typeof (item as { channel?: unknown }).channel === 'string',
  );
  return valid ? (items as Array<Record<string, unknown>>) : 'Invalid format: every item needs a string channel';
}

/** Hands the body's items to `sink`; Pushpin's answers: 200 `Published`, 400 for a body that is not a publish. */
async function toSink(req: IncomingMessage, res: ServerResponse, sink: PublishSink): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'POST' || (path !== '/publish/' && path !== '/publish')) {
    req.resume();
    answer(res, 404, 'Not Found\n');
    return;
  }
  const body = await readBody(req, MAX_PUBLISH_BODY_BYTES);
  if (body === undefined) {
    answer(res, 413, `Request body too large: the limit is ${MAX_PUBLISH_BODY_BYTES} bytes\n`);
    return;
  }
  const items = publishItems(body);
  if (typeof items === 'string') {
    answer(res, 400, `${items}\n`);
    return;
  }
  try {
    await sink.publish(items);
    answer(res, 200, 'Published\n');
  } catch (error) {
    answer(res, 502, `publish failed: ${(error as Error).message}\n`);
  }
}

/** Starts a gate; resolves once it listens. */
export async function startPublishGate(options: PublishGateOptions): Promise<PublishGate> {
  const key = typeof options.key === 'string' ? Buffer.from(options.key, 'utf8') : Buffer.from(options.key);
  const sink = typeof options.upstream === 'string' ? undefined : options.upstream;
  const upstreamText = typeof options.upstream === 'string' ? options.upstream : 'http://sink.invalid';
  const upstream = new URL(upstreamText);
  const upstreamBase = upstream.pathname.replace(/\/$/, '');

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (sink) return toSink(req, res, sink);
    const body = (await readBody(req)) ?? Buffer.alloc(0);
    const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
    delete headers.authorization;
    delete headers.connection;
    await new Promise<void>((resolve) => {
      const out = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: `${upstreamBase}${req.url ?? '/'}`,
          headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
        },
      );
      out.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`publish upstream ${upstreamText} failed: ${error.message}\n`);
        resolve();
      });
      out.end(body);
    });
  };

  const server = createServer((req, res) => {
    if (refuseBrowserRequest(req, res)) return;
    const reason = checkBearer(req.headers.authorization, options.iss, key);
    if (reason) {
      req.resume();
      refuse(res, reason);
      return;
    }
    forward(req, res).catch(() => res.destroy());
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  return {
    url: `http://${host}:${port}`,
    port,
    stop: () => stopServer(server),
  };
}
