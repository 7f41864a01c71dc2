import { App, type CfnElement, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Env, MetricName } from '../../lambda/contract';
import {
  ConnectionTable,
  HandlerBundle,
  HandlerFunction,
  NativeWebSocketApi,
  type NativeWebSocketApiProps,
} from '../../lib';

const TOKEN_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf';

function stackOf(): Stack {
  return new Stack(new App(), 'Test');
}

function ownFunction(stack: Stack, id = 'Own'): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
}

/** The variables the constructs set on `fn` (NODE_OPTIONS, which HandlerFunction sets itself, left out). */
function publisherVariables(stack: Stack, fn: lambda.Function): Record<string, unknown> {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const variables = (stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables;
  const { NODE_OPTIONS: _nodeOptions, ...rest } = variables ?? {};
  return rest;
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

describe('NativeWebSocketApi', () => {
  test('routes: $connect, $disconnect and $default go to one function, each through its own integration', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws');

    // THEN
    const template = Template.fromStack(stack);
    const handlerId = logicalId(stack, api.handler);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 3);
    template.allResourcesProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY' });
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    for (const integration of Object.values(integrations)) {
      expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(`"${handlerId}","Arn"`);
    }
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect']);
    const targets = routes.map((r) => JSON.stringify(r.Properties.Target));
    expect(new Set(targets).size).toBe(3);
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('stage: deploys itself, named prod, and its URL is an output', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws');

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AutoDeploy: true, StageName: 'prod' });
    expect(stack.resolve(api.url)).toEqual(stack.resolve(api.stage.url));
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const url = Object.entries(outputs).find(([k]) => k.startsWith('WsUrl'))?.[1].Value;
    expect(url).toEqual(stack.resolve(api.stage.url));
  });

  test('stageName', () => {
    const stack = stackOf();
    new NativeWebSocketApi(stack, 'Ws', { stageName: 'live' });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'live' });
  });

  test('environment: table name and management URL from the stage, never from the request', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws');

    // THEN
    const apiId = logicalId(stack, api.webSocketApi);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [Env.CONNECTION_TABLE]: { Ref: logicalId(stack, api.connectionTable.table) },
          [Env.MANAGEMENT_ENDPOINT]: {
            'Fn::Join': [
              '',
              [
                'https://',
                { Ref: apiId },
                '.execute-api.',
                { Ref: 'AWS::Region' },
                '.',
                { Ref: 'AWS::URLSuffix' },
                '/prod',
              ],
            ],
          },
          [Env.METRICS_NAMESPACE]: 'FaasGrip',
          [Env.FANOUT_CONCURRENCY]: Match.absent(),
        }),
      },
    });
  });

  test('grants: POST and DELETE on the connections of this stage, the connection table, and invoking itself', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws');

    // THEN: the runtime posts to and deletes connections (lambda/native/management.ts), never GETs one
    const template = Template.fromStack(stack);
    const apiId = logicalId(stack, api.webSocketApi);
    const connections = (method: string) => ({
      'Fn::Join': ['', Match.arrayWith([{ Ref: apiId }, `/prod/${method}/@connections/*`])],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'execute-api:ManageConnections',
            Effect: 'Allow',
            Resource: [connections('POST'), connections('DELETE')],
          },
          Match.objectLike({ Action: Match.arrayWith(['dynamodb:BatchWriteItem', 'dynamodb:Query']) }),
        ]),
      },
    });
    const functionArn = { 'Fn::GetAtt': [logicalId(stack, api.handler), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: [functionArn, { 'Fn::Join': ['', [functionArn, ':*']] }],
          },
        ],
      },
    });
  });

  test('throttlingRateLimit and throttlingBurstLimit; no route settings when neither is given', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    new NativeWebSocketApi(stack, 'Limited', { throttlingRateLimit: 20, throttlingBurstLimit: 40 });
    new NativeWebSocketApi(stack, 'Open');

    // THEN
    const stages = Object.entries(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Stage'));
    const settings = (prefix: string) =>
      stages.find(([id]) => id.startsWith(prefix))?.[1].Properties.DefaultRouteSettings;
    expect(settings('Limited')).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(settings('Open')).toBeUndefined();
  });

  test('limits at the edge of their ranges, and values known only at deploy time, are accepted', () => {
    // GIVEN
    const stack = stackOf();
    const text = new CfnParameter(stack, 'Text').valueAsString;
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;

    // WHEN
    new NativeWebSocketApi(stack, 'Edge', {
      stageName: `live_${'x'.repeat(121)}-1`,
      throttlingRateLimit: 0.5,
      throttlingBurstLimit: 0,
      fanOutConcurrency: 1000,
      metricsNamespace: 'Team#1:chat.app_ws',
    });
    new NativeWebSocketApi(stack, 'Tokens', {
      throttlingRateLimit: count,
      throttlingBurstLimit: count,
      fanOutConcurrency: count,
      metricsNamespace: text,
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 0.5, ThrottlingBurstLimit: 0 },
    });
  });

  test.each<[string, NativeWebSocketApiProps, RegExp]>([
    [
      'a stage name with a space and a slash',
      { stageName: 'bad name/x' },
      /stageName "bad name\/x" is not valid: use 1 to 128/,
    ],
    ['the stage name $default', { stageName: '$default' }, /stageName "\$default" is not valid: use 1 to 128 letters/],
    ['an empty stage name', { stageName: '' }, /stageName "" is not valid: use 1 to 128 letters, digits, '-' and '_'/],
    [
      'a negative rate limit',
      { throttlingRateLimit: -0.5 },
      /throttlingRateLimit -0.5 is not valid: use a number of 0 or more/,
    ],
    [
      'an infinite rate limit',
      { throttlingRateLimit: Number.POSITIVE_INFINITY },
      /throttlingRateLimit Infinity is not valid/,
    ],
    [
      'a negative burst limit',
      { throttlingBurstLimit: -1 },
      /throttlingBurstLimit -1 is not valid: use a whole number of 0/,
    ],
    [
      'a fractional burst limit',
      { throttlingBurstLimit: 0.5 },
      /throttlingBurstLimit 0.5 is not valid: use a whole number/,
    ],
    [
      'no fan-out concurrency',
      { fanOutConcurrency: 0 },
      /fanOutConcurrency 0 is not valid: use a whole number from 1 to 1000/,
    ],
    [
      'a fractional fan-out concurrency',
      { fanOutConcurrency: 2.5 },
      /fanOutConcurrency 2.5 is not valid: use a whole number from 1/,
    ],
    [
      'a fan-out concurrency over 1000',
      { fanOutConcurrency: 1001 },
      /fanOutConcurrency 1001 is not valid: use a whole number from/,
    ],
    ['an empty metrics namespace', { metricsNamespace: '' }, /metricsNamespace "" is not valid: use 1 to 255 letters/],
    [
      'a metrics namespace with a comma',
      { metricsNamespace: 'a,b' },
      /metricsNamespace "a,b" is not valid: use 1 to 255 letters/,
    ],
  ])('fails: %s', (_, props, message) => {
    expect(() => new NativeWebSocketApi(stackOf(), 'Ws', props)).toThrow(message);
  });

  test('fanOutConcurrency and metricsNamespace reach the environment', () => {
    const stack = stackOf();
    new NativeWebSocketApi(stack, 'Ws', { fanOutConcurrency: 32, metricsNamespace: 'MyApp' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [Env.FANOUT_CONCURRENCY]: '32', [Env.METRICS_NAMESPACE]: 'MyApp' }),
      },
    });
  });

  test('authorizerTokenSecret: a $connect authorizer reading the token query parameter', () => {
    // GIVEN
    const stack = stackOf();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Token', TOKEN_SECRET_ARN);

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws', { authorizerTokenSecret: secret });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$connect', AuthorizationType: 'CUSTOM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'NONE' });
    expect(api.authorizerFunction).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { [Env.AUTHORIZER_TOKEN_SECRET_ARN]: TOKEN_SECRET_ARN, NODE_OPTIONS: Match.anyValue() },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: TOKEN_SECRET_ARN,
          }),
        ]),
      },
    });
  });

  test('no authorizer by default: every route is open', () => {
    const stack = stackOf();
    const api = new NativeWebSocketApi(stack, 'Ws');
    expect(api.authorizerFunction).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' });
  });

  test('handler and connectionTable: given ones are used', () => {
    // GIVEN
    const stack = stackOf();
    const handler = ownFunction(stack);
    const connectionTable = new ConnectionTable(stack, 'Shared');

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws', { handler, connectionTable });

    // THEN
    expect(api.handler).toBe(handler);
    expect(api.connectionTable).toBe(connectionTable);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [Env.CONNECTION_TABLE]: { Ref: logicalId(stack, connectionTable.table) } }),
      },
    });
  });

  test('accessLogDestination: JSON access logs naming the connection, event and route', () => {
    // GIVEN
    const stack = stackOf();
    const logGroup = new logs.LogGroup(stack, 'AccessLogs');

    // WHEN
    new NativeWebSocketApi(stack, 'Ws', { accessLogDestination: new apigwv2.LogGroupLogDestination(logGroup) });

    // THEN
    const stage = Object.values(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Stage'))[0];
    const settings = stage.Properties.AccessLogSettings;
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AccessLogs/), 'Arn'] });
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      connectionId: '$context.connectionId',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
  });

  test.each([
    ['a plain lambda.Function', (stack: Stack) => ownFunction(stack, 'Publisher')],
    ['a HandlerFunction', (stack: Stack) => new HandlerFunction(stack, 'Publisher', { bundle: HandlerBundle.STREAM })],
  ])('grantPublish on %s: grants the connections and the table, and nothing else', (_kind, define) => {
    // GIVEN
    const stack = stackOf();
    const api = new NativeWebSocketApi(stack, 'Ws');
    const publisher = define(stack);

    // WHEN
    const grant = api.grantPublish(publisher);

    // THEN: an iam.Grant; the function's environment is left alone
    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.success).toBe(true);
    expect(publisherVariables(stack, publisher)).toEqual({});
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Publisher') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'execute-api:ManageConnections' }),
          Match.objectLike({ Action: Match.arrayWith(['dynamodb:Query']) }),
          Match.objectLike({ Action: 'dynamodb:Query' }),
        ]),
      },
    });
    expect(api.publishers).toEqual([api.handler, publisher]);
  });

  test.each([
    ['a plain lambda.Function', (stack: Stack) => ownFunction(stack, 'Publisher')],
    ['a HandlerFunction', (stack: Stack) => new HandlerFunction(stack, 'Publisher', { bundle: HandlerBundle.STREAM })],
  ])('addPublisher on %s: sets the table and management URL and grants', (_kind, define) => {
    // GIVEN
    const stack = stackOf();
    const api = new NativeWebSocketApi(stack, 'Ws', { fanOutConcurrency: 8 });
    const publisher = define(stack);

    // WHEN
    api.addPublisher(publisher);

    // THEN
    expect(publisherVariables(stack, publisher)).toEqual({
      [Env.CONNECTION_TABLE]: { Ref: logicalId(stack, api.connectionTable.table) },
      [Env.MANAGEMENT_ENDPOINT]: stack.resolve(api.callbackUrl),
      [Env.METRICS_NAMESPACE]: 'FaasGrip',
      [Env.FANOUT_CONCURRENCY]: '8',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Publisher') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'execute-api:ManageConnections' })]),
      },
    });
  });

  test('metrics: delivered, gone and failed fan-out deliveries of the API function', () => {
    const stack = stackOf();
    const api = new NativeWebSocketApi(stack, 'Ws', { metricsNamespace: 'MyApp' });
    const metrics = [
      [api.metricFanOutDelivered(), MetricName.FANOUT_DELIVERED],
      [api.metricFanOutGone(), MetricName.FANOUT_GONE],
      [api.metricFanOutFailed(), MetricName.FANOUT_FAILED],
      [api.metricHandlerErrors(), MetricName.HANDLER_ERRORS],
    ] as const;
    for (const [metric, name] of metrics) {
      expect([metric.namespace, metric.metricName, metric.statistic]).toEqual(['MyApp', name, 'Sum']);
      expect(stack.resolve(metric.dimensions)).toEqual({ service: { Ref: logicalId(stack, api.handler) } });
    }
  });

  test('fails: one function behind two native APIs', () => {
    const stack = stackOf();
    const handler = ownFunction(stack);
    new NativeWebSocketApi(stack, 'First', { handler });
    expect(() => new NativeWebSocketApi(stack, 'Second', { handler })).toThrow(
      /Test\/Second cannot set FAAS_GRIP_CONNECTION_TABLE on function Test\/Own/,
    );
  });

  test('sharded fan-out: settings in the environment, failed shards to a dead-letter queue with two retries', () => {
    // GIVEN
    const stack = stackOf();
    const handler = ownFunction(stack);

    // WHEN
    const api = new NativeWebSocketApi(stack, 'Ws', {
      handler,
      fanOutThreshold: 20_000,
      fanOutShards: 5,
      fanOutShardSize: 2000,
    });

    // THEN
    expect(publisherVariables(stack, handler)).toMatchObject({
      [Env.FANOUT_THRESHOLD]: '20000',
      [Env.FANOUT_SHARDS]: '5',
      [Env.FANOUT_SHARD_SIZE]: '2000',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, api.deadLetterQueue), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    expect(stack.resolve(api.metricDeadLetters().namespace)).toBe('AWS/SQS');
  });

  test.each([
    [{ fanOutShards: 0 }, /fanOutShards/],
    [{ fanOutShards: 101 }, /fanOutShards/],
    [{ fanOutThreshold: 1.5 }, /fanOutThreshold/],
    [{ fanOutShardSize: 0 }, /fanOutShardSize/],
  ])('refuses sharding settings out of range: %j', (props, message) => {
    const stack = stackOf();
    expect(() => new NativeWebSocketApi(stack, 'Ws', props)).toThrow(message);
  });
});
