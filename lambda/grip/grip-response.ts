/**
 * Turns a WebSocketContext into the WebSocket-over-HTTP response a GRIP proxy expects: status 200,
 * `Content-Type: application/websocket-events` and the events, or a plain HTTP refusal of the handshake.
 */
import { MetricName, WEBSOCKET_EVENTS_CONTENT_TYPE } from '../contract';
import { OutputLimitError } from '../core/errors';
import { CONTENT_BYTES_ACCEPTED } from '../core/inbound-limits';
import { logger } from '../core/logger';
import { countMetric } from '../core/metrics';
import {
  handshakeProtocol,
  type OutgoingOperation,
  type WebSocketContext,
  type WebSocketFinisher,
} from '../core/websocket-context';
import { encodeControlMessage, subscribeMessage, unsubscribeMessage } from './control-message';
import { setMetaHeaders } from './meta';
import {
  encodeCloseContent,
  encodeWebSocketEvents,
  MAX_WEBSOCKET_EVENTS_BYTES,
  type WebSocketEventInput,
} from './websocket-events';

/** The content type of WebSocket-over-HTTP bodies; Pushpin requires it exactly, without parameters. */
export { WEBSOCKET_EVENTS_CONTENT_TYPE };

/** The prefix Pushpin strips from messages to relay when the `grip` extension is on (the default `message-prefix`). */
export const MESSAGE_PREFIX = 'm:';

/** A transport-neutral HTTP response, shaped into the event's result format by the caller. */
export interface GripResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string;
}

const PREFIX_BYTES = new TextEncoder().encode(MESSAGE_PREFIX);

/**
 * Builds the response for a GRIP context. An opening request that was rejected, or neither accepted nor rejected,
 * gets its status (403 by default) with a text/plain body, which the proxy relays as a handshake refusal.
 * Otherwise: 200 with OPEN first when accepted, the outgoing operations in call order, then CLOSE (our close(),
 * or the echo of the peer's CLOSE; none after DISCONNECT), and Set-Meta-* headers for meta changes.
 * Messages left unread at the read deadline are handed back with `Content-Bytes-Accepted` (the content bytes of the
 * events before them) when the proxy supports it; the peer's CLOSE after them is then not echoed (the proxy offers it
 * again with them). Otherwise the context closes the connection with 1013, and with 1008 when it is over its rate.
 * Throws OutputLimitError when the body is over MAX_WEBSOCKET_EVENTS_BYTES, MetaError for unusable meta.
 */
export function buildGripResponse(ctx: WebSocketContext): GripResponse {
  if (ctx.isOpening() && !ctx.accepted) {
    const rejection = ctx.rejection ?? {
      status: 403,
      body: 'websocket connection refused: the handler did not accept it\n',
    };
    return {
      statusCode: rejection.status,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: rejection.body ?? '',
    };
  }
  const events: WebSocketEventInput[] = [];
  if (ctx.accepted) events.push({ type: 'OPEN' });
  for (const op of ctx.outgoing) events.push(toEvent(op));
  const limits = ctx.limits;
  const handBack = limits.deferred > 0 && limits.flowControl;
  const close = ctx.closing ?? (ctx.disconnected || handBack ? undefined : ctx.peerClose);
  if (close) {
    const content = close.code === undefined ? undefined : encodeCloseContent(close.code, close.reason);
    events.push(content ? { type: 'CLOSE', content } : { type: 'CLOSE' });
  }
  const body = encodeWebSocketEvents(events);
  if (body.length > MAX_WEBSOCKET_EVENTS_BYTES) {
    throw new OutputLimitError(
      `websocket-events response is ${body.length} bytes, over the proxy's ${MAX_WEBSOCKET_EVENTS_BYTES}-byte limit ` +
        '(it would drop the connection): send less per request, or publish() large content to a channel',
    );
  }
  const headers: Record<string, string> = { 'Content-Type': WEBSOCKET_EVENTS_CONTENT_TYPE };
  if (ctx.accepted) {
    headers['Sec-WebSocket-Extensions'] = 'grip';
    const protocol = handshakeProtocol(ctx);
    if (protocol !== undefined) headers['Sec-WebSocket-Protocol'] = protocol;
  }
  if (handBack) headers[CONTENT_BYTES_ACCEPTED] = String(limits.acceptedBytes);
  Object.assign(headers, setMetaHeaders(ctx.metaChanges()));
  reportLimits(ctx);
  return { statusCode: 200, headers, body };
}

/** Logs and counts what the inbound limits held back, so a refused message is never lost in silence. */
function reportLimits(ctx: WebSocketContext): void {
  const { refused, deferred, acceptedBytes, flowControl } = ctx.limits;
  if (refused > 0) {
    countMetric(MetricName.RATE_LIMITED);
    logger.warn('connection over its message rate: closed with 1008, messages refused', {
      connectionId: ctx.id,
      refused,
    });
  }
  if (deferred > 0) {
    countMetric(MetricName.MESSAGES_DEFERRED, deferred);
    const what = flowControl ? 'handed back to the proxy (Content-Bytes-Accepted)' : 'refused: closed with 1013';
    logger.warn(`messages left unread at the read deadline, ${what}`, {
      connectionId: ctx.id,
      deferred,
      acceptedBytes,
    });
  }
}

/**
 * A finisher for GRIP contexts: `shape` turns the response into the Lambda result of the incoming event's format
 * (see toHttpResult in http-event.ts).
 */
export function createGripFinisher<R>(shape: (response: GripResponse) => R): WebSocketFinisher<R> {
  return {
    toResponse: (ctx) => shape(buildGripResponse(ctx)),
    finish: async (ctx) => shape(buildGripResponse(ctx)),
  };
}

function toEvent(op: OutgoingOperation): WebSocketEventInput {
  switch (op.kind) {
    case 'text':
      return { type: 'TEXT', content: MESSAGE_PREFIX + op.text };
    case 'binary': {
      const content = new Uint8Array(PREFIX_BYTES.length + op.bytes.length);
      content.set(PREFIX_BYTES);
      content.set(op.bytes, PREFIX_BYTES.length);
      return { type: 'BINARY', content };
    }
    case 'subscribe':
      return { type: 'TEXT', content: encodeControlMessage(subscribeMessage(op.channel)) };
    case 'unsubscribe':
      return { type: 'TEXT', content: encodeControlMessage(unsubscribeMessage(op.channel)) };
    case 'control':
      return { type: 'TEXT', content: encodeControlMessage(op.message) };
    case 'ping':
      return op.bytes ? { type: 'PING', content: op.bytes } : { type: 'PING' };
    case 'pong':
      return op.bytes ? { type: 'PONG', content: op.bytes } : { type: 'PONG' };
  }
}
