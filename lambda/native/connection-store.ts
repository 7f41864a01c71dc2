import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTable, type WriteRequest } from '../aws/dynamo-table';
import { CONNECTION_TTL_SECONDS, ConnectionTableSchema, Env } from '../contract';
import { forEachBounded } from '../core/backoff';
import { GripConfigError } from '../core/errors';
import { runtimeSettings } from '../core/settings';
import { connectionKey, membershipKey, type PendingMessage, pendingFromItem, pendingToItem } from './connection-items';

export type { PendingMessage } from './connection-items';

/** A live connection as the store has it. */
export interface ConnectionRecord {
  readonly connectionId: string;
  readonly meta: Readonly<Record<string, string>>;
  /** When `$connect` was committed, epoch milliseconds. */
  readonly connectedAt: number;
  /** When the item expires, epoch seconds (the table's TTL attribute). */
  readonly expiresAt: number;
  /** Number of messages sent during `$connect` and not delivered yet. */
  readonly pendingCount: number;
}

/** One subscriber of a channel. */
export interface ChannelMember {
  readonly connectionId: string;
  /** Epoch seconds; the membership expires with its connection. */
  readonly expiresAt: number;
}

/** What `putConnection` writes. */
export interface NewConnection {
  readonly meta?: Readonly<Record<string, string>>;
  /** Channels (already prefixed) the connection joins. */
  readonly channels?: readonly string[];
  /** Messages to deliver once the connection accepts posts. */
  readonly pending?: readonly PendingMessage[];
}

/** What {@link ConnectionStore.removeConnections} could not do. */
export interface RemovalOutcome {
  /** Connections not (fully) removed. */
  readonly notRemoved: readonly string[];
  /** The first cause, when some were not removed. */
  readonly error?: unknown;
}

