/**
 * The log of a durable channel in DynamoDB (schema: `ChannelLogSchema` in contract.ts). Messages are stored in
 * blocks: one item holds the messages of consecutive offsets `offset .. offset + count - 1` (one publish, or the
 * publishes of one turn of a function, up to {@link MAX_BLOCK_MESSAGES} and {@link MAX_BLOCK_BYTES}). Appending
 * writes a block at the offset after the head with a conditional put (no item may exist at that key yet), so an
 * offset exists only once its message does: offsets are unique, strictly increasing and contiguous, with no hole a
 * reader could wait on, however many publishers race. Blocks form one chain: each starts right after the end of the
 * block that was the head when it was written, and two writers that saw the same head race for the same key. The
 * head is guessed from this container's last append and read again (one Query, newest first) after a lost race;
 * the common case costs one write.
 *
 * Each log has an epoch, chosen when it starts: a log that was lost, reset or restored, or whose newest message
 * expired, starts a new epoch (offsets go on past the old ones), and a position of another epoch cannot be resumed.
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
  /** Who published it, as the publisher chose (for example `ws.user.sub`), when it said. */
  readonly from?: string;
}

/** A message to append, with who published it. */
export interface LogEntry {
  readonly data: string | Uint8Array;
  /** Who published it (at most {@link MAX_FROM_LENGTH} characters). @default - not recorded */
  readonly from?: string;
}

/** Longest `from` a logged message keeps, in characters. */
export const MAX_FROM_LENGTH = 256;

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
  /** The log's head when the page was read: its epoch and newest offset (offset 0, epoch '' when empty). */
  readonly head: ChannelPosition;
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

/** Most messages one resumption returns by default; a reader further behind reads again from its last one. */
export const MAX_RESUME_MESSAGES = 10_000;

/** Most messages one log item (block) holds. */
export const MAX_BLOCK_MESSAGES = 100;

/** Most bytes of messages one block holds, and so the largest message a durable channel keeps (DynamoDB: 400 KB). */
export const MAX_BLOCK_BYTES = 300_000;

const TABLE_ROLE = { label: 'channel log table', setting: Env.CHANNEL_LOG_TABLE, error: ChannelLogError };

