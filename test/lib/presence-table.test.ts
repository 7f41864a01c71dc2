import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Env, PresenceSchema } from '../../lambda/contract';
import { HandlerBundle, HandlerFunction, PresenceTable } from '../../lib';

const stackOf = () => new Stack(new App(), 'Test');

describe('PresenceTable', () => {
  test('defaults: the contract schema with the byConnection index, TTL, on-demand, deleted with the stack', () => {
    const stack = stackOf();

    const presence = new PresenceTable(stack, 'Presence');

    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: {
        TableName: Match.absent(),
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: PresenceSchema.partitionKey, KeyType: 'HASH' },
          { AttributeName: PresenceSchema.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: PresenceSchema.connectionIndexName,
            Projection: { ProjectionType: 'KEYS_ONLY' },
          }),
        ],
        TimeToLiveSpecification: { AttributeName: PresenceSchema.ttlAttribute, Enabled: true },
      },
    });
    expect(presence.timeout.toSeconds()).toBe(45);
  });

  test('addMember sets the table and timeout and grants the item calls and the index Query only', () => {
    const stack = stackOf();
    const presence = new PresenceTable(stack, 'Presence', { timeout: Duration.seconds(30) });
    const fn = new HandlerFunction(stack, 'Fn', { bundle: HandlerBundle.CHAT_GRIP });

    presence.addMember(fn);

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [Env.PRESENCE_TABLE]: { Ref: Match.stringLikeRegexp('^Presence') },
          [Env.PRESENCE_TIMEOUT]: '30',
          [Env.PRESENCE_EVENTS]: '*',
        }),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const onPresence = statements.filter((s) => JSON.stringify(s.Resource).includes('"Presence'));
    expect(onPresence.map((s) => s.Action)).toEqual([
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
    ]);
    expect(JSON.stringify(onPresence[1].Resource)).toContain(`/index/${PresenceSchema.connectionIndexName}`);
  });

  test('a timeout out of range, or an existing table with a removal policy, is refused in its own terms', () => {
    expect(() => new PresenceTable(stackOf(), 'P', { timeout: Duration.seconds(2) })).toThrow(/timeout 2 is not valid/);
    const stack = stackOf();
    const table = dynamodb.TableV2.fromTableName(stack, 'T', 'presence');
    expect(() => new PresenceTable(stack, 'P', { table, removalPolicy: RemovalPolicy.RETAIN })).toThrow(
      /either an existing table or a removalPolicy/,
    );
  });
});