/** Options of a {@link ConnectionStore}. */
export interface ConnectionStoreOptions {
  /** @default - the `FAAS_GRIP_CONNECTION_TABLE` environment variable */
  readonly tableName?: string;
  /** @default - one client per container, created on first use with the Lambda environment's settings */
  readonly client?: DynamoDBDocumentClient;
  /** Items per Query page (memory per page of a fan-out). @default 1000 */
  readonly pageSize?: number;
  /** Attempts of a BatchWriteItem chunk while DynamoDB returns UnprocessedItems. @default 8 */
  readonly maxBatchAttempts?: number;
  /** First backoff delay between those attempts, doubled each time up to 2 s. @default 50 */
  readonly retryBaseMs?: number;
  /** Longest time one table operation may take; the invocation's deadline cuts it shorter. @default 5000 */
  readonly callTimeoutMs?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const S = ConnectionTableSchema;

/** A sort key above every membership key (`CONN$` follows `CONN#<any id>`). */
const CONNECTIONS_END = nextKey(ConnectionTableSchema.connectionPrefix);

/** The smallest string above every string starting with `prefix`, for a prefix ending below U+FFFF. */
function nextKey(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const PARALLEL_LOOKUPS = 8;

/**
 * The native transport's state in one DynamoDB table (`ConnectionTableSchema`): a connection item with
 * meta and pending messages, one item per channel membership, and the `reverse` index for a connection's
 * channels. Expired items are ignored on read (TTL deletion lags). Channel members are read by paginated
 * Query, never Scan. Uses no transactions, so it runs on dynalite too. Throttling is retried by the SDK,
 * BatchWriteItem leftovers by a bounded loop; every failure is a `ConnectionStoreError`.
 */
export class ConnectionStore {
  /** The table this store reads and writes. */
  readonly tableName: string;
  private readonly table: DynamoTable;
  private readonly options: ConnectionStoreOptions;

  constructor(options: ConnectionStoreOptions = {}) {
    const tableName = options.tableName ?? runtimeSettings().connectionTable;
    if (!tableName) {
      throw new GripConfigError(`no connection table: set ${Env.CONNECTION_TABLE} or pass tableName`);
    }
    this.tableName = tableName;
    this.table = new DynamoTable({ ...options, tableName });
    this.options = options;
  }

  /** Writes a new connection with its memberships; its items expire `CONNECTION_TTL_SECONDS` from now. */
  async putConnection(connectionId: string, init: NewConnection = {}): Promise<ConnectionRecord> {
    const connectedAt = this.now();
    const expiresAt = Math.floor(connectedAt / 1000) + CONNECTION_TTL_SECONDS;
    const pending = init.pending ?? [];
    const item = { ...connectionKey(connectionId), meta: { ...init.meta }, connectedAt, expiresAt };
    await this.table.call('PutItem', (c, lib, o) =>
      c.send(
        new lib.PutCommand({
          TableName: this.table.tableName,
          Item: pending.length > 0 ? { ...item, pending: pending.map(pendingToItem) } : item,
        }),
        o,
      ),
    );
    await this.subscribe(connectionId, init.channels ?? [], expiresAt);
    return { connectionId, meta: item.meta, connectedAt, expiresAt, pendingCount: pending.length };
  }

  /** The connection, or undefined when it does not exist or has expired (strongly consistent read). */
  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const out = await this.table.call('GetItem', (c, lib, o) =>
      c.send(
        new lib.GetCommand({ TableName: this.table.tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
        o,
      ),
    );
    const item = out.Item;
    if (!item || !this.isLive(item[S.ttlAttribute])) return undefined;
    return {
      connectionId,
      meta: (item.meta ?? {}) as Record<string, string>,
      connectedAt: Number(item.connectedAt),
      expiresAt: Number(item[S.ttlAttribute]),
      pendingCount: Array.isArray(item.pending) ? item.pending.length : 0,
    };
  }

  /** Sets and removes meta keys; false when the connection no longer exists. */
  async updateMeta(
    connectionId: string,
    set: Readonly<Record<string, string>>,
    removed: readonly string[] = [],
  ): Promise<boolean> {
    const names: Record<string, string> = { '#m': 'meta', '#pk': S.partitionKey };
    const values: Record<string, string> = {};
    const sets = Object.entries(set).map(([key, value], i) => {
      names[`#s${i}`] = key;
      values[`:s${i}`] = value;
      return `#m.#s${i} = :s${i}`;
    });
    const removes = removed.map((key, i) => {
      names[`#r${i}`] = key;
      return `#m.#r${i}`;
    });
    if (sets.length + removes.length === 0) return true;
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ];
    return this.table.conditional('UpdateItem', (c, lib, o) =>
      c.send(
        new lib.UpdateCommand({
          TableName: this.table.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: expression.join(' ').trim(),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: sets.length ? values : undefined,
        }),
        o,
      ),
    );
  }

  /** Adds memberships; they expire at `expiresAt` (the connection's) or `CONNECTION_TTL_SECONDS` from now. */
  async subscribe(connectionId: string, channels: readonly string[], expiresAt?: number): Promise<void> {
    const expiry = expiresAt ?? Math.floor(this.now() / 1000) + CONNECTION_TTL_SECONDS;
    await this.table.writeBatches(
      unique(channels).map((channel) => ({
        PutRequest: { Item: { ...membershipKey(channel, connectionId), [S.ttlAttribute]: expiry } },
      })),
    );
  }

  /** Removes memberships (absent ones are ignored). */
  async unsubscribe(connectionId: string, channels: readonly string[]): Promise<void> {
    await this.table.writeBatches(
      unique(channels).map((channel) => ({ DeleteRequest: { Key: membershipKey(channel, connectionId) } })),
    );
  }

  /** How many members one page of a listing reads (the store's `pageSize`, default 1,000). */
  get pageSize(): number {
    return this.options.pageSize ?? 1000;
  }

  /** The live members of a channel, one Query page at a time (paginated, consistent, expired ones left out). */
  async *members(channel: string): AsyncGenerator<ChannelMember[]> {
    let start: string | undefined;
    do {
      const page = await this.membersPage(channel, { start, limit: this.pageSize });
      if (page.members.length > 0) yield page.members;
      start = page.next;
    } while (start !== undefined);
  }

  /**
   * One page of a channel's live members whose connection ids sort from `from` (inclusive) to `to` (exclusive;
   * the end of the channel when undefined), after the connection id `start` (exclusive) when given: at most
   * `limit` members, and `next`, the id to continue after, while the range has more.
   */
  async membersPage(
    channel: string,
    range: { readonly from?: string; readonly to?: string; readonly start?: string; readonly limit: number },
  ): Promise<{ readonly members: ChannelMember[]; readonly next?: string }> {
    const pk = S.channelPrefix + channel;
    const upper = range.to === undefined ? CONNECTIONS_END : S.connectionPrefix + range.to;
    const out = await this.table.call('Query', (c, lib, options) =>
      c.send(
        new lib.QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
          ExpressionAttributeNames: { '#pk': S.partitionKey, '#sk': S.sortKey, '#exp': S.ttlAttribute },
          ExpressionAttributeValues: { ':pk': pk, ':lo': S.connectionPrefix + (range.from ?? ''), ':hi': upper },
          ProjectionExpression: '#sk, #exp',
          ConsistentRead: true,
          Limit: range.limit,
          ExclusiveStartKey:
            range.start === undefined
              ? undefined
              : { [S.partitionKey]: pk, [S.sortKey]: S.connectionPrefix + range.start },
        }),
        options,
      ),
    );
    const items = (out.Items ?? []).filter((item) => String(item[S.sortKey]) < upper);
    const members = items
      .filter((item) => this.isLive(item[S.ttlAttribute]))
      .map((item) => ({
        connectionId: String(item[S.sortKey]).slice(S.connectionPrefix.length),
        expiresAt: Number(item[S.ttlAttribute]),
      }));
    const last = out.LastEvaluatedKey?.[S.sortKey];
    return last === undefined ? { members } : { members, next: String(last).slice(S.connectionPrefix.length) };
  }