/** This container's last known head per table and channel. */
const heads = containerScoped(() => new Map<string, ChannelPosition>());
/** The channels this container put in the registry, per table. */
const registered = containerScoped(() => new Set<string>());

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
   *   table fails; InvalidValueError for a message larger than {@link MAX_BLOCK_BYTES}.
   */
  async append(channel: string, data: string | Uint8Array, from?: string): Promise<LoggedMessage> {
    return (await this.appendAll(channel, [from === undefined ? data : { data, from }]))[0];
  }

  /**
   * Appends messages at consecutive offsets, in order, in as few writes as blocks allow (one for up to
   * {@link MAX_BLOCK_MESSAGES} messages and {@link MAX_BLOCK_BYTES}).
   * @throws as {@link append}; when a later block fails, the earlier ones stay appended (their messages are in the
   *   error's `appended`).
   */
  async appendAll(channel: string, data: readonly (string | Uint8Array | LogEntry)[]): Promise<LoggedMessage[]> {
    if (channel.startsWith('~')) {
      throw new InvalidValueError(`channel '${channel}' cannot be durable: names starting with '~' are the log's own`);
    }
    const appended: LoggedMessage[] = [];
    for (const block of blocksOf(channel, data)) {
      try {
        appended.push(...(await this.appendBlock(channel, block)));
      } catch (error) {
        if (error instanceof ChannelLogError) error.appended = appended;
        throw error;
      }
    }
    return appended;
  }

  private async appendBlock(channel: string, block: readonly LogEntry[]): Promise<LoggedMessage[]> {
    const key = `${this.tableName}\u0000${channel}`;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      // An empty epoch: no message, or the newest has expired. Offsets go on past the expired ones (their items
      // may still be in the table until TTL removes them) in a new epoch, since continuity is lost.
      const known = heads.get().get(key) ?? (await this.newest(channel));
      const first = known.offset + 1;
      const epoch = known.epoch === '' ? newEpoch() : known.epoch;
      const publishedAt = Date.now();
      const item = {
        [ChannelLogSchema.partitionKey]: channel,
        [ChannelLogSchema.sortKey]: first,
        count: block.length,
        epoch,
        messages: block.map(({ data, from }) => ({
          ...(typeof data === 'string' ? { t: data } : { b: data }),
          ...(from === undefined ? {} : { f: from }),
        })),
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
        // A log that begins (or begins again): the channel joins the registry the channel list reads.
        if (known.epoch === '' && !registered.get().has(key)) await this.register(channel, key);
        heads.get().set(key, { offset: first + block.length - 1, epoch });
        return block.map(({ data, from }, i) => ({
          channel,
          offset: first + i,
          epoch,
          data,
          publishedAt,
          ...(from === undefined ? {} : { from }),
        }));
      }
      heads.get().delete(key);
    }
    throw new ChannelBusyError(
      `publish to durable channel '${channel}' lost the race for its next offset ${this.maxAttempts} times: too many ` +
        'publishers at once on one channel; nothing was appended, publish again',
    );
  }

  /** The names of the channels that have had a message in this log, sorted (expired ones too). */
  async channels(): Promise<string[]> {
    const out = await this.table.call('GetItem', (client, lib, options) =>
      client.send(
        new lib.GetCommand({
          TableName: this.tableName,
          Key: { [ChannelLogSchema.partitionKey]: ChannelLogSchema.registryKey, [ChannelLogSchema.sortKey]: 0 },
        }),
        options,
      ),
    );
    const names = out.Item?.names as Set<string> | undefined;
    return names === undefined ? [] : [...names].sort();
  }

  private async register(channel: string, key: string): Promise<void> {
    await this.table.call('UpdateItem', (client, lib, options) =>
      client.send(
        new lib.UpdateCommand({
          TableName: this.tableName,
          Key: { [ChannelLogSchema.partitionKey]: ChannelLogSchema.registryKey, [ChannelLogSchema.sortKey]: 0 },
          UpdateExpression: 'ADD #names :name',
          ExpressionAttributeNames: { '#names': 'names' },
          ExpressionAttributeValues: { ':name': new Set([channel]) },
        }),
        options,
      ),
    );
    registered.get().add(key);
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
    const offset = Number(item[ChannelLogSchema.sortKey]) + countOf(item) - 1;
    return { offset, epoch: this.expired(item) ? '' : String(item.epoch) };
  }

  /** One page of the channel's retained messages, oldest first unless `newestFirst`. */
  async read(channel: string, options: ReadOptions): Promise<LogPage> {
    return this.readAt(channel, await this.head(channel), options);
  }

  /** One page of the log whose head is `head` (read once by the caller, however many pages it reads). */
  private async readAt(channel: string, head: ChannelPosition, options: ReadOptions): Promise<LogPage> {
    if (head.offset === 0) return { head, messages: [], next: null };
    const oldest = Math.max(1, head.offset - this.maxCount + 1);
    const low = Math.max(oldest, (options.after ?? 0) + 1);
    const high = Math.min(head.offset, (options.before ?? Number.POSITIVE_INFINITY) - 1);
    if (low > high || options.limit < 1) return { head, messages: [], next: null };
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
            // A block that starts before `low` may hold offsets from `low` on.
            ExpressionAttributeValues: {
              ':channel': channel,
              ':low': Math.max(1, low - MAX_BLOCK_MESSAGES + 1),
              ':high': high,
            },
            ScanIndexForward: !options.newestFirst,
            Limit: options.limit - messages.length + 1,
            ExclusiveStartKey: start,
          }),
          callOptions,
        ),
      );
      for (const item of out.Items ?? []) {
        if (item.epoch !== head.epoch || this.expired(item)) continue;
        const block = messagesOf(channel, item).filter((m) => m.offset >= low && m.offset <= high);
        if (options.newestFirst) block.reverse();
        messages.push(...block);
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined && messages.length < options.limit);
    messages.length = Math.min(messages.length, options.limit);
    const last = messages.at(-1)?.offset;
    const more = last !== undefined && (options.newestFirst ? last > low : last < high);
    return { head, messages, next: more ? (last as number) : null };
  }

  /**
   * The retained messages after `position`, oldest first, at most `limit` of them, if the log can honour the
   * position: same epoch, and nothing after it gone (older than retention). Otherwise `recovered: false` with the
   * head, and no messages. A reader with fewer messages than the head is behind reads again from its last one.
   * The empty position (offset 0, epoch '': the channel had no message when the reader looked) resumes from the
   * oldest retained message of the current epoch; an offset with the empty epoch is one of the current epoch.
   */
  async resume(channel: string, position: ChannelPosition, limit = MAX_RESUME_MESSAGES): Promise<Resumption> {
    checkPosition(position);
    const head = await this.head(channel);
    const notRecovered = { recovered: false, head, messages: [] };
    if (head.offset === 0) return { recovered: position.offset === 0, head, messages: [] };
    if (position.offset === head.offset && position.epoch === head.epoch)
      return { recovered: true, head, messages: [] };
    // The empty position (a reader that saw the channel empty): every retained message of the current epoch. An
    // offset with the empty epoch (a reader that saw the channel empty, then messages of the log that began) is in
    // the current epoch.
    const fromStart = position.offset === 0 && position.epoch === '';
    if (position.epoch === '' && !fromStart) position = { offset: position.offset, epoch: head.epoch };
    if (!fromStart && (position.epoch !== head.epoch || position.offset > head.offset)) return notRecovered;
    const oldest = Math.max(1, head.offset - this.maxCount + 1);
    if (!fromStart && position.offset + 1 < oldest) return notRecovered;
    const messages: LoggedMessage[] = [];
    // From the start: wherever the current epoch's retained messages begin (the first page says).
    let after: number | undefined = fromStart ? undefined : position.offset;
    while ((after ?? 0) < head.offset && messages.length < limit) {
      const page = await this.readAt(channel, head, {
        after: after ?? 0,
        limit: Math.min(1000, limit - messages.length),
      });
      if (page.messages.length === 0) break;
      after ??= page.messages[0].offset - 1;
      // An expired message in the range is a gap the reader cannot fill: keep what comes before it.
      for (const m of page.messages) {
        if (m.offset !== after + 1) break;
        messages.push(m);
        after = m.offset;
      }
      if (after !== (page.messages.at(-1) as LoggedMessage).offset) break;
    }
    if (messages.length === 0) return notRecovered;
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

/** The messages of one block item. */
function messagesOf(channel: string, item: Record<string, unknown>): LoggedMessage[] {
  const first = Number(item[ChannelLogSchema.sortKey]);
  const epoch = String(item.epoch);
  const publishedAt = Number(item.publishedAt);
  const stored = (item.messages ?? []) as Array<{ t?: string; b?: Uint8Array; f?: string }>;
  return stored.map((m, i) => ({
    channel,
    offset: first + i,
    epoch,
    data: typeof m.t === 'string' ? m.t : new Uint8Array(m.b as Uint8Array),
    publishedAt,
    ...(typeof m.f === 'string' ? { from: m.f } : {}),
  }));
}

function countOf(item: Record<string, unknown>): number {
  const count = Number(item.count);
  return Number.isSafeInteger(count) && count >= 1 ? count : 1;
}

/** Splits messages into blocks of at most MAX_BLOCK_MESSAGES and MAX_BLOCK_BYTES, in order. */
function blocksOf(channel: string, data: readonly (string | Uint8Array | LogEntry)[]): LogEntry[][] {
  const blocks: LogEntry[][] = [];
  let block: LogEntry[] = [];
  let bytes = 0;
  for (const input of data) {
    const message: LogEntry = typeof input === 'string' || input instanceof Uint8Array ? { data: input } : input;
    if (message.from !== undefined && (typeof message.from !== 'string' || message.from.length > MAX_FROM_LENGTH)) {
      throw new InvalidValueError(`from must be a string of at most ${MAX_FROM_LENGTH} characters`);
    }
    const size =
      (typeof message.data === 'string' ? Buffer.byteLength(message.data, 'utf8') : message.data.byteLength) +
      (message.from === undefined ? 0 : Buffer.byteLength(message.from, 'utf8'));
    if (size > MAX_BLOCK_BYTES) {
      throw new InvalidValueError(
        `a message of ${size} bytes is too large for durable channel '${channel}': the log keeps messages of at ` +
          `most ${MAX_BLOCK_BYTES} bytes (DynamoDB's item limit); publish it to a channel that is not durable`,
      );
    }
    if (block.length === MAX_BLOCK_MESSAGES || bytes + size > MAX_BLOCK_BYTES) {
      blocks.push(block);
      block = [];
      bytes = 0;
    }
    block.push(message);
    bytes += size;
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
}

/** A new epoch: 12 random bytes, base64url. */
function newEpoch(): string {
  return randomBytes(12).toString('base64url');
}
