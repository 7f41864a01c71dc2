import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HandlerBundle, HandlerFunction } from '../../lib';

function synth(define: (stack: Stack) => void): Template {
  const stack = new Stack(new App(), 'Test');
  define(stack);
  return Template.fromStack(stack);
}

describe('HandlerFunction', () => {
  test('defaults: Node.js 24 on ARM64, the chat bundle, source maps, 512 MiB, 29 s', () => {
    // WHEN
    const template = synth((stack) => new HandlerFunction(stack, 'Fn'));

    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 29,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogGroup') } },
    });
  });

  test('logs go to an explicit log group kept one month, which the role alone may write to', () => {
    const template = synth((stack) => new HandlerFunction(stack, 'Fn'));

    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FnLogGroup'), 'Arn'] },
          },
        ],
      },
    });
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  test('bundle: picks the pre-built asset', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');

    // WHEN
    const chat = new HandlerFunction(stack, 'Chat');
    const authorizer = new HandlerFunction(stack, 'Authorizer', { bundle: HandlerBundle.AUTHORIZER });

    // THEN
    const key = (fn: HandlerFunction) =>
      JSON.stringify(stack.resolve((fn.lambdaFunction.node.defaultChild as lambda.CfnFunction).code));
    expect(key(chat)).not.toEqual(key(authorizer));
    expect(HandlerBundle.AUTHORIZER.assetName).toBe('authorizer');
    expect([HandlerBundle.CHAT, HandlerBundle.STREAM, HandlerBundle.LONG_POLL].map((b) => b.assetName)).toEqual([
      'chat',
      'stream',
      'long-poll',
    ]);
  });

  test('memorySize, timeout, logRetention and environment', () => {
    const template = synth(
      (stack) =>
        new HandlerFunction(stack, 'Fn', {
          memorySize: 1024,
          timeout: Duration.seconds(10),
          logRetention: logs.RetentionDays.ONE_WEEK,
          environment: { APP_SETTING: 'x', NODE_OPTIONS: '--no-source-maps' },
        }),
    );

    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 10,
      Environment: { Variables: { APP_SETTING: 'x', NODE_OPTIONS: '--enable-source-maps' } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('role: runs with the given role and grants it the log group', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    const fn = new HandlerFunction(stack, 'Fn', { role });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyRole'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^MyRole') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] })] },
    });
    expect(fn.role).toBe(role);
    expect(fn.grantPrincipal).toBe(fn.lambdaFunction.grantPrincipal);
  });
});
