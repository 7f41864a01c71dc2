/**
 * Presence: who is in a channel, on both transports and across them, in DynamoDB (schema: `PresenceSchema`).
 *
 * Counts are exact under concurrent joins and leaves: a join is a conditional Put of the member's item (it must not
 * exist) and only a join that wrote it adds 1 to the channel's `members` counter; a leave is a conditional Delete
 * (it must exist) and only a leave that removed it subtracts 1. Distinct users are counted the same way, through a
 * per-user item whose count goes 0 -> 1 (a user arrives) and 1 -> 0 (the user's last connection leaves).
 *
 * Staleness: a member is refreshed by its liveness signal (`refresh`, on each heartbeat) and is stale once `timeout`
 * seconds pass without one; `sweep` removes the stale members of a channel (as leaves), and the runtime sweeps a
 * channel whenever one of its members is refreshed, at most once per `timeout / 3` per container. A member's item
 * also carries a TTL (`expiresAt`, four timeouts ahead) as the backstop of a leave that never ran.
 */
import { createHash } from 'node:crypto';
import { DynamoTable } from '../aws/dynamo-table';
import { Env, PresenceSchema } from '../contract';
import { containerScoped } from '../core/container';
import { GripConfigError, InvalidValueError, PresenceError } from '../core/errors';
import { runtimeSettings } from '../core/settings';
import { validateChannel } from '../grip/control-message';

/** One member of a channel. */
export interface PresenceMember {
  readonly channel: string;
  readonly connectionId: string;
  /** `grip` or `native`. */
  readonly transport: string;
  /** Who the member is: the verified identity when there is one, else what the handler chose (such as a nick). */
  readonly user: string;
  /** Extra information the handler stored (for example `{ nick: 'ann' }`). */
  readonly info: Readonly<Record<string, string>>;
  readonly joinedAt: number;
  readonly seenAt: number;
}

/** A channel's counts. */
export interface PresenceStats {
  readonly channel: string;
  readonly members: number;
  /** Distinct users among the members. */
  readonly users: number;
}

/** A page of members. */
export interface PresencePage {
  readonly members: readonly PresenceMember[];
  /** Give it back as `pageToken` for the next page; null at the end. */
  readonly next: string | null;
}

/** Options of a {@link PresenceStore}. */
export interface PresenceStoreOptions {
  /** @default - FAAS_GRIP_PRESENCE_TABLE */
  readonly tableName?: string;
  /** @default - the container's DynamoDB document client */
  readonly client?: import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient;
  /** Seconds without a liveness signal before a member is stale. @default - FAAS_GRIP_PRESENCE_TIMEOUT (45) */
  readonly timeoutSeconds?: number;
}

const ROLE = { label: 'presence table', setting: Env.PRESENCE_TABLE, error: PresenceError };
const STATS = '#stats';
const MEMBER = 'm#';
const USER = 'u#';
/** Most members one page lists. */
export const MAX_PRESENCE_PAGE = 1000;

/** The members and counts of channels in one table. */
export class PresenceStore {
  readonly tableName: string;
  readonly timeoutSeconds: number;
  private readonly table: DynamoTable;

  constructor(options: PresenceStoreOptions = {}) {
    const settings = runtimeSettings();
    const tableName = options.tableName ?? settings.presenceTable;
    if (!tableName) {
      throw new GripConfigError(`no presence table: set ${Env.PRESENCE_TABLE} (PresenceTable.addMember does)`);
    }
    this.tableName = tableName;
    this.timeoutSeconds = options.timeoutSeconds ?? settings.presenceTimeoutSeconds;
    this.table = new DynamoTable({ tableName, client: options.client, role: ROLE });
  }

