import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ConnectionTableSchema } from '../lambda/contract';
import { defineKeyedTable, grantTableCalls } from './private/keyed-table';

/** Properties of a {@link ConnectionTable}. */
export interface ConnectionTableProps {
  /**
   * An existing table to use instead of defining one. It must have the schema of `ConnectionTableSchema`
   * (string keys `pk` and `sk`, a `reverse` index keyed `sk`/`pk` holding at least the keys, TTL on `expiresAt`).
   *
   * @default - a table is defined
   */
  readonly table?: dynamodb.ITable;

  /**
   * What happens to the defined table when it leaves the stack. The table only holds connection state that
   * expires within 2 hours 10 minutes and means nothing once the WebSocket API is gone, so it is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Defines the DynamoDB table of the native WebSocket transport: one item per connection and one per channel
 * membership, a reverse index for a connection's channels, TTL as a backstop for missed `$disconnect` events,
 * on-demand billing and point-in-time recovery.
 */
export class ConnectionTable extends Construct {
  /**
   * The calls the runtime makes on the table (lambda/native/connection-store.ts and dynamo-table.ts), and no
   * other: PutItem at `$connect`, GetItem and UpdateItem for a connection's meta and pending messages, Query for
   * a channel's members, BatchWriteItem for memberships and for every delete. Never `Scan`.
   */
  private static readonly TABLE_ACTIONS = [
    'dynamodb:BatchWriteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ];

  /** The one call on the reverse index: a connection's channels, at `$disconnect`. */
  private static readonly INDEX_ACTIONS = ['dynamodb:Query'];

  /** The table (defined here or given). */
  public readonly table: dynamodb.ITable;
  /** The table's name. */
  public readonly tableName: string;

  public constructor(scope: Construct, id: string, props: ConnectionTableProps = {}) {
    super(scope, id);
    if (props.table !== undefined && props.removalPolicy !== undefined) {
      throw new Error('ConnectionTable takes either an existing table or a removalPolicy for a new one, not both');
    }
    this.table = props.table ?? this.defineTable(props.removalPolicy ?? RemovalPolicy.DESTROY);
    this.tableName = this.table.tableName;
  }

  /**
   * Lets `grantee` read and write connections and memberships: exactly the item calls the runtime makes on the
   * table and the query on its reverse index, nothing more (no `Scan`, no `DeleteItem`, no table management).
   */
  public grantReadWriteConnections(grantee: iam.IGrantable): iam.Grant {
    return grantTableCalls(this.table, grantee, ConnectionTable.TABLE_ACTIONS, {
      name: ConnectionTableSchema.reverseIndexName,
      actions: ConnectionTable.INDEX_ACTIONS,
    });
  }

  private defineTable(removalPolicy: RemovalPolicy): dynamodb.TableV2 {
    return defineKeyedTable(this, {
      partitionKey: ConnectionTableSchema.partitionKey,
      sortKey: ConnectionTableSchema.sortKey,
      ttlAttribute: ConnectionTableSchema.ttlAttribute,
      reverseIndex: {
        name: ConnectionTableSchema.reverseIndexName,
        projection: dynamodb.ProjectionType[ConnectionTableSchema.reverseIndexProjection],
      },
      removalPolicy,
    });
  }
}
