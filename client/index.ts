/**
 * `faas-grip-cdk/client`: the browser and Node clients of durable channels: `ChannelClient` over a WebSocket (see
 * channel-client.ts), `ChannelStream` over Server-Sent Events (channel-stream.ts), `ChannelPoller` over long-polls
 * (channel-poller.ts).
 */
export {
  ChannelClient,
  type ChannelClientError,
  type ChannelClientEvents,
  type ChannelClientOptions,
  type ChannelMessage,
  type ChannelPosition,
  type ConnectionState,
  type HistoryPage,
  type NotRecovered,
  type PresenceMember,
  type PresencePage,
  TOKEN_EXPIRED_CLOSE_CODE,
  type WebSocketConstructor,
  type WebSocketLike,
} from './channel-client';
export { ChannelPoller } from './channel-poller';
export { ChannelStream } from './channel-stream';
export {
  type ChannelStreamError,
  type ChannelStreamEvents,
  type ChannelStreamOptions,
  HttpChannelReader,
  type StreamState,
} from './http-channel-reader';
