/**
 * The log of a durable channel in DynamoDB (schema: `ChannelLogSchema` in contract.ts). Appending writes the message
 * at the channel's next offset with a conditional put (the item must not exist yet), so an offset exists only once its
 * message does: offsets are unique, strictly increasing and contiguous, with no hole a reader could wait on, however
 * many publishers race. The head is guessed from this container's last append and read again (one Query, newest
 * first) after a lost race; the common case costs one write. Each log has an epoch, chosen when it starts empty: a
 * log that was lost, reset or restored starts a new epoch, and a position of another epoch cannot be resumed.
 *
 * Retention: by age (each item's `expiresAt`, the table's TTL, and readers skip expired items before TTL removes them)
 * and by count (readers treat offsets more than `maxCount` behind the head as gone).
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTable } from '../aws/dynamo-table';
import { ChannelLogSchema, Env } from '../contract';
import { containerScoped } from '../core/container';
import { ChannelBusyError, ChannelLogError, GripConfigError, InvalidValueError } from '../core/errors';
import { runtimeSettings } from '../core/settings';

/** Where a reader is in a channel: the last offset it has, in an epoch. */
export interface ChannelPosition {
  readonly offset: number;
  readonly epoch: string;
}

/** One message of a channel's log. */
export interface LoggedMessage {
  readonly channel: string;
  readonly offset: number;
  readonly epoch: string;
  /** The message: text, or bytes. */
  readonly data: string | Uint8Array;
  /** When it was appended (epoch ms). */
  readonly publishedAt: number;
}

/** Options of a {@link ChannelLog}. */
export interface ChannelLogOptions {
  /** @default - FAAS_GRIP_CHANNEL_LOG_TABLE */
  readonly tableName?: string;
  /** @default - the container's DynamoDB document client */
  readonly client?: DynamoDBDocumentClient;
  /** @default - FAAS_GRIP_HISTORY_MAX_AGE (86,400 s) */
  readonly maxAgeSeconds?: number;
  /** @default - FAAS_GRIP_HISTORY_MAX_COUNT (1,000) */
  readonly maxCount?: number;
  /** Appends tried before a lost race for the next offset fails with ChannelBusyError. @default 8 */
  readonly maxAttempts?: number;
}

/** A page of a channel's log. */
export interface LogPage {
  /** The log's epoch; undefined when the channel has no message. */
  readonly epoch?: string;
  readonly messages: readonly LoggedMessage[];
  /** The offset to continue from (as `after`, or `before` when reading newest first); null at the end. */
  readonly next: number | null;
}

/** What a page read asks for. */
export interface ReadOptions {
  /** Only offsets above this one. */
  readonly after?: number;
  /** Only offsets below this one. */
  readonly before?: number;
  /** At most this many messages. */
  readonly limit: number;
  /** Newest first. @default false */
  readonly newestFirst?: boolean;
}

/** The log's messages after a position, or why the position cannot be honoured. */
export interface Resumption {
  /** False when messages after the position are gone (older than retention) or the epoch changed. */
  readonly recovered: boolean;
  /** The log's head: its epoch and newest offset (0 when the channel has no message). */
  readonly head: ChannelPosition;
  /** The messages after the position, oldest first (when recovered). */
  readonly messages: readonly LoggedMessage[];
}

/** Most messages one resumption replays; a reader further behind than this is told it was not recovered. */
export const MAX_RESUME_MESSAGES = 10_000;

const TABLE_ROLE = { label: 'channel log table', setting: Env.CHANNEL_LOG_TABLE, error: ChannelLogError };

/** This container's last known head per table and channel. */
const heads = containerScoped(() => new Map<string, ChannelPosition>());

/** The log of durable channels in one table. */
export class ChannelLog {
  readonly tableName: string;
  private readonly table: DynamoTable;
  private readonly maxAgeSeconds: number;
  private readonly maxCount: number;
  private readonly maxAttempts: number;

