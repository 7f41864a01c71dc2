/**
 * `webSocketHandler()`: the recommended entry point. One user function serves WebSocket connections held by a
 * GRIP proxy (WebSocket-over-HTTP through API Gateway REST, HTTP API or a function URL) and by an API Gateway
 * WebSocket API, and failures are mapped to answers in one place.
 */
import { MetricName, WEBSOCKET_EVENTS_CONTENT_TYPE } from '../contract';
import { authenticate } from '../core/authentication';
import { withInvocationDeadline } from '../core/deadline';
import { logger } from '../core/logger';
import { countMetric, flushMetrics } from '../core/metrics';
import { withPublishTracking } from '../core/publish';
import { withSettingsScope } from '../core/settings';
import type { WebSocketContext } from '../core/websocket-context';
import { GripRefusalText, openGripWebSocket, readGripRequest } from '../grip/io/read-grip-request';
import {
  decodeWebSocketEvents,
  encodeCloseContent,
  encodeWebSocketEvents,
  type WebSocketEventInput,
} from '../grip/websocket-events';
import type { NativeContext, NativeResult, PendingDeliveryResult, ShardResult } from '../native';
import type { NativeDeps } from '../native/native-deps';
import { loadNative } from '../native-loader';
import { eventKind, type FanOutShardEvent, type PendingDeliveryEvent } from './event-kind';
import {
  EventVersion,
  getGripWebSocketContext,
  type HttpRequest,
  type HttpResult,
  plainTextResult,
  toHttpResult,
} from './http-event';

/** The user's code: reads and acts on the connection through `ws`. May be async; its result is ignored. */
export type WebSocketHandlerFunction<E = unknown> = (ws: WebSocketContext, event: E) => void | Promise<void>;

/** Options of {@link webSocketHandler}. */
export interface WebSocketHandlerOptions {
  /**
   * Collaborators of the native transport (DynamoDB store, management client, endpoint); also used by the
   * `publish()` calls the function makes.
   * @default - created from the environment (`FAAS_GRIP_CONNECTION_TABLE`, `FAAS_GRIP_MANAGEMENT_ENDPOINT`)
   */
  readonly native?: NativeDeps;
}

/** What the returned Lambda handler resolves to: the proxy result, the WebSocket route result, or a delivery report. */
export type WebSocketHandlerResult = HttpResult | NativeResult | PendingDeliveryResult | ShardResult;

/** The close code sent when the user function throws: 1011, "the server met an unexpected condition". */
export const HANDLER_ERROR_CLOSE_CODE = 1011;
const HANDLER_ERROR_REASON = 'internal error';

/**
 * Wraps a function into a Lambda handler for both transports.
 *
 * GRIP requests: the configuration is loaded (GRIP_URL, GRIP_PROXIES or GRIP_SECRET_ARN), `Grip-Sig` is verified
 * before the function runs (401 otherwise, counted as `SignatureRejected`), anything that is not
 * WebSocket-over-HTTP gets 400, and `body: null` (keep-alive, refresh) is a request without events.
 * API Gateway WebSocket events: the context's effects are committed when the function returns.
 *
 * Every `publish()` started by the function, awaited or not, has settled before the handler answers; a failed
 * one is logged with each target's cause and counted (`PublishErrors`) but does not change the answer.
 *
 * When the function throws (or leaves the context in a state that cannot be answered), the error is logged,
 * counted (`HandlerErrors`) and none of the context's effects are kept: on GRIP the connection is closed with
 * 1011 (an opening request gets OPEN then CLOSE 1011, so the client sees the code instead of a failed
 * handshake); on the native transport `$connect` is refused with 500 and nothing is stored, a message closes the
 * connection, and `$disconnect` still removes the connection's state.
 *
 * @example
 * export const handler = webSocketHandler(async (ws) => {
 *   if (ws.isOpening()) { ws.accept(); ws.subscribe('room'); }
 *   while (ws.canRecv()) {
 *     const message = ws.recv();
 *     if (message === null) break;
 *     await publish('room', new WebSocketMessageFormat(message));
 *   }
 * });
 */
export function webSocketHandler<E = unknown>(
  fn: WebSocketHandlerFunction<E>,
  options: WebSocketHandlerOptions = {},
): (event: E, context?: unknown) => Promise<WebSocketHandlerResult> {
  // Every outbound call made for this event ends by the invocation's deadline (./deadline.ts).
  return (event: E, context?: unknown) =>
    withInvocationDeadline(context, () =>
      withSettingsScope(async () => {
        try {
          const deps = options.native ?? {};
          switch (eventKind(event)) {
            case 'grip-http':
              return await handleGrip(fn, event, deps);
            case 'native':
              return await handleNative(fn, event, deps);
            case 'pending-delivery': {
              const { deliverPending } = await loadNative();
              return await deliverPending(event as PendingDeliveryEvent, deps);
            }
            case 'fan-out-shard': {
              // A failure rejects: Lambda retries the shard, then sends it to the on-failure destination.
              const { runShard } = await loadNative();
              return await runShard(event as FanOutShardEvent, deps);
            }
            default:
              logger.warn('event is neither an HTTP nor an API Gateway WebSocket event');
              return plainTextResult(EventVersion.REST_V1, 400, GripRefusalText.NOT_WEBSOCKET_OVER_HTTP);
          }
        } finally {
          flushMetrics();
        }
      }),
    );
}

