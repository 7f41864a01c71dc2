import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ChannelLogSchema, Env } from '../lambda/contract';
import { claimEnvironment } from './private/environment';
import { defineKeyedTable, grantTableCalls } from './private/keyed-table';
import { checkChannelPatterns, checkNumber } from './private/validate';

/** Properties of a {@link ChannelLogTable}. */
export interface ChannelLogTableProps {
  /**
   * An existing table to use instead of defining one. It must have the schema of `ChannelLogSchema` (string
   * partition key `channel`, number sort key `offset`, TTL on `expiresAt`).
   *
   * @default - a table is defined
   */
  readonly table?: dynamodb.ITable;

  /**
   * What happens to the defined table when it leaves the stack. It holds the channels' messages.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long a message is kept (history and resume reach this far back), from 1 second to 365 days.
   *
   * @default Duration.hours(24)
   */
  readonly maxAge?: Duration;

  /**
   * How many of a channel's latest messages are kept, from 1 to 1,000,000.
   *
   * @default 1000
   */
  readonly maxCount?: number;

  /**
   * The channel-name patterns whose publishes are durable by default (`*` matches any run of characters). A
   * publish can choose with its `durable` option.
   *
   * @default ['*'] every channel
   */
  readonly durableChannels?: readonly string[];
}

/**
 * Defines the DynamoDB table of durable channels: each channel's messages at their offsets (in blocks of
 * consecutive messages), TTL for retention by age, on-demand billing and point-in-time recovery. Give it to the
 * functions that publish to durable channels or answer the channel protocol with {@link addPublisher}.
 */
export class ChannelLogTable extends Construct {
  /**
   * The calls the runtime makes on the table (lambda/channels/channel-log.ts), and no other: a conditional
   * PutItem to append a block, Query to find the head and read pages, UpdateItem to add a channel to the registry
   * item and GetItem to read it (the channel list). Never `Scan` or `DeleteItem`: the log is append-only and TTL
   * removes what expires.
   */
  private static readonly APPEND_ACTIONS = [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ];
  private static readonly READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];

  /** The table (defined here or given). */
  public readonly table: dynamodb.ITable;
  /** The table's name. */
  public readonly tableName: string;
  /** How long a message is kept. */
  public readonly maxAge: Duration;
  /** How many of a channel's latest messages are kept. */
  public readonly maxCount: number;
  /** The channel-name patterns that are durable by default. */
  public readonly durableChannels: readonly string[];

  public constructor(scope: Construct, id: string, props: ChannelLogTableProps = {}) {
    super(scope, id);
    if (props.table !== undefined && props.removalPolicy !== undefined) {
      throw new Error('ChannelLogTable takes either an existing table or a removalPolicy for a new one, not both');
    }
    this.maxAge = props.maxAge ?? Duration.hours(24);
    checkNumber('maxAge', this.maxAge.toSeconds(), { min: 1, max: 365 * 86_400, whole: true, unit: 'seconds' });
    this.maxCount = props.maxCount ?? 1000;
    checkNumber('maxCount', this.maxCount, { min: 1, max: 1_000_000, whole: true });
    this.durableChannels = props.durableChannels ?? ['*'];
    checkChannelPatterns('durableChannels', this.durableChannels);
    this.table = props.table ?? this.defineTable(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.tableName = this.table.tableName;
  }

  /** Lets `grantee` append to the log and read it: PutItem, Query, and the registry's UpdateItem and GetItem. */
  public grantAppend(grantee: iam.IGrantable): iam.Grant {
    return grantTableCalls(this.table, grantee, ChannelLogTable.APPEND_ACTIONS);
  }

  /** Lets `grantee` read the log (history, resume, the channel list): Query and GetItem, nothing more. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantTableCalls(this.table, grantee, ChannelLogTable.READ_ACTIONS, undefined, true);
  }

  /**
   * Sets the environment the runtime reads the log from (table, retention, durable channel patterns) on `fn` and
   * grants it {@link grantAppend}.
   */
  public addPublisher(fn: lambda.Function): iam.Grant {
    claimEnvironment(fn, this.node.path, {
      [Env.CHANNEL_LOG_TABLE]: this.tableName,
      [Env.HISTORY_MAX_AGE]: String(this.maxAge.toSeconds()),
      [Env.HISTORY_MAX_COUNT]: String(this.maxCount),
      [Env.DURABLE_CHANNELS]: this.durableChannels.join(','),
    });
    return this.grantAppend(fn);
  }

  private defineTable(removalPolicy: RemovalPolicy): dynamodb.TableV2 {
    return defineKeyedTable(this, {
      partitionKey: ChannelLogSchema.partitionKey,
      sortKey: ChannelLogSchema.sortKey,
      sortKeyType: dynamodb.AttributeType.NUMBER,
      ttlAttribute: ChannelLogSchema.ttlAttribute,
      removalPolicy,
    });
  }
}
