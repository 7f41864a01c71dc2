/**
 * `history()`: a page of a durable channel's log, from any function (a chat's history on join, a REST endpoint).
 */

import { InvalidValueError } from '../core/errors';
import { validateChannel } from '../grip/control-message';
import type { ChannelLog, LoggedMessage } from './channel-log';
import { channelLog } from './durable';
import { DEFAULT_HISTORY_LIMIT, MAX_PAGE_MESSAGES } from './envelope';

/** What {@link history} reads: the newest messages unless `since` is given. */
export interface HistoryOptions {
  /** Only messages after this offset, oldest first. @default - the newest messages, newest first */
  readonly since?: number;
  /** Only messages before this offset (the `next` of a newest-first page), newest first. @default - none */
  readonly before?: number;
  /** Most messages in the page, 1 to 1,000. @default 100 */
  readonly limit?: number;
  /** The log to read. @default - the container's log (FAAS_GRIP_CHANNEL_LOG_TABLE) */
  readonly log?: ChannelLog;
}

/** A page of a channel's history. */
export interface HistoryPage {
  readonly channel: string;
  /** The log's epoch: positions of another epoch cannot be resumed. Empty when the channel has no message. */
  readonly epoch: string;
  /** Oldest first with `since`, else newest first. */
  readonly messages: readonly LoggedMessage[];
  /** Give it as `since` (oldest-first pages) or `before` (newest-first pages) for the next page; null at the end. */
  readonly next: number | null;
}

/**
 * A page of a durable channel's retained messages. A channel with no message (or an unknown one) gives an empty
 * page.
 * @throws InvalidValueError for an invalid channel name, a limit outside 1..1,000, an offset that is not a whole
 *   number >= 0, or both `since` and `before`.
 * @throws GripConfigError when no channel log table is set; ChannelLogError when the table fails.
 * @example
 * const { messages, next } = await history('room', { limit: 50 }); // the 50 newest, newest first
 */
export async function history(channel: string, options: HistoryOptions = {}): Promise<HistoryPage> {
  validateChannel(channel);
  const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_MESSAGES) {
    throw new InvalidValueError(
      `history limit ${JSON.stringify(limit)} is not a whole number from 1 to ${MAX_PAGE_MESSAGES}`,
    );
  }
  for (const [name, value] of [
    ['since', options.since],
    ['before', options.before],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new InvalidValueError(`history ${name} ${JSON.stringify(value)} is not an offset (a whole number >= 0)`);
    }
  }
  if (options.since !== undefined && options.before !== undefined) {
    throw new InvalidValueError('history takes since or before, not both');
  }
  const log = options.log ?? channelLog();
  const page = await log.read(channel, {
    after: options.since,
    before: options.before,
    limit,
    newestFirst: options.since === undefined,
  });
  return { channel, epoch: page.head.epoch, messages: page.messages, next: page.next };
}
