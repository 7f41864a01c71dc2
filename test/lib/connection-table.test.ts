import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ConnectionTableSchema } from '../../lambda/contract';
import { ConnectionTable } from '../../lib';

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/connections';

function stackOf(): Stack {
  return new Stack(new App(), 'Test');
}

function role(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

describe('ConnectionTable', () => {
  test('defaults: the contract schema, reverse index, TTL, on-demand, point-in-time recovery, no name', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    new ConnectionTable(stack, 'Connections');

    // THEN
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        TableName: Match.absent(),
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: ConnectionTableSchema.partitionKey, KeyType: 'HASH' },
          { AttributeName: ConnectionTableSchema.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: ConnectionTableSchema.reverseIndexName,
            KeySchema: [
              { AttributeName: 'sk', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: ConnectionTableSchema.ttlAttribute, Enabled: true },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('removalPolicy', () => {
    const stack = stackOf();
    new ConnectionTable(stack, 'Connections', { removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });

  test('grantReadWriteConnections: exactly the calls the runtime makes, the index for Query only, no Scan', () => {
    // GIVEN
    const stack = stackOf();
    const table = new ConnectionTable(stack, 'Connections');

    // WHEN
    table.grantReadWriteConnections(role(stack));

    // THEN: lambda/native/connection-store.ts and dynamo-table.ts send Put, Get, Update, Query and BatchWrite
    const tableArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Connections'), 'Arn'] };
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:BatchWriteItem',
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:Query',
              'dynamodb:UpdateItem',
            ],
            Resource: tableArn,
          },
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [tableArn, '/index/reverse']] },
          },
        ],
      },
    });
  });

  test('table: an existing table is used, nothing is defined', () => {
    // GIVEN
    const stack = stackOf();
    const existing = dynamodb.Table.fromTableArn(stack, 'Existing', TABLE_ARN);

    // WHEN
    const table = new ConnectionTable(stack, 'Connections', { table: existing });
    table.grantReadWriteConnections(role(stack));

    // THEN
    expect(table.table).toBe(existing);
    expect(table.tableName).toBe('connections');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Resource: TABLE_ARN }),
          Match.objectLike({ Action: 'dynamodb:Query', Resource: `${TABLE_ARN}/index/reverse` }),
        ],
      },
    });
  });

  test('table: an existing table encrypted with a customer key also grants the key', () => {
    const stack = stackOf();
    const key = new kms.Key(stack, 'Key');
    const existing = dynamodb.Table.fromTableAttributes(stack, 'Existing', { tableArn: TABLE_ARN, encryptionKey: key });

    new ConnectionTable(stack, 'Connections', { table: existing }).grantReadWriteConnections(role(stack));

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt', 'kms:Encrypt']), Resource: Match.anyValue() }),
        ]),
      },
    });
  });

  test('fails: an existing table together with a removal policy', () => {
    const stack = stackOf();
    const existing = dynamodb.Table.fromTableArn(stack, 'Existing', TABLE_ARN);
    expect(
      () => new ConnectionTable(stack, 'Connections', { table: existing, removalPolicy: RemovalPolicy.RETAIN }),
    ).toThrow(/either an existing table or a removalPolicy/);
  });
});
