/**
 * Which channels are durable, and the container's channel log: one {@link ChannelLog} on
 * FAAS_GRIP_CHANNEL_LOG_TABLE, made on first use.
 */
import { containerScoped } from '../core/container';
import { runtimeSettings } from '../core/settings';
import { ChannelLog } from './channel-log';

const log = containerScoped(() => new ChannelLog());

/**
 * The channel log of FAAS_GRIP_CHANNEL_LOG_TABLE.
 * @throws GripConfigError when the table is not set.
 */
export function channelLog(): ChannelLog {
  return log.get();
}

/**
 * True when publishes to `channel` go through its log by default: it matches FAAS_GRIP_DURABLE_CHANNELS (every
 * channel when FAAS_GRIP_CHANNEL_LOG_TABLE is set and the patterns are not).
 */
export function isDurableChannel(channel: string): boolean {
  return runtimeSettings().isDurable(channel);
}
