import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Env } from '../../lambda/contract';
import { ChatStack, ChatTransport, GripSettings, HandlerBundle, HandlerFunction } from '../../lib';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function resourcesOf(stack: ChatStack): Resources {
  return Template.fromStack(stack).toJSON().Resources as Resources;
}

/** Replaces asset hashes (64 hex digits) so the snapshot does not churn when a handler bundle changes. */
function withoutAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[ASSET HASH]'));
}

describe('ChatTransport', () => {
  test('of: finds a transport by name, in any case', () => {
    expect(ChatTransport.of('grip')).toBe(ChatTransport.GRIP);
    expect(ChatTransport.of(' Native ')).toBe(ChatTransport.NATIVE);
    expect(ChatTransport.of('BOTH')).toBe(ChatTransport.BOTH);
  });

  test('fails: an unknown name, listing the valid ones', () => {
    expect(() => ChatTransport.of('sse')).toThrow("unknown chat transport 'sse': use one of grip, native, both");
  });
});

describe('ChatStack.propsFromContext (the -c options of bin/chat.ts)', () => {
  const propsOf = (context: Record<string, unknown>) => ChatStack.propsFromContext(new App({ context }));

  test('alarms: -c alarms=true turns them on, false or absent leaves them off', () => {
    expect(propsOf({ alarms: 'true' }).alarms).toBe(true);
    expect(propsOf({ alarms: 'TRUE' }).alarms).toBe(true);
    expect(propsOf({ alarms: true }).alarms).toBe(true);
    expect(propsOf({ alarms: 'false' }).alarms).toBe(false);
    expect(propsOf({}).alarms).toBe(false);
  });

  test('transport: both by default; -c transport=grip picks GRIP only', () => {
    expect(propsOf({}).transport).toBe(ChatTransport.BOTH);
    expect(propsOf({ transport: 'grip' }).transport).toBe(ChatTransport.GRIP);
  });

  test('signIn: on by default; -c signIn=false deploys the open chat; another value fails', () => {
    expect(propsOf({}).signIn).toBe(true);
    expect(propsOf({ signIn: 'false' }).signIn).toBe(false);
    expect(() => propsOf({ signIn: 'maybe' })).toThrow('-c signIn=maybe is not valid');
  });

  test('fails: an alarms value that is not true or false', () => {
    expect(() => propsOf({ alarms: 'yes' })).toThrow(
      "-c alarms='yes' is not valid: use -c alarms=true or -c alarms=false",
    );
  });
});

