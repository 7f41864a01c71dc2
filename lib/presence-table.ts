import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { Env, PresenceSchema } from '../lambda/contract';
import { claimEnvironment } from './private/environment';
import { defineKeyedTable, grantTableCalls } from './private/keyed-table';
import { checkChannelPatterns, checkNumber } from './private/validate';

/** Properties of a {@link PresenceTable}. */
export interface PresenceTableProps {
  /**
   * An existing table to use instead of defining one, with the schema of `PresenceSchema` (string keys `pk` and
   * `sk`, a `byConnection` index keyed `sk`/`pk` holding at least the keys, TTL on `expiresAt`).
   *
   * @default - a table is defined
   */
  readonly table?: dynamodb.ITable;

  /**
   * What happens to the defined table when it leaves the stack. It only holds who is connected now.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long a member stays without a liveness signal (a client heartbeat) before it is removed, from 5 seconds to
   * 1 hour. A member that closes leaves at once.
   *
   * @default Duration.seconds(45)
   */
  readonly timeout?: Duration;

  /**
   * The channel-name patterns whose joins and leaves are announced to the channel's subscribers (`*` matches any
   * run of characters); an empty list announces none (the members can still be read).
   *
   * @default ['*'] every channel
   */
  readonly events?: readonly string[];
}

/**
 * Defines the DynamoDB table of presence: the members of each channel on both transports, their counters, and an
 * index of each connection's channels; TTL as the backstop of a lost leave; on-demand billing.
 */
export class PresenceTable extends Construct {
  /**
   * The calls the runtime makes (lambda/channels/presence.ts): conditional PutItem and DeleteItem for joins and
   * leaves, UpdateItem for the counters and refreshes, GetItem for the counts, Query for pages. Never `Scan`.
   */
  private static readonly TABLE_ACTIONS = [
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ];
  /** A connection's channels, when it closes. */
  private static readonly INDEX_ACTIONS = ['dynamodb:Query'];

  /** The table (defined here or given). */
  public readonly table: dynamodb.ITable;
  /** The table's name. */
  public readonly tableName: string;
  /** How long a member stays without a liveness signal. */
  public readonly timeout: Duration;
  /** The channel-name patterns whose joins and leaves are announced. */
  public readonly events: readonly string[];

  public constructor(scope: Construct, id: string, props: PresenceTableProps = {}) {
    super(scope, id);
    if (props.table !== undefined && props.removalPolicy !== undefined) {
      throw new Error('PresenceTable takes either an existing table or a removalPolicy for a new one, not both');
    }
    this.timeout = props.timeout ?? Duration.seconds(45);
    checkNumber('timeout', this.timeout.toSeconds(), { min: 5, max: 3600, whole: true, unit: 'seconds' });
    this.events = props.events ?? ['*'];
    checkChannelPatterns('events', this.events);
    this.table = props.table ?? this.defineTable(props.removalPolicy ?? RemovalPolicy.DESTROY);
    this.tableName = this.table.tableName;
  }

  /** Lets `grantee` join, leave, refresh and read members: the item calls above and the index Query, nothing more. */
  public grantReadWriteMembers(grantee: iam.IGrantable): iam.Grant {
    return grantTableCalls(this.table, grantee, PresenceTable.TABLE_ACTIONS, {
      name: PresenceSchema.connectionIndexName,
      actions: PresenceTable.INDEX_ACTIONS,
    });
  }

  /** Sets the table, timeout and announced channels on `fn` and grants it {@link grantReadWriteMembers}. */
  public addMember(fn: lambda.Function): iam.Grant {
    claimEnvironment(fn, this.node.path, {
      [Env.PRESENCE_TABLE]: this.tableName,
      [Env.PRESENCE_TIMEOUT]: String(this.timeout.toSeconds()),
      [Env.PRESENCE_EVENTS]: this.events.join(','),
    });
    return this.grantReadWriteMembers(fn);
  }

  private defineTable(removalPolicy: RemovalPolicy): dynamodb.TableV2 {
    return defineKeyedTable(this, {
      partitionKey: PresenceSchema.partitionKey,
      sortKey: PresenceSchema.sortKey,
      ttlAttribute: PresenceSchema.ttlAttribute,
      reverseIndex: { name: PresenceSchema.connectionIndexName, projection: dynamodb.ProjectionType.KEYS_ONLY },
      removalPolicy,
    });
  }
}
