import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConnectionTableSchema } from '../../../lambda/contract';
import {
  createConnectionTable,
  type LocalDynamo,
  localDynamoClient,
  startLocalDynamo,
} from '../../../local/stack/local-dynamo';

describe('startLocalDynamo and createConnectionTable', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  it('creates the connection table of the shared schema, on demand, with the reverse index', async () => {
    const client = localDynamoClient(dynamo.endpoint);
    try {
      await createConnectionTable(dynamo.endpoint, 'connections');
      await createConnectionTable(client, 'connections'); // an existing table is left as it is
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'connections' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: ConnectionTableSchema.partitionKey, KeyType: 'HASH' },
        { AttributeName: ConnectionTableSchema.sortKey, KeyType: 'RANGE' },
      ]);
      const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === ConnectionTableSchema.reverseIndexName);
      expect(index?.KeySchema).toEqual([
        { AttributeName: ConnectionTableSchema.sortKey, KeyType: 'HASH' },
        { AttributeName: ConnectionTableSchema.partitionKey, KeyType: 'RANGE' },
      ]);
      expect(index?.Projection?.ProjectionType).toBe(ConnectionTableSchema.reverseIndexProjection);
      expect(index?.Projection?.ProjectionType).toBe('KEYS_ONLY');
    } finally {
      client.destroy();
    }
  });

  it("finds a connection's memberships through the reverse index", async () => {
    await createConnectionTable(dynamo.endpoint, 'memberships');
    const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamo.endpoint));
    try {
      const { channelPrefix, connectionPrefix } = ConnectionTableSchema;
      for (const channel of ['a', 'b']) {
        await doc.send(
          new PutCommand({
            TableName: 'memberships',
            Item: { pk: `${channelPrefix}${channel}`, sk: `${connectionPrefix}c1` },
          }),
        );
      }
      const { Items } = await doc.send(
        new QueryCommand({
          TableName: 'memberships',
          IndexName: ConnectionTableSchema.reverseIndexName,
          KeyConditionExpression: 'sk = :c',
          ExpressionAttributeValues: { ':c': `${connectionPrefix}c1` },
        }),
      );
      expect(Items?.map((i) => i.pk).sort()).toEqual([`${channelPrefix}a`, `${channelPrefix}b`]);
    } finally {
      doc.destroy();
    }
  });
});