async function handleGrip<E>(fn: WebSocketHandlerFunction<E>, event: E, deps: NativeDeps): Promise<HttpResult> {
  const read = await readGripRequest(event);
  if (!read.ok) return read.refusal;
  const opening = openGripWebSocket(read);
  if (!opening.ok) return opening.refusal;
  const { ws } = opening;
  countInbound(ws);
  try {
    const allowed = authenticate(ws, read.config.verify.enabled);
    if (!(allowed instanceof Promise ? await allowed : allowed)) return ws.toResponse();
    return await withPublishTracking(async () => {
      await fn(ws, event);
      return ws.toResponse();
    }, deps);
  } catch (error) {
    handlerFailed(error, ws);
    return gripAfterError(read.request, read.config.prefix);
  }
}

/**
 * The answer after a failure on GRIP: a fresh context of the request closed with 1011 (OPEN first on an opening
 * request). When even that cannot be answered (meta the request came with over the size caps, PONG answers over the
 * body limit), the bare events are sent without anything the context would add: this path never throws.
 */
function gripAfterError(req: HttpRequest, prefix: string): HttpResult {
  try {
    const fresh = getGripWebSocketContext(req, { prefix });
    if (fresh.isOpening()) fresh.accept();
    if (!fresh.disconnected && !fresh.peerClose) fresh.close(HANDLER_ERROR_CLOSE_CODE, HANDLER_ERROR_REASON);
    return fresh.toResponse();
  } catch (error) {
    logger.error('the request cannot be answered from its context: closing with 1011 without it', { error });
    let types: string[] = [];
    try {
      types = decodeWebSocketEvents(req.body).map((e) => e.type);
    } catch {
      // Decoded once already; an empty list closes the connection all the same.
    }
    const opening = types[0] === 'OPEN';
    const events: WebSocketEventInput[] = opening ? [{ type: 'OPEN' }] : [];
    if (!types.includes('DISCONNECT')) {
      events.push({ type: 'CLOSE', content: encodeCloseContent(HANDLER_ERROR_CLOSE_CODE, HANDLER_ERROR_REASON) });
    }
    const headers: Record<string, string> = { 'Content-Type': WEBSOCKET_EVENTS_CONTENT_TYPE };
    if (opening) headers['Sec-WebSocket-Extensions'] = 'grip';
    return toHttpResult(req.version, { statusCode: 200, headers, body: encodeWebSocketEvents(events) });
  }
}

async function handleNative<E>(fn: WebSocketHandlerFunction<E>, event: E, deps: NativeDeps): Promise<NativeResult> {
  let ws: NativeContext;
  try {
    const { createNativeContext } = await loadNative();
    ws = await createNativeContext(event, deps);
  } catch (error) {
    logger.error('cannot read the connection of an API Gateway WebSocket event', { error });
    return { statusCode: 500, body: 'internal error' };
  }
  countInbound(ws);
  try {
    if (!(await authenticate(ws))) return await ws.finish();
    return await withPublishTracking(async () => {
      await fn(ws, event);
      return ws.finish();
    }, deps);
  } catch (error) {
    handlerFailed(error, ws);
    return nativeAfterError(ws, event, deps);
  }
}

/** Keeps the native state consistent after a failure: nothing half-stored, the connection closed or cleaned up. */
async function nativeAfterError<E>(ws: WebSocketContext, event: E, deps: NativeDeps): Promise<NativeResult> {
  try {
    const native = await loadNative();
    if (ws.isOpening()) {
      await native.discardConnection(ws.id, deps);
      return { statusCode: 500, body: 'internal error' };
    }
    const fresh = await native.createNativeContext(event, deps);
    if (!fresh.disconnected) fresh.close(HANDLER_ERROR_CLOSE_CODE, HANDLER_ERROR_REASON);
    return await fresh.finish();
  } catch (error) {
    logger.error('cleaning up after the handler error failed; the connection item expires with its TTL', {
      connectionId: ws.id,
      error,
    });
    return { statusCode: 500, body: 'internal error' };
  }
}

function handlerFailed(error: unknown, ws: WebSocketContext): void {
  countMetric(MetricName.HANDLER_ERRORS);
  logger.error('websocket handler failed: closing the connection with 1011', {
    transport: ws.transport.name,
    connectionId: ws.id,
    opening: ws.isOpening(),
    error,
  });
}

function countInbound(ws: WebSocketContext): void {
  countMetric(MetricName.MESSAGES_HANDLED, ws.inbound.filter((e) => e.type === 'TEXT' || e.type === 'BINARY').length);
}
