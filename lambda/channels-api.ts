/**
 * `faas-grip-cdk/runtime/channels`: durable channels — the channel log, history, the channel protocol of
 * `faas-grip-cdk/client`, and HTTP holds that recover. Import it in a handler that publishes to durable channels
 * or answers the protocol; importing it is what puts the log in a bundle (`faas-grip-cdk/runtime` alone leaves
 * it out, and a durable publish from such a bundle fails with GripConfigError saying to import this).
 *
 * @example
 * import { handleChannelCommand, history } from 'faas-grip-cdk/runtime/channels';
 */
import * as channels from './channels';
import { registerChannels } from './channels-loader';

registerChannels(channels);

export {
  ChannelLog,
  type ChannelLogOptions,
  type ChannelPosition,
  type LoggedMessage,
  type LogPage,
  MAX_BLOCK_BYTES,
  type Resumption,
} from './channels/channel-log';
export { type ChannelProtocolOptions, handleChannelCommand } from './channels/channel-protocol';
export { channelLog, isDurableChannel } from './channels/durable';
export {
  type DurableLongPollOptions,
  type DurableStreamOptions,
  durableEventStream,
  durableLongPoll,
  eventStreamChannel,
  longPollBody,
  longPollChannel,
  MAX_HOLD_REPLAY,
  messageEvent,
  parseEventId,
  type StreamResumption,
  streamResumption,
} from './channels/durable-holds';
export {
  type ChannelCommand,
  envelopeChannel,
  MAX_PAGE_MESSAGES,
  messageFrame,
  PROTOCOL_VERSION,
  ProtocolError,
  parseChannelCommand,
} from './channels/envelope';
export { type HistoryOptions, type HistoryPage, history } from './channels/history';
export { ChannelLogSchema } from './contract';
