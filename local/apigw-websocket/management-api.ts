/**
 * The API Gateway management API (`@connections`) of an emulated WebSocket stage, shaped so the unchanged
 * `@aws-sdk/client-apigatewaymanagementapi` client works against `http://<host>:<port>/<stage>`:
 * POST sends, GET describes, DELETE disconnects. Unknown, closed and not-yet-connected ids get 410 GoneException
 * (API Gateway refuses posts while `$connect` runs); posts over 128 KB get 413 PayloadTooLargeException.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_NATIVE_MESSAGE_BYTES } from '../../lambda/native/management';
import type { SigningCredentials } from '../../lambda/native/sigv4';
import { readBody, sendJson } from '../support/http-io';
import { verifySigV4 } from './sigv4-verify';

/** API Gateway's limit on a message posted to a connection (the runtime's). */
export const MAX_POST_BYTES = MAX_NATIVE_MESSAGE_BYTES;

/** A connection as the management API sees it. */
export interface ManagedConnection {
  readonly connectedAt: number;
  readonly lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** True once `$connect` has returned and until the socket closes. */
  readonly open: boolean;
  /** Sends one text message to the client. */
  send(data: Buffer): void;
  /** Closes the connection (DeleteConnection). */
  disconnect(): void;
}

/** What the management API needs from the emulator. */
export interface ManagementApiTarget {
  readonly stage: string;
  lookup(connectionId: string): ManagedConnection | undefined;
  /** When set, every request must be SigV4-signed with these credentials, as on AWS (403 otherwise). */
  readonly credentials?: Pick<SigningCredentials, 'accessKeyId' | 'secretAccessKey'>;
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-ErrorType': type });
}

/**
 * Answers `req` if it is a management API request (`/{stage}/@connections/{id}`); returns false otherwise, leaving
 * the response untouched.
 */
export async function handleManagementRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ManagementApiTarget,
): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0];
  // `@` as sent by the SDK v3 client, or percent-encoded (`%40`) as other clients and the v2 SDK may send it.
  const match = /^\/([^/]+)\/(?:@|%40)connections\/([^/]+)$/i.exec(path);
  if (!match) return false;
  if (decodeURIComponent(match[1]) !== target.stage) {
    req.resume();
    error(res, 403, 'ForbiddenException', 'Forbidden');
    return true;
  }
  const connectionId = decodeURIComponent(match[2]);
  const body = await readBody(req, MAX_POST_BYTES);
  const connection = target.lookup(connectionId);
  const method = req.method ?? 'GET';
  if (!['POST', 'GET', 'DELETE'].includes(method)) {
    error(res, 403, 'ForbiddenException', `${method} is not supported on @connections; use POST, GET or DELETE`);
    return true;
  }
  if (method === 'POST' && body === undefined) {
    error(res, 413, 'PayloadTooLargeException', `Message too long: the limit is ${MAX_POST_BYTES} bytes`);
    return true;
  }
  if (target.credentials) {
    const received = { method, path, headers: req.headers, body: body ?? Buffer.alloc(0) };
    const refusal = await verifySigV4(received, target.credentials);
    if (refusal) {
      error(res, refusal.status, refusal.type, refusal.message);
      return true;
    }
  }
  if (!connection?.open) {
    error(res, 410, 'GoneException', `connection ${connectionId} is not connected`);
    return true;
  }
  if (method === 'POST') {
    connection.send(body ?? Buffer.alloc(0));
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  } else if (method === 'GET') {
    const identity: Record<string, string> = { sourceIp: connection.sourceIp };
    if (connection.userAgent !== undefined) identity.userAgent = connection.userAgent;
    sendJson(res, 200, {
      connectedAt: new Date(connection.connectedAt).toISOString(),
      identity,
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    });
  } else {
    connection.disconnect();
    res.writeHead(204);
    res.end();
  }
  return true;
}
