/**
 * Turns a WebSocketContext into the WebSocket-over-HTTP response a GRIP proxy expects: status 200,
 * `Content-Type: application/websocket-events` and the events, or a plain HTTP refusal of the handshake.
 */
import { WEBSOCKET_EVENTS_CONTENT_TYPE } from '../contract';
import { OutputLimitError } from '../errors';
import { encodeControlMessage, subscribeMessage, unsubscribeMessage } from './control-message';
import { setMetaHeaders } from './meta';
import type { OutgoingOperation, WebSocketContext, WebSocketFinisher } from './websocket-context';
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
  const close = ctx.closing ?? (ctx.disconnected ? undefined : ctx.peerClose);
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
  if (ctx.accepted) headers['Sec-WebSocket-Extensions'] = 'grip';
  Object.assign(headers, setMetaHeaders(ctx.metaChanges()));
  return { statusCode: 200, headers, body };
}

/**
 * A finisher for GRIP contexts: `shape` turns the response into the Lambda result of the incoming event's format
 * (see toHttpResult in http-event.ts).
 */
export function createGripFinisher(shape: (response: GripResponse) => unknown): WebSocketFinisher {
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
