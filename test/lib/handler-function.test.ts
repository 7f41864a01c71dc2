import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HandlerBundle, HandlerFunction, type HandlerFunctionProps } from '../../lib';

function synth(define: (stack: Stack) => void): Template {
  const stack = new Stack(new App(), 'Test');
  define(stack);
  return Template.fromStack(stack);
}

describe('HandlerFunction', () => {
  test('defaults: Node.js 24 on ARM64, the chat bundle, source maps, 512 MiB, 28 s (under API Gateway 29 s)', () => {
    // WHEN
    const template = synth((stack) => new HandlerFunction(stack, 'Fn'));

    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 28,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogGroup') } },
    });
  });

  test('is a lambda.Function: used wherever one is, with no wrapper to unwrap', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');

    // WHEN
    const fn = new HandlerFunction(stack, 'Fn');

    // THEN
    expect(fn).toBeInstanceOf(lambda.Function);
    expect(fn.runtime).toBe(HandlerFunction.RUNTIME);
    expect(fn.architecture).toBe(lambda.Architecture.ARM_64);
    expect(stack.resolve(fn.logGroup.logGroupName)).toEqual({ Ref: expect.stringMatching(/^FnLogGroup/) });
    expect(fn.role).toBeDefined();
    expect('lambdaFunction' in fn).toBe(false);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
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
      JSON.stringify(stack.resolve((fn.node.defaultChild as lambda.CfnFunction).code));
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
      Environment: { Variables: { APP_SETTING: 'x', NODE_OPTIONS: '--no-source-maps --enable-source-maps' } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('memorySize and timeout at the edges of their ranges, and known only at deploy time, are accepted', () => {
    // WHEN
    const template = synth((stack) => {
      new HandlerFunction(stack, 'Small', { memorySize: 128, timeout: Duration.seconds(1) });
      new HandlerFunction(stack, 'Large', { memorySize: 10240, timeout: Duration.minutes(15) });
      const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
      new HandlerFunction(stack, 'Tokens', { memorySize: count, timeout: Duration.seconds(count) });
    });

    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 128, Timeout: 1 });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 10240, Timeout: 900 });
  });

  test('timeout: warns from 29 seconds on, when API Gateway stops waiting before the function times out', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');

    // WHEN
    new HandlerFunction(stack, 'Long', { timeout: Duration.seconds(30) });
    new HandlerFunction(stack, 'Equal', { timeout: Duration.seconds(29) });
    new HandlerFunction(stack, 'Default');
    new HandlerFunction(stack, 'Short', { timeout: Duration.seconds(10) });

    // THEN
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Long', Match.stringLikeRegexp('timeout 30 seconds is not shorter than API Gateway'));
    annotations.hasWarning('/Test/Equal', Match.stringLikeRegexp('timeout 29 seconds is not shorter than API Gateway'));
    annotations.hasNoWarning('/Test/Default', Match.anyValue());
    annotations.hasNoWarning('/Test/Short', Match.anyValue());
  });

  test.each<[string, HandlerFunctionProps, RegExp]>([
    [
      'memory under 128 MiB',
      { memorySize: 127 },
      /memorySize 127 is not valid: use a whole number from 128 to 10240 \(MiB\)/,
    ],
    [
      'memory over 10240 MiB',
      { memorySize: 10241 },
      /memorySize 10241 is not valid: use a whole number from 128 to 10240/,
    ],
    ['a fractional memory size', { memorySize: 512.5 }, /memorySize 512.5 is not valid: use a whole number from 128/],
    [
      'a zero timeout',
      { timeout: Duration.seconds(0) },
      /timeout 0 seconds is not valid: use whole seconds from 1 second/,
    ],
    [
      'a timeout over 15 minutes',
      { timeout: Duration.minutes(16) },
      /timeout 16 minutes is not valid: .*to 15 minutes/,
    ],
    [
      'a timeout in part seconds',
      { timeout: Duration.millis(1500) },
      /timeout 1 second 500 millis is not valid: use whole seconds/,
    ],
    [
      'an environment name with a hyphen',
      { environment: { 'MY-VAR': 'x' } },
      /environment variable name "MY-VAR" is not valid/,
    ],
    [
      'an environment name of one letter',
      { environment: { A: 'x' } },
      /name "A" is not valid: .*at least 2 characters/,
    ],
    [
      'an environment name beginning with a digit',
      { environment: { '1A': 'x' } },
      /name "1A" is not valid: .*beginning/,
    ],
  ])('fails: %s', (_, props, message) => {
    expect(() => new HandlerFunction(new Stack(new App(), 'Test'), 'Fn', props)).toThrow(message);
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
    expect(fn.grantPrincipal).toBe(role);
  });
});
