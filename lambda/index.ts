/**
 * The runtime API of faas-grip-cdk (`faas-grip-cdk/runtime`): handlers for WebSocket connections held by a GRIP
 * proxy or by an API Gateway WebSocket API, publishing, HTTP stream and long-poll holds, the WebSocket-over-HTTP
 * codec, configuration and the typed errors. The API Gateway WebSocket (native) transport is in
 * `faas-grip-cdk/runtime/native`: import it in a handler that serves native connections or publishes to them.
 *
 * @example
 * import { publish, webSocketHandler, WebSocketMessageFormat } from 'faas-grip-cdk/runtime';
 *
 * export const handler = webSocketHandler(async (ws) => {
 *   if (ws.isOpening()) { ws.accept(); ws.subscribe('room'); }
 *   while (ws.canRecv()) {
 *     const message = ws.recv();
 *     if (message === null) break;
 *     await publish('room', new WebSocketMessageFormat(message));
 *   }
 * });
 */

export { type GetWebSocketOptions, getWebSocket, lambdaGetWebSocket } from './aws/get-websocket';
export {
  EventVersion,
  getGripWebSocketContext,
  type HttpRequest,
  type HttpResult,
  isWebSocketOverHttp,
  parseHttpEvent,
  toHttpResult,
} from './aws/http-event';
export { type HoldBuilder, type HoldHandlerOptions, type HoldRequest, httpHoldHandler } from './aws/http-hold-handler';
export {
  HANDLER_ERROR_CLOSE_CODE,
  type WebSocketHandlerFunction,
  type WebSocketHandlerOptions,
  type WebSocketHandlerResult,
  webSocketHandler,
} from './aws/websocket-handler';
export { DEFAULT_METRICS_NAMESPACE, Env, MetricName, WEBSOCKET_EVENTS_CONTENT_TYPE } from './contract';
export {
  type AuthorizeFunction,
  type AuthorizeRequest,
  type ChannelAction,
  type ChannelRulesOptions,
  channelRules,
  isAllowed,
} from './core/channel-rules';
export * from './core/errors';
export {
  AUTH_EXPIRED_CLOSE_CODE,
  AUTH_PROTOCOL,
  TOKEN_PROTOCOL_PREFIX,
  type TokenSource,
  type VerifiedUser,
} from './core/identity';
export { NATIVE_TARGET, type PublishOptions, type PublishResult, publish } from './core/publish';
export {
  type OutgoingOperation,
  Transport,
  WebSocketContext,
  type WebSocketContextInit,
  type WebSocketFinisher,
} from './core/websocket-context';
export {
  type ControlMessage,
  type KeepAliveOptions,
  keepAliveMessage,
  MAX_CONTROL_MESSAGE_BYTES,
  sessionMessage,
  setMetaMessage,
} from './grip/control-message';
export {
  Format,
  HttpResponseFormat,
  type HttpResponseInit,
  HttpStreamFormat,
  WebSocketMessageFormat,
} from './grip/formats';
export { type SignatureVerification, type TrustedKey, verifyGripSignature } from './grip/grip-sig';
export { type GripProxy, parseGripUrl } from './grip/grip-url';
export {
  formatServerSentEvent,
  type HoldChannel,
  type HoldOptions,
  type HoldResult,
  holdEventStream,
  holdResponse,
  holdStream,
  type KeepAlive,
  MIN_HOLD_TIMEOUT_SECONDS,
  type NextLink,
  type ResponseHoldOptions,
  type ServerSentEvent,
} from './grip/hold';
export { type GripConfig, loadGripConfig, loadGripConfigSync, reloadGripConfig } from './grip/io/grip-config';
export {
  encodePublishBody,
  MAX_PUBLISH_BODY_BYTES,
  type PublisherOptions,
  type PublishItem,
  publishToProxies,
} from './grip/io/publisher';
export { type EncodedMetaChanges, MAX_META_BYTES, MAX_META_VALUE_BYTES, type MetaChanges } from './grip/meta';
export {
  decodeCloseContent,
  decodeWebSocketEvents,
  encodeCloseContent,
  encodeWebSocketEvents,
  MAX_WEBSOCKET_EVENTS_BYTES,
  type WebSocketEvent,
  type WebSocketEventInput,
  type WebSocketEventType,
} from './grip/websocket-events';
export type { NativeDeps } from './native/native-deps';
