import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The shape of one of the runtime's tables, from its schema in lambda/contract.ts. */
export interface KeyedTableShape {
  readonly partitionKey: string;
  readonly sortKey: string;
  /** @default STRING */
  readonly sortKeyType?: dynamodb.AttributeType;
  readonly ttlAttribute: string;
  /** An index keyed the other way round (sort key, then partition key). @default - none */
  readonly reverseIndex?: { readonly name: string; readonly projection: dynamodb.ProjectionType };
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Defines one of the runtime's tables (`Resource` under `scope`): on-demand, point-in-time recovery, TTL, no name,
 * string partition key, and an optional reversed index. ConnectionTable, ChannelLogTable and PresenceTable share it.
 */
export function defineKeyedTable(scope: Construct, shape: KeyedTableShape): dynamodb.TableV2 {
  const key = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
  return new dynamodb.TableV2(scope, 'Resource', {
    partitionKey: key(shape.partitionKey),
    sortKey: { name: shape.sortKey, type: shape.sortKeyType ?? dynamodb.AttributeType.STRING },
    ...(shape.reverseIndex
      ? {
          globalSecondaryIndexes: [
            {
              indexName: shape.reverseIndex.name,
              partitionKey: key(shape.sortKey),
              sortKey: key(shape.partitionKey),
              projectionType: shape.reverseIndex.projection,
            },
          ],
        }
      : {}),
    timeToLiveAttribute: shape.ttlAttribute,
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: shape.removalPolicy,
  });
}

/**
 * Grants `tableActions` on the table and, when given, `indexActions` on one of its indexes, and the table key's use
 * when it is encrypted with a customer key (decrypt only when `readOnly`).
 */
export function grantTableCalls(
  table: dynamodb.ITable,
  grantee: iam.IGrantable,
  tableActions: readonly string[],
  index?: { readonly name: string; readonly actions: readonly string[] },
  readOnly = false,
): iam.Grant {
  if (readOnly) table.encryptionKey?.grantDecrypt(grantee);
  else table.encryptionKey?.grantEncryptDecrypt(grantee);
  const onTable = iam.Grant.addToPrincipal({ grantee, actions: [...tableActions], resourceArns: [table.tableArn] });
  if (index === undefined) return onTable;
  const onIndex = iam.Grant.addToPrincipal({
    grantee,
    actions: [...index.actions],
    resourceArns: [`${table.tableArn}/index/${index.name}`],
  });
  return onTable.combine(onIndex);
}
