/**
 * `faas-grip-cdk/client`: the browser and Node client of durable channels (see channel-client.ts).
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