  constructor(options: ChannelLogOptions = {}) {
    const settings = runtimeSettings();
    const tableName = options.tableName ?? settings.channelLogTable;
    if (!tableName) {
      throw new GripConfigError(
        `no channel log table: set ${Env.CHANNEL_LOG_TABLE} (the constructs do when a channel is durable)`,
      );
    }
    this.tableName = tableName;
    this.table = new DynamoTable({ tableName, client: options.client, role: TABLE_ROLE });
    this.maxAgeSeconds = options.maxAgeSeconds ?? settings.historyMaxAgeSeconds;
    this.maxCount = options.maxCount ?? settings.historyMaxCount;
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  /**
   * Appends `data` at the channel's next offset.
   * @throws ChannelBusyError (retryable, nothing appended) after `maxAttempts` lost races; ChannelLogError when the
   *   table fails.
   */
  async append(channel: string, data: string | Uint8Array): Promise<LoggedMessage> {
    const key = `${this.tableName}\u0000${channel}`;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      // An empty epoch: no message, or the newest has expired. Offsets go on past the expired ones (their items
      // may still be in the table until TTL removes them) in a new epoch, since continuity is lost.
      const known = heads.get().get(key) ?? (await this.newest(channel));
      const next = { offset: known.offset + 1, epoch: known.epoch === '' ? newEpoch() : known.epoch };
      const publishedAt = Date.now();
      const item = {
        [ChannelLogSchema.partitionKey]: channel,
        [ChannelLogSchema.sortKey]: next.offset,
        epoch: next.epoch,
        ...(typeof data === 'string' ? { text: data } : { bytes: data }),
        publishedAt,
        [ChannelLogSchema.ttlAttribute]: Math.ceil(publishedAt / 1000) + this.maxAgeSeconds,
      };
      const written = await this.table.conditional('PutItem', (client, lib, options) =>
        client.send(
          new lib.PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#offset)',
            ExpressionAttributeNames: { '#offset': ChannelLogSchema.sortKey },
          }),
          options,
        ),
      );
      if (written) {
        heads.get().set(key, next);
        return { channel, offset: next.offset, epoch: next.epoch, data, publishedAt };
      }
      heads.get().delete(key);
    }
    throw new ChannelBusyError(
      `publish to durable channel '${channel}' lost the race for its next offset ${this.maxAttempts} times: too many ` +
        'publishers at once on one channel; nothing was appended, publish again',
    );
  }

  /** The channel's head: its epoch and newest offset; offset 0 (and an empty epoch) when it retains no message. */
  async head(channel: string): Promise<ChannelPosition> {
    const newest = await this.newest(channel);
    return newest.epoch === '' ? { offset: 0, epoch: '' } : newest;
  }

  /** The newest item's offset and epoch; the epoch is empty when that item has expired (offset 0: no item). */
  private async newest(channel: string): Promise<ChannelPosition> {
    const out = await this.table.call('Query', (client, lib, options) =>
      client.send(
        new lib.QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#channel = :channel',
          ExpressionAttributeNames: { '#channel': ChannelLogSchema.partitionKey },
          ExpressionAttributeValues: { ':channel': channel },
          ScanIndexForward: false,
          Limit: 1,
        }),
        options,
      ),
    );
    const item = out.Items?.[0];
    if (item === undefined) return { offset: 0, epoch: '' };
    const offset = Number(item[ChannelLogSchema.sortKey]);
    return { offset, epoch: this.expired(item) ? '' : String(item.epoch) };
  }

  /** One page of the channel's retained messages, oldest first unless `newestFirst`. */
  async read(channel: string, options: ReadOptions): Promise<LogPage> {
    const head = await this.head(channel);
    if (head.offset === 0) return { messages: [], next: null };
    const oldest = Math.max(1, head.offset - this.maxCount + 1);
    const low = Math.max(oldest, (options.after ?? 0) + 1);
    const high = Math.min(head.offset, (options.before ?? Number.POSITIVE_INFINITY) - 1);
    if (low > high) return { epoch: head.epoch, messages: [], next: null };
    const messages: LoggedMessage[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.call('Query', (client, lib, callOptions) =>
        client.send(
          new lib.QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#channel = :channel AND #offset BETWEEN :low AND :high',
            ExpressionAttributeNames: {
              '#channel': ChannelLogSchema.partitionKey,
              '#offset': ChannelLogSchema.sortKey,
            },
            ExpressionAttributeValues: { ':channel': channel, ':low': low, ':high': high },
            ScanIndexForward: !options.newestFirst,
            Limit: options.limit - messages.length,
            ExclusiveStartKey: start,
          }),
          callOptions,
        ),
      );
      for (const item of out.Items ?? []) {
        if (item.epoch !== head.epoch || this.expired(item)) continue;
        messages.push(toMessage(channel, item));
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined && messages.length < options.limit);
    const last = messages.at(-1)?.offset;
    const more = last !== undefined && (options.newestFirst ? last > low : last < high);
    return { epoch: head.epoch, messages, next: more ? (last as number) : null };
  }

  /**
   * Every retained message after `position`, oldest first, if the log can honour it: same epoch, and nothing after
   * the position gone (older than retention). Otherwise `recovered: false` with the head, and no messages.
   */
  async resume(channel: string, position: ChannelPosition): Promise<Resumption> {
    checkPosition(position);
    const head = await this.head(channel);
    const notRecovered = { recovered: false, head, messages: [] };
    if (head.offset === 0) return { recovered: position.offset === 0, head, messages: [] };
    if (position.epoch !== head.epoch || position.offset > head.offset) return notRecovered;
    const oldest = Math.max(1, head.offset - this.maxCount + 1);
    if (position.offset + 1 < oldest || head.offset - position.offset > MAX_RESUME_MESSAGES) return notRecovered;
    const messages: LoggedMessage[] = [];
    let after = position.offset;
    while (after < head.offset) {
      const page = await this.read(channel, { after, before: head.offset + 1, limit: 1000 });
      messages.push(...page.messages);
      if (page.messages.length === 0) break;
      after = (page.messages.at(-1) as LoggedMessage).offset;
    }
    // An expired message in the range is a gap the reader cannot fill.
    const contiguous = messages.every((m, i) => m.offset === position.offset + i + 1);
    if (!contiguous || (messages.at(-1)?.offset ?? position.offset) < head.offset) return notRecovered;
    return { recovered: true, head, messages };
  }

  private expired(item: Record<string, unknown>): boolean {
    const expiresAt = Number(item[ChannelLogSchema.ttlAttribute]);
    return Number.isFinite(expiresAt) && expiresAt * 1000 <= Date.now();
  }
}

/** @throws InvalidValueError for an offset that is not a whole number >= 0 or an epoch that is not a short string. */
export function checkPosition(position: ChannelPosition): void {
  if (!Number.isSafeInteger(position?.offset) || position.offset < 0) {
    throw new InvalidValueError(`offset ${JSON.stringify(position?.offset)} is not a whole number >= 0`);
  }
  if (typeof position.epoch !== 'string' || position.epoch.length > 64) {
    throw new InvalidValueError(`epoch ${JSON.stringify(position.epoch)} is not an epoch of this log`);
  }
}

function toMessage(channel: string, item: Record<string, unknown>): LoggedMessage {
  const bytes = item.bytes;
  return {
    channel,
    offset: Number(item[ChannelLogSchema.sortKey]),
    epoch: String(item.epoch),
    data: typeof item.text === 'string' ? item.text : new Uint8Array(bytes as Uint8Array),
    publishedAt: Number(item.publishedAt),
  };
}

/** A new epoch: 12 random bytes, base64url. */
function newEpoch(): string {
  return randomBytes(12).toString('base64url');
}