  /**
   * Adds a member (or refreshes it when it is one already). Returns true when it joined now.
   * @throws InvalidValueError for an invalid channel name or an empty user.
   */
  async join(
    channel: string,
    member: { connectionId: string; transport: string; user: string; info?: Record<string, string> },
  ): Promise<boolean> {
    validateChannel(channel);
    if (typeof member.user !== 'string' || member.user === '' || member.user.length > 256) {
      throw new InvalidValueError('a presence member needs a user of 1 to 256 characters');
    }
    const now = Date.now();
    const item = {
      [PresenceSchema.partitionKey]: channel,
      [PresenceSchema.sortKey]: MEMBER + member.connectionId,
      transport: member.transport,
      user: member.user,
      info: member.info ?? {},
      joinedAt: now,
      seenAt: now,
      [PresenceSchema.ttlAttribute]: this.expiry(now),
    };
    const joined = await this.table.conditional('PutItem', (client, lib, options) =>
      client.send(
        new lib.PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': PresenceSchema.sortKey },
        }),
        options,
      ),
    );
    if (!joined) {
      await this.refresh(member.connectionId, [channel]);
      return false;
    }
    const userCount = await this.add(channel, USER + member.user, 'count', 1);
    await this.addStats(channel, 1, userCount === 1 ? 1 : 0);
    return true;
  }

  /** Removes a member; returns it when it was one (and the counts went down), else undefined. */
  async leave(channel: string, connectionId: string): Promise<PresenceMember | undefined> {
    const out = await this.table.call('DeleteItem', async (client, lib, options) => {
      try {
        return await client.send(
          new lib.DeleteCommand({
            TableName: this.tableName,
            Key: { [PresenceSchema.partitionKey]: channel, [PresenceSchema.sortKey]: MEMBER + connectionId },
            ConditionExpression: 'attribute_exists(#sk)',
            ExpressionAttributeNames: { '#sk': PresenceSchema.sortKey },
            ReturnValues: 'ALL_OLD',
          }),
          options,
        );
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
        throw error;
      }
    });
    const old = out?.Attributes;
    if (old === undefined) return undefined;
    const member = toMember(old);
    const userCount = await this.add(channel, USER + member.user, 'count', -1);
    await this.addStats(channel, -1, userCount === 0 ? -1 : 0);
    return member;
  }

  /** The channels a connection is a member of (the `byConnection` index). */
  async channelsOf(connectionId: string): Promise<string[]> {
    const channels: string[] = [];
    for await (const items of this.table.queryPages({
      IndexName: PresenceSchema.connectionIndexName,
      KeyConditionExpression: '#sk = :sk',
      ExpressionAttributeNames: { '#sk': PresenceSchema.sortKey },
      ExpressionAttributeValues: { ':sk': MEMBER + connectionId },
    })) {
      for (const item of items) channels.push(String(item[PresenceSchema.partitionKey]));
    }
    return channels;
  }

  /** Removes a connection from every channel it is a member of (it closed); returns what it left. */
  async leaveAll(connectionId: string): Promise<PresenceMember[]> {
    const channels = await this.channelsOf(connectionId);
    const left: PresenceMember[] = [];
    for (const channel of channels) {
      const member = await this.leave(channel, connectionId);
      if (member !== undefined) left.push(member);
    }
    return left;
  }

  /**
   * Records a liveness signal of a connection in the given channels (members only: no one joins by it). Resolves
   * with the channels where it is not a member (its join was lost, or a sweep took it for gone).
   */
  async refresh(connectionId: string, channels: readonly string[]): Promise<string[]> {
    const now = Date.now();
    const missing: string[] = [];
    for (const channel of channels) {
      const refreshed = await this.table.conditional('UpdateItem', (client, lib, options) =>
        client.send(
          new lib.UpdateCommand({
            TableName: this.tableName,
            Key: { [PresenceSchema.partitionKey]: channel, [PresenceSchema.sortKey]: MEMBER + connectionId },
            UpdateExpression: 'SET seenAt = :now, #ttl = :ttl',
            ConditionExpression: 'attribute_exists(#sk)',
            ExpressionAttributeNames: { '#sk': PresenceSchema.sortKey, '#ttl': PresenceSchema.ttlAttribute },
            ExpressionAttributeValues: { ':now': now, ':ttl': this.expiry(now) },
          }),
          options,
        ),
      );
      if (!refreshed) missing.push(channel);
    }
    return missing;
  }

  /** Removes the channel's stale members (no liveness signal for `timeoutSeconds`), as leaves; returns them. */
  async sweep(channel: string): Promise<PresenceMember[]> {
    const staleBefore = Date.now() - this.timeoutSeconds * 1000;
    const stale: PresenceMember[] = [];
    for await (const items of this.memberPages(channel)) {
      for (const item of items) if (Number(item.seenAt) < staleBefore) stale.push(toMember(item));
    }
    const left: PresenceMember[] = [];
    for (const member of stale) {
      const removed = await this.leave(channel, member.connectionId);
      if (removed !== undefined) left.push(removed);
    }
    return left;
  }

  /**
   * A page of the channel's members (an unknown channel has none).
   * @throws InvalidValueError for an invalid channel name, a limit outside 1..1,000 or a page token that is not one
   *   this channel gave.
   */
  async list(channel: string, options: { limit?: number; pageToken?: string } = {}): Promise<PresencePage> {
    validateChannel(channel);
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PRESENCE_PAGE) {
      throw new InvalidValueError(`presence limit ${JSON.stringify(limit)} is not a whole number from 1 to 1000`);
    }
    const start = options.pageToken === undefined ? undefined : readToken(channel, options.pageToken);
    const out = await this.table.call('Query', (client, lib, callOptions) =>
      client.send(
        new lib.QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :m)',
          ExpressionAttributeNames: { '#pk': PresenceSchema.partitionKey, '#sk': PresenceSchema.sortKey },
          ExpressionAttributeValues: { ':pk': channel, ':m': MEMBER },
          Limit: limit,
          ExclusiveStartKey: start,
        }),
        callOptions,
      ),
    );
    const last = out.LastEvaluatedKey;
    return {
      members: (out.Items ?? []).map(toMember),
      next: last === undefined ? null : writeToken(channel, String(last[PresenceSchema.sortKey])),
    };
  }

  /** The channel's member and distinct-user counts: one read. */
  async stats(channel: string): Promise<PresenceStats> {
    validateChannel(channel);
    const out = await this.table.call('GetItem', (client, lib, options) =>
      client.send(
        new lib.GetCommand({
          TableName: this.tableName,
          Key: { [PresenceSchema.partitionKey]: channel, [PresenceSchema.sortKey]: STATS },
        }),
        options,
      ),
    );
    return { channel, members: Number(out.Item?.members ?? 0), users: Number(out.Item?.users ?? 0) };
  }

  private async *memberPages(channel: string): AsyncGenerator<Record<string, unknown>[]> {
    yield* this.table.queryPages({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :m)',
      ExpressionAttributeNames: { '#pk': PresenceSchema.partitionKey, '#sk': PresenceSchema.sortKey },
      ExpressionAttributeValues: { ':pk': channel, ':m': MEMBER },
    });
  }

  /** ADD `by` to a number attribute of one item; the new value. */
  private async add(channel: string, sk: string, attribute: string, by: number): Promise<number> {
    const out = await this.table.call('UpdateItem', (client, lib, options) =>
      client.send(
        new lib.UpdateCommand({
          TableName: this.tableName,
          Key: { [PresenceSchema.partitionKey]: channel, [PresenceSchema.sortKey]: sk },
          UpdateExpression: 'ADD #a :by',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':by': by },
          ReturnValues: 'UPDATED_NEW',
        }),
        options,
      ),
    );
    return Number(out.Attributes?.[attribute] ?? 0);
  }

  private async addStats(channel: string, members: number, users: number): Promise<void> {
    await this.table.call('UpdateItem', (client, lib, options) =>
      client.send(
        new lib.UpdateCommand({
          TableName: this.tableName,
          Key: { [PresenceSchema.partitionKey]: channel, [PresenceSchema.sortKey]: STATS },
          UpdateExpression: 'ADD members :m, #users :u',
          ExpressionAttributeNames: { '#users': 'users' },
          ExpressionAttributeValues: { ':m': members, ':u': users },
        }),
        options,
      ),
    );
  }

  private expiry(now: number): number {
    return Math.ceil(now / 1000) + 4 * this.timeoutSeconds;
  }
}