  /**
   * The connection id of the `n`-th membership (1-based) of `channel` after the connection id `start`
   * (exclusive), expired ones counted; undefined when there are fewer. Reads keys only, in as few pages as the
   * 1 MB page limit allows.
   */
  async nthMemberAfter(channel: string, start: string, n: number): Promise<string | undefined> {
    const pk = S.channelPrefix + channel;
    let exclusive: Record<string, unknown> | undefined = {
      [S.partitionKey]: pk,
      [S.sortKey]: S.connectionPrefix + start,
    };
    let left = n;
    while (exclusive !== undefined) {
      const from: Record<string, unknown> = exclusive;
      const out: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } =
        await this.table.call('Query', (c, lib, options) =>
          c.send(
            new lib.QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :conn)',
              ExpressionAttributeNames: { '#pk': S.partitionKey, '#sk': S.sortKey },
              ExpressionAttributeValues: { ':pk': pk, ':conn': S.connectionPrefix },
              ProjectionExpression: '#sk',
              ConsistentRead: true,
              Limit: left,
              ExclusiveStartKey: from,
            }),
            options,
          ),
        );
      const items = out.Items ?? [];
      if (items.length >= left) return String(items[left - 1][S.sortKey]).slice(S.connectionPrefix.length);
      left -= items.length;
      exclusive = out.LastEvaluatedKey;
    }
    return undefined;
  }

  /** Every channel the connection has a membership item in (reverse index, paginated, eventually consistent). */
  async channelsOf(connectionId: string): Promise<string[]> {
    const channels: string[] = [];
    const pages = this.table.queryPages({
      IndexName: S.reverseIndexName,
      KeyConditionExpression: '#sk = :sk AND begins_with(#pk, :chan)',
      ExpressionAttributeNames: { '#pk': S.partitionKey, '#sk': S.sortKey },
      ExpressionAttributeValues: { ':sk': S.connectionPrefix + connectionId, ':chan': S.channelPrefix },
    });
    for await (const items of pages) {
      for (const item of items) channels.push(String(item[S.partitionKey]).slice(S.channelPrefix.length));
    }
    return channels;
  }

  /** Deletes a connection and all its memberships. */
  deleteConnection(connectionId: string): Promise<void> {
    return this.deleteConnections([connectionId]);
  }

  /** Deletes connections and all their memberships, in BatchWriteItem chunks of 25. */
  async deleteConnections(connectionIds: readonly string[]): Promise<void> {
    const outcome = await this.removeConnections(connectionIds);
    if (outcome.notRemoved.length > 0) throw outcome.error;
  }

  /**
   * Deletes connections and all their memberships as far as possible, and says exactly which were not (fully)
   * removed: their remaining items expire with their TTL.
   */
  async removeConnections(connectionIds: readonly string[]): Promise<RemovalOutcome> {
    const requests: WriteRequest[] = [];
    const notRemoved = new Set<string>();
    let error: unknown;
    await forEachBounded(unique(connectionIds), PARALLEL_LOOKUPS, async (id) => {
      try {
        const channels = await this.channelsOf(id);
        requests.push({ DeleteRequest: { Key: connectionKey(id) } });
        for (const channel of channels) requests.push({ DeleteRequest: { Key: membershipKey(channel, id) } });
      } catch (err) {
        notRemoved.add(id);
        error ??= err;
      }
    });
    const unwritten = await this.table.writeBatchesReporting(requests);
    for (const request of unwritten.requests) {
      const sortKey = String(request.DeleteRequest?.Key?.[S.sortKey] ?? '');
      notRemoved.add(sortKey.slice(S.connectionPrefix.length));
    }
    error ??= unwritten.error;
    const ids = [...notRemoved];
    return ids.length > 0 ? { notRemoved: ids, error } : { notRemoved: [] };
  }

  /** Takes the pending messages atomically (UpdateItem REMOVE, returning the old value): each caller gets them once. */
  async takePending(connectionId: string): Promise<PendingMessage[]> {
    let taken: PendingMessage[] = [];
    await this.table.conditional('UpdateItem', async (c, lib, o) => {
      const out = await c.send(
        new lib.UpdateCommand({
          TableName: this.table.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: 'REMOVE #p',
          ConditionExpression: 'attribute_exists(#p)',
          ExpressionAttributeNames: { '#p': 'pending' },
          ReturnValues: 'UPDATED_OLD',
        }),
        o,
      );
      taken = ((out.Attributes?.pending ?? []) as Record<string, unknown>[]).map(pendingFromItem);
    });
    return taken;
  }

  /** Puts messages back in front of the pending list; false when the connection no longer exists. */
  restorePending(connectionId: string, messages: readonly PendingMessage[]): Promise<boolean> {
    return this.table.conditional('UpdateItem', (c, lib, o) =>
      c.send(
        new lib.UpdateCommand({
          TableName: this.table.tableName,
          Key: connectionKey(connectionId),
          UpdateExpression: 'SET #p = list_append(:m, if_not_exists(#p, :empty))',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#p': 'pending', '#pk': S.partitionKey },
          ExpressionAttributeValues: { ':m': messages.map(pendingToItem), ':empty': [] },
        }),
        o,
      ),
    );
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private isLive(expiresAt: unknown): boolean {
    return typeof expiresAt !== 'number' || expiresAt > this.now() / 1000;
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