describe('ChatStack', () => {
  test('default: both transports, so the native chat works at once and GRIP once its secret is set', () => {
    const stack = new ChatStack(new App(), 'Chat');

    const template = Template.fromStack(stack);
    expect(stack.gripApi).toBeDefined();
    expect(stack.nativeWebSocketApi).toBeDefined();
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    // The connection table, the durable channels' log and presence.
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 3);
    expect(stack.channelLog).toBeDefined();
    expect(stack.presence).toBeDefined();
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('durable: false keeps no history: no channel log, no log settings', () => {
    const stack = new ChatStack(new App(), 'Chat', { durable: false });

    const template = Template.fromStack(stack);
    expect(stack.channelLog).toBeUndefined();
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const variables = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment
      .Variables;
    expect(variables[Env.CHANNEL_LOG_TABLE]).toBeUndefined();
  });

  test('transport GRIP: a GRIP origin, no WebSocket API, no connection table (the channel log and presence)', () => {
    const stack = new ChatStack(new App(), 'Chat', { transport: ChatTransport.GRIP });

    const template = Template.fromStack(stack);
    expect(stack.gripApi).toBeDefined();
    expect(stack.nativeWebSocketApi).toBeUndefined();
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'channel', KeyType: 'HASH' },
        { AttributeName: 'offset', KeyType: 'RANGE' },
      ],
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('transport NATIVE: a WebSocket API and its table, no REST API and no GRIP secret', () => {
    const stack = new ChatStack(new App(), 'Chat', { transport: ChatTransport.NATIVE });

    const template = Template.fromStack(stack);
    expect(stack.gripApi).toBeUndefined();
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 3);
  });

  test('transport BOTH: one function behind both APIs, with both settings (one room)', () => {
    // WHEN
    const stack = new ChatStack(new App(), 'Chat', { transport: ChatTransport.BOTH });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(stack.gripApi?.handler).toBe(stack.handler);
    expect(stack.nativeWebSocketApi?.handler).toBe(stack.handler);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [Env.GRIP_SECRET_ARN]: Match.anyValue(),
          [Env.CONNECTION_TABLE]: Match.anyValue(),
          [Env.MANAGEMENT_ENDPOINT]: Match.anyValue(),
        }),
      },
    });
  });

  test('runs the GRIP-only chat bundle on GRIP and the full one when native connections are served', () => {
    // GIVEN the S3 key (content hash) of each chat bundle
    const s3KeyOf = (stack: Stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
        (r) => (r as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
      );
    const refKey = (bundle: HandlerBundle) => {
      const stack = new Stack(new App(), 'Ref');
      new HandlerFunction(stack, 'Ref', { bundle });
      return s3KeyOf(stack)[0];
    };

    // WHEN
    const grip = new ChatStack(new App(), 'Grip', { transport: ChatTransport.GRIP });
    const both = new ChatStack(new App(), 'Both', { transport: ChatTransport.BOTH });

    // THEN
    expect(refKey(HandlerBundle.CHAT_GRIP)).not.toEqual(refKey(HandlerBundle.CHAT));
    expect(s3KeyOf(grip)).toEqual([refKey(HandlerBundle.CHAT_GRIP)]);
    expect(s3KeyOf(both)).toEqual([refKey(HandlerBundle.CHAT)]);
  });

  test('throttles both stages', () => {
    const template = Template.fromStack(new ChatStack(new App(), 'Chat', { transport: ChatTransport.BOTH }));
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 })],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });

  test('alarms: none unless asked for', () => {
    const app = new App();
    const quiet = new ChatStack(app, 'Quiet', { transport: ChatTransport.BOTH });
    const watched = new ChatStack(app, 'Watched', { transport: ChatTransport.BOTH, alarms: true });
    Template.fromStack(quiet).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    Template.fromStack(watched).resourceCountIs('AWS::CloudWatch::Alarm', 7);
    expect(watched.alarms?.alarms).toHaveLength(7);
  });

  test('the GRIP key appears nowhere in the template, with a new or an existing secret', () => {
    // GIVEN
    const app = new App();
    const secret = new secretsmanager.Secret(new Stack(app, 'Shared'), 'GripSettings');
    const existing = new ChatStack(app, 'Existing', {
      transport: ChatTransport.BOTH,
      gripSettings: GripSettings.fromSecret(secret),
    });
    const created = new ChatStack(app, 'Created', { transport: ChatTransport.BOTH });
    const unsafe = new ChatStack(app, 'Unsafe', {
      gripSettings: GripSettings.fromUrlUnsafe('https://api.fanout.io/realm/r?iss=r&key=base64:RkFLRS1HUklQLUtFWQ=='),
    });

    // THEN: no GRIP_URL variable and no key material in the secret-based stacks
    for (const stack of [existing, created]) {
      const text = JSON.stringify(Template.fromStack(stack).toJSON());
      expect(text).not.toMatch(/"GRIP_URL"\s*:/);
      expect(text).not.toMatch(/[?&](key|verify-key|iss)=/);
      expect(text).not.toContain('RkFLRS1HUklQLUtFWQ');
    }
    // and the check does catch a key when one is there
    const unsafeText = JSON.stringify(Template.fromStack(unsafe).toJSON());
    expect(unsafeText).toContain('key=base64:RkFLRS1HUklQLUtFWQ==');
    Annotations.fromStack(unsafe).hasWarning('*', Match.stringLikeRegexp('plain text'));
  });

  test('two chat stacks synthesize side by side in one app, with no physical name set', () => {
    // GIVEN
    const app = new App();
    const stacks = [
      new ChatStack(app, 'ChatOne', { transport: ChatTransport.BOTH }),
      new ChatStack(app, 'ChatTwo', { transport: ChatTransport.BOTH }),
    ];

    // WHEN
    const assembly = app.synth();

    // THEN
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['ChatOne', 'ChatTwo']);
    const physicalName: Record<string, string> = {
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::DynamoDB::GlobalTable': 'TableName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::SecretsManager::Secret': 'Name',
    };
    let checked = 0;
    for (const stack of stacks) {
      for (const [id, resource] of Object.entries(resourcesOf(stack))) {
        const name = physicalName[resource.Type];
        if (name !== undefined) {
          expect([id, resource.Properties?.[name]]).toEqual([id, undefined]);
          checked += 1;
        }
      }
    }
    expect(checked).toBe(2 * 7); // role, log group, function, secret, connection table, channel log, presence
  });

  test('IAM is least-privilege: no action wildcard, no managed policy, resource wildcards only where AWS needs them', () => {
    // GIVEN
    const stack = new ChatStack(new App(), 'Chat', { transport: ChatTransport.BOTH });

    // THEN
    const resources = resourcesOf(stack);
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap(
        (r) => (r.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] } | undefined)?.Statement ?? [],
      );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = ([] as unknown[]).concat(statement.Action);
      expect(actions.filter((a) => String(a).includes('*'))).toEqual([]);
      for (const resource of ([] as unknown[]).concat(statement.Resource)) {
        const text = JSON.stringify(resource);
        if (text.includes('*') && actions[0] === 'lambda:InvokeFunction') {
          // the self-invocation names the version it runs as: any qualifier of this one function
          expect(actions).toEqual(['lambda:InvokeFunction']);
          expect(text).toMatch(/^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["Chat\w+","Arn"\]\},":\*"\]\]\}$/);
        } else if (text.includes('*')) {
          // connection ids exist only at run time: AWS offers no narrower resource than this stage's @connections
          expect(actions).toEqual(['execute-api:ManageConnections']);
          expect(text).toMatch(/\/prod\/(POST|DELETE)\/@connections\/\*"\]\]\}$/);
        }
      }
    }
    for (const role of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('defines no account-wide API Gateway CloudWatch role', () => {
    for (const transport of ChatTransport.ALL) {
      const stack = new ChatStack(new App(), 'Chat', { transport });
      Template.fromStack(stack).resourceCountIs('AWS::ApiGateway::Account', 0);
    }
  });

  test('golden snapshot of the chat on both transports (asset hashes stripped)', () => {
    const stack = new ChatStack(new App(), 'Chat', { transport: ChatTransport.BOTH });
    expect(withoutAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
