import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import {
  ChatStack,
  ChatTransport,
  CustomDomain,
  GripApi,
  type GripApiProps,
  NativeWebSocketApi,
  type NativeWebSocketApiProps,
  TransportAlarms,
} from '../../lib';

/** Every acknowledgment (rule id and reason) recorded in the construct tree. */
function acknowledgments(root: IConstruct): { id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .map(([id, reason]) => ({ id, reason }));
}

function violations(app: App, packs: NagPack[]): string[] {
  return packs.flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName}: ${r.constructPath}`)),
  );
}

describe('ChatStack under cdk-nag (AwsSolutions and Serverless packs)', () => {
  test.each(ChatTransport.ALL.map((t) => [t.name, t]))('transport %s: no unsuppressed finding', (_name, transport) => {
    // GIVEN
    const app = new App();
    const stack = new ChatStack(app, 'Chat', { transport, alarms: true });

    // WHEN
    const found = violations(app, [new AwsSolutionsChecks(app), new ServerlessChecks(app)]);

    // THEN: no error and no warning is left, and every acknowledgment says why
    expect(found).toEqual([]);
    const acknowledged = acknowledgments(stack);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect([id, reason.length >= 40]).toEqual([id, true]);
    }
  });

  test('the packs run as validation plugins at synth, as an app would register them', () => {
    // GIVEN
    const app = new App();
    new ChatStack(app, 'Chat', { transport: ChatTransport.BOTH });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));

    // THEN: synth fails on any violation; it passes
    expect(() => app.synth()).not.toThrow();
  });

  test('the check does catch findings: an open GRIP API and a plain function of the app', () => {
    // GIVEN a GRIP API with signature checks off, and a function the app defines itself
    const app = new App();
    const stack = new Stack(app, 'Plain');
    new GripApi(stack, 'Api', { verifySignature: false });
    plainFunction(stack, 'Own');

    // WHEN
    const found = violations(app, [new AwsSolutionsChecks(app), new ServerlessChecks(app)]).join('\n');

    // THEN
    expect(found).toMatch(/error AwsSolutions-APIG4: Plain\/Api/);
    expect(found).toMatch(/error Serverless-LambdaDLQ: Plain\/Own/);
    expect(found).not.toMatch(/(AwsSolutions-APIG2|AwsSolutions-IAM5|Serverless-LambdaDLQ)\S*: Plain\/Api/);
  });
});

describe('the constructs in a consumer app under cdk-nag (AwsSolutions and Serverless packs)', () => {
  test.each([
    ['defaults', (_stack: Stack) => ({})],
    [
      'access logs, limits, an authorizer, a custom domain',
      (stack: Stack) => {
        const logGroup = new logs.LogGroup(stack, 'AccessLogs', { retention: logs.RetentionDays.ONE_WEEK });
        const certificate = acm.Certificate.fromCertificateArn(
          stack,
          'Cert',
          'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        );
        return {
          grip: {
            accessLogDestination: new apigateway.LogGroupLogDestination(logGroup),
            throttlingRateLimit: 100,
            throttlingBurstLimit: 200,
            customDomain: CustomDomain.newDomainName({ domainName: 'grip.example.com', certificate }),
          },
          native: {
            accessLogDestination: new apigwv2.LogGroupLogDestination(logGroup),
            throttlingRateLimit: 100,
            throttlingBurstLimit: 200,
            authorizerTokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Token', 'chat-token'),
          },
        };
      },
    ],
  ] as const)('%s: findings only on what the app defines itself', (_name, propsOf) => {
    // GIVEN an app composing every construct, with one function of its own that publishes on both
    const app = new App();
    const stack = new Stack(app, 'Consumer');
    const props: { grip?: GripApiProps; native?: NativeWebSocketApiProps } = propsOf(stack);
    const own = plainFunction(stack, 'Own');
    const gripApi = new GripApi(stack, 'Grip', props.grip);
    const nativeWebSocketApi = new NativeWebSocketApi(stack, 'Ws', props.native);
    gripApi.grantPublish(own);
    nativeWebSocketApi.grantPublish(own);
    new TransportAlarms(stack, 'Alarms', { gripApi, nativeWebSocketApi });

    // WHEN
    const found = violations(app, [new AwsSolutionsChecks(app), new ServerlessChecks(app)]);

    // THEN: every finding left is on the app's own function or its role, and every acknowledgment says why
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !/: Consumer\/Own\//.test(f))).toEqual([]);
    for (const { id, reason } of acknowledgments(stack)) {
      expect([id, reason.length >= 40]).toEqual([id, true]);
    }
  });
});

function plainFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
}
