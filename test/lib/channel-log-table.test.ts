import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ChannelLogSchema, Env } from '../../lambda/contract';
import { ChannelLogTable, HandlerBundle, HandlerFunction } from '../../lib';

function stackOf(): Stack {
  return new Stack(new App(), 'Test');
}

describe('ChannelLogTable', () => {
  test('defaults: the contract schema (number offsets), TTL, on-demand, point-in-time recovery, retained', () => {
    const stack = stackOf();

    const log = new ChannelLogTable(stack, 'Log');

    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: Match.absent(),
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: ChannelLogSchema.partitionKey, KeyType: 'HASH' },
          { AttributeName: ChannelLogSchema.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'channel', AttributeType: 'S' },
          { AttributeName: 'offset', AttributeType: 'N' },
        ],
        TimeToLiveSpecification: { AttributeName: ChannelLogSchema.ttlAttribute, Enabled: true },
      },
    });
    expect([log.maxAge.toSeconds(), log.maxCount, log.durableChannels]).toEqual([86_400, 1000, ['*']]);
  });

  test('addPublisher sets the settings on a HandlerFunction and grants the four item calls of the log on the table only', () => {
    const stack = stackOf();
    const log = new ChannelLogTable(stack, 'Log', {
      maxAge: Duration.hours(2),
      maxCount: 50,
      durableChannels: ['chat-*', 'news'],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fn = new HandlerFunction(stack, 'Fn', { bundle: HandlerBundle.CHAT_GRIP });

    const grant = log.addPublisher(fn);

    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [Env.CHANNEL_LOG_TABLE]: { Ref: Match.stringLikeRegexp('^Log') },
          [Env.HISTORY_MAX_AGE]: '7200',
          [Env.HISTORY_MAX_COUNT]: '50',
          [Env.DURABLE_CHANNELS]: 'chat-*,news',
        }),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const onLog = statements.filter((s) => JSON.stringify(s.Resource).includes('"Log'));
    expect(onLog).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Log/), 'Arn'] },
      },
    ]);
  });

  test('grantRead grants Query and GetItem only; an existing table is used as given', () => {
    const stack = stackOf();
    const table = dynamodb.TableV2.fromTableArn(stack, 'Existing', 'arn:aws:dynamodb:eu-west-1:123456789012:table/log');
    const log = new ChannelLogTable(stack, 'Log', { table });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    log.grantRead(reader);

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['dynamodb:GetItem', 'dynamodb:Query'],
            Effect: 'Allow',
            Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/log',
          },
        ],
      },
    });
  });

  test('props out of range are refused in their own terms', () => {
    expect(() => new ChannelLogTable(stackOf(), 'L', { maxCount: 0 })).toThrow(/maxCount 0 is not valid/);
    expect(() => new ChannelLogTable(stackOf(), 'L', { maxAge: Duration.days(400) })).toThrow(/maxAge .* is not valid/);
    expect(() => new ChannelLogTable(stackOf(), 'L', { durableChannels: ['a,b'] })).toThrow(/durableChannels pattern/);
    const table = dynamodb.TableV2.fromTableName(stackOf(), 'T', 'log');
    expect(() => new ChannelLogTable(table.stack, 'L', { table, removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /either an existing table or a removalPolicy/,
    );
  });
});
