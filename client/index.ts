/**
 * `faas-grip-cdk/client`: the browser and Node clients of durable channels: `ChannelClient` over a WebSocket (see
 * channel-client.ts), `ChannelStream` over Server-Sent Events (channel-stream.ts).
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
export {
  ChannelStream,
  type ChannelStreamError,
  type ChannelStreamEvents,
  type ChannelStreamOptions,
  type StreamState,
} from './channel-stream';