function toMember(item: Record<string, unknown>): PresenceMember {
  return {
    channel: String(item[PresenceSchema.partitionKey]),
    connectionId: String(item[PresenceSchema.sortKey]).slice(MEMBER.length),
    transport: String(item.transport),
    user: String(item.user),
    info: (item.info ?? {}) as Record<string, string>,
    joinedAt: Number(item.joinedAt),
    seenAt: Number(item.seenAt),
  };
}

/** A page token: the last member's key and a check over it and the channel, so a changed token is refused. */
function writeToken(channel: string, sk: string): string {
  const body = Buffer.from(sk, 'utf8').toString('base64url');
  return `${body}.${check(channel, body)}`;
}

function readToken(channel: string, token: string): Record<string, string> {
  const [body, sum, extra] = typeof token === 'string' ? token.split('.') : [];
  if (!body || !sum || extra !== undefined || check(channel, body) !== sum) {
    throw new InvalidValueError('presence page token is not one this channel gave: start again without one');
  }
  const sk = Buffer.from(body, 'base64url').toString('utf8');
  if (!sk.startsWith(MEMBER)) throw new InvalidValueError('presence page token is not a member position');
  return { [PresenceSchema.partitionKey]: channel, [PresenceSchema.sortKey]: sk };
}

function check(channel: string, body: string): string {
  return createHash('sha256').update(`${channel}\u0000${body}`).digest('base64url').slice(0, 12);
}

const store = containerScoped(() => new PresenceStore());

/** The container's presence store (FAAS_GRIP_PRESENCE_TABLE). @throws GripConfigError when the table is not set. */
export function presenceStore(): PresenceStore {
  return store.get();
}

/** A page of a channel's members, from any function. See {@link PresenceStore.list}. */
export function presence(channel: string, options: { limit?: number; pageToken?: string } = {}): Promise<PresencePage> {
  return presenceStore().list(channel, options);
}

/** A channel's member and distinct-user counts, from any function (one read). */
export function presenceStats(channel: string): Promise<PresenceStats> {
  return presenceStore().stats(channel);
}
