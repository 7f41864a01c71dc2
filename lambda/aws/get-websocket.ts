/**
 * Getting a WebSocketContext from a Lambda event by hand: `lambdaGetWebSocket()` keeps the seed's synchronous
 * faas-grip API (GRIP only), `getWebSocket()` is its asynchronous form for both transports. Prefer
 * `webSocketHandler()`, which also maps errors and waits for publishes.
 */

import type { WebSocketContext } from '../core/websocket-context';
import { readGripRequestOrThrow, readGripRequestSync } from '../grip/io/read-grip-request';
import type { NativeDeps } from '../native/native-deps';
import { loadNative } from '../native-loader';
import { eventKind } from './event-kind';
import { type GripWebSocketContext, getGripWebSocketContext } from './http-event';

/**
 * The context of a WebSocket-over-HTTP request (REST v1, HTTP API v2 or function URL event), configured from
 * the environment (GRIP_URL, GRIP_PROXIES, GRIP_PREFIX...). `Grip-Sig` is always verified first, as every entry
 * point does (configure a verify key, or set GRIP_SIG_VERIFY=off explicitly). `ws.toResponse()` gives the Lambda
 * result.
 *
 * @throws NotWebSocketOverHttpError when the event is not a WebSocket-over-HTTP request.
 * @throws GripSignatureError when `Grip-Sig` is missing or invalid (answer 401).
 * @throws GripConfigError when the configuration is malformed, uses GRIP_SECRET_ARN (use getWebSocket()), or
 *   verification is on and no verify key is configured.
 * @example
 * exports.handler = async (event) => {
 *   let ws;
 *   try { ws = lambdaGetWebSocket(event); }
 *   catch (err) { return { statusCode: 400, headers: { 'Content-Type': 'text/plain' }, body: 'Not a WebSocket-over-HTTP request\n' }; }
 *   if (ws.isOpening()) { ws.accept(); ws.subscribe('room'); }
 *   while (ws.canRecv()) { const message = ws.recv(); if (message === null) { ws.close(); break; } ws.send(message); }
 *   return ws.toResponse();
 * };
 */
export function lambdaGetWebSocket(event: unknown): GripWebSocketContext {
  const { request, config } = readGripRequestSync(event);
  return getGripWebSocketContext(request, { prefix: config.prefix });
}

/** Options of {@link getWebSocket}. */
export interface GetWebSocketOptions {
  /** Collaborators of the native transport. @default - created from the environment */
  readonly native?: NativeDeps;
}

/**
 * The context of a WebSocket-over-HTTP request or of an API Gateway WebSocket event. On GRIP, `Grip-Sig` is
 * always verified (configure a verify key, or set GRIP_SIG_VERIFY=off explicitly). Finish with
 * `return await ws.finish()`, which commits the effects and gives the Lambda result.
 *
 * @throws NotWebSocketOverHttpError, GripSignatureError, GripConfigError as {@link lambdaGetWebSocket}.
 * @example
 * export const handler = async (event) => {
 *   const ws = await getWebSocket(event);
 *   if (ws.isOpening()) ws.accept();
 *   return ws.finish();
 * };
 */
export async function getWebSocket(event: unknown, options: GetWebSocketOptions = {}): Promise<WebSocketContext> {
  if (eventKind(event) === 'native') {
    const { createNativeContext } = await loadNative();
    return createNativeContext(event, options.native);
  }
  const { request, config } = await readGripRequestOrThrow(event);
  return getGripWebSocketContext(request, { prefix: config.prefix });
}
