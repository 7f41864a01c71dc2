/**
 * A JWT gate in front of Pushpin's publish port. Pushpin checks no credentials on publish; Fanout does. The gate
 * accepts only `Authorization: Bearer <JWT>` signed HS256 with the shared key and carrying the pinned issuer, answers
 * 401 otherwise, and forwards accepted requests to Pushpin unchanged (minus the Authorization header).
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import jwt from 'jsonwebtoken';
import { listen, readBody, stopServer } from './http-io';

/** Options of {@link startPublishGate}. */
export interface PublishGateOptions {
  /** Base URL of the publish API to protect, e.g. Pushpin's `publishUrl`. */
  readonly upstream: string;
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
    jwt.verify(match[1], key, { algorithms: ['HS256'], issuer: iss });
    return undefined;
  } catch (error) {
    return `invalid token: ${(error as Error).message}`;
  }
}

/** Starts a gate; resolves once it listens. */
export async function startPublishGate(options: PublishGateOptions): Promise<PublishGate> {
  const key = typeof options.key === 'string' ? Buffer.from(options.key, 'utf8') : Buffer.from(options.key);
  const upstream = new URL(options.upstream);
  const upstreamBase = upstream.pathname.replace(/\/$/, '');

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
        res.end(`publish upstream ${options.upstream} failed: ${error.message}\n`);
        resolve();
      });
      out.end(body);
    });
  };

  const server = createServer((req, res) => {
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
