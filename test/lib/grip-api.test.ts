import { App, type CfnElement, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Env, MetricName } from '../../lambda/contract';
import { CustomDomain, GripApi, type GripApiProps, GripSettings, HandlerBundle, HandlerFunction } from '../../lib';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:grip-AbCdEf';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

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

function env(variables: Record<string, unknown>): Record<string, unknown> {
  return { Environment: { Variables: Match.objectLike(variables) } };
}

function outputValue(stack: Stack, prefix: string): string {
  const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
  const key = Object.keys(outputs).find((k) => k.startsWith(prefix));
  if (key === undefined) {
    throw new Error(`no output ${prefix}`);
  }
  const value = outputs[key].Value;
  const join = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : Array.isArray((v as { 'Fn::Join'?: unknown })['Fn::Join'])
        ? ((v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[]).map(join).join('')
        : `<${JSON.stringify(v)}>`;
  return join(value);
}

describe('GripApi', () => {
  test('defaults: a regional REST API with the binary media type, Lambda proxy on / and /{proxy+}', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    new GripApi(stack, 'Api');

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['application/websocket-events'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    template.resourceCountIs('AWS::ApiGateway::Method', 2);
    template.allResourcesProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod' });
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', env({ [Env.GRIP_SECRET_ARN]: Match.anyValue() }));
  });

  test('defines no account-wide CloudWatch role and no test-invoke permissions', () => {
    const stack = stackOf();
    new GripApi(stack, 'Api');

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourceCountIs('AWS::Lambda::Permission', 2);
    for (const permission of Object.values(template.findResources('AWS::Lambda::Permission'))) {
      expect(JSON.stringify(permission)).not.toContain('test-invoke-stage');
    }
  });

  test('handler: the own function gets the settings and read access to the secret', () => {
    // GIVEN
    const stack = stackOf();
    const handler = ownFunction(stack);

    // WHEN
    const api = new GripApi(stack, 'Api', { handler });

    // THEN
    expect(api.handler).toBe(handler);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties(
      'AWS::Lambda::Function',
      env({ [Env.GRIP_SECRET_ARN]: { Ref: Match.stringLikeRegexp('^ApiGripSecret') } }),
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('^ApiGripSecret') },
          }),
        ]),
      },
    });
  });

  test('gripSettings: an existing secret', () => {
    const stack = stackOf();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Existing', SECRET_ARN);

    const api = new GripApi(stack, 'Api', { gripSettings: GripSettings.fromSecret(secret) });

    expect(api.gripSecret).toBe(secret);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', env({ [Env.GRIP_SECRET_ARN]: SECRET_ARN }));
  });

  test('verifySignature: on unless turned off, which warns', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    new GripApi(stack, 'On');
    new GripApi(stack, 'Off', { verifySignature: false });

    // THEN
    const functions = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const verify = (prefix: string) =>
      functions.find(([id]) => id.startsWith(prefix))?.[1].Properties.Environment.Variables[Env.GRIP_SIG_VERIFY];
    expect(verify('On')).toBeUndefined();
    expect(verify('Off')).toBe('off');
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Off', Match.stringLikeRegexp('anyone who finds the API URL'));
    annotations.hasNoWarning('/Test/On', Match.anyValue());
  });

  test('channelPrefix and metricsNamespace reach the environment', () => {
    const stack = stackOf();
    new GripApi(stack, 'Api', { channelPrefix: 'chat-', metricsNamespace: 'MyApp' });
    Template.fromStack(stack).hasResourceProperties(
      'AWS::Lambda::Function',
      env({ [Env.GRIP_PREFIX]: 'chat-', [Env.METRICS_NAMESPACE]: 'MyApp' }),
    );
  });

  test('endpointType', () => {
    const stack = stackOf();
    new GripApi(stack, 'Api', { endpointType: apigateway.EndpointType.EDGE });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['EDGE'] },
    });
  });

  test('stageName: names the stage and the path prefix of the outputs', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    const api = new GripApi(stack, 'Api', { stageName: 'live' });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'live' });
    expect(api.originPathPrefix).toBe('/live');
    expect(outputValue(stack, 'ApiOriginPathPrefix')).toBe('/live');
  });

  test('throttlingRateLimit and throttlingBurstLimit', () => {
    const stack = stackOf();
    new GripApi(stack, 'Api', { throttlingRateLimit: 50, throttlingBurstLimit: 100 });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
    });
  });

  test('limits at the edge of their ranges, and values known only at deploy time, are accepted', () => {
    // GIVEN
    const stack = stackOf();
    const text = new CfnParameter(stack, 'Text').valueAsString;
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;

    // WHEN
    new GripApi(stack, 'Edge', {
      stageName: 'a'.repeat(128),
      throttlingRateLimit: 0.5,
      throttlingBurstLimit: 0,
      channelPrefix: 'app:chat/é-',
      metricsNamespace: `My App/${'x'.repeat(248)}`,
    });
    new GripApi(stack, 'Tokens', {
      throttlingRateLimit: count,
      throttlingBurstLimit: count,
      channelPrefix: text,
      metricsNamespace: text,
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 0.5, ThrottlingBurstLimit: 0 })],
    });
  });

  test.each<[string, GripApiProps, RegExp]>([
    ['a stage name with a space', { stageName: 'my stage' }, /stageName "my stage" is not valid: use 1 to 128 letters/],
    [
      'a stage name over 128 characters',
      { stageName: 'a'.repeat(129) },
      /stageName "a{40}"… \(129 characters\) is not valid: use 1 to 128/,
    ],
    [
      'a negative rate limit',
      { throttlingRateLimit: -1 },
      /throttlingRateLimit -1 is not valid: use a number of 0 or more/,
    ],
    ['a rate limit that is not a number', { throttlingRateLimit: Number.NaN }, /throttlingRateLimit NaN is not valid/],
    [
      'a negative burst limit',
      { throttlingBurstLimit: -5 },
      /throttlingBurstLimit -5 is not valid: use a whole number of 0/,
    ],
    [
      'a fractional burst limit',
      { throttlingBurstLimit: 2.5 },
      /throttlingBurstLimit 2.5 is not valid: use a whole number/,
    ],
    ['a channel prefix with a comma', { channelPrefix: 'a,b' }, /channelPrefix "a,b" is not valid: it contains "," at/],
    [
      'a channel prefix with a semicolon',
      { channelPrefix: 'a;' },
      /channelPrefix "a;" is not valid: it contains ";" at/,
    ],
    ['a channel prefix with a double quote', { channelPrefix: 'a"' }, /channelPrefix "a\\"" is not valid: it contains/],
    [
      'a channel prefix with a newline',
      { channelPrefix: 'a\n' },
      /channelPrefix "a\\n" is not valid: .*control characters/,
    ],
    ['an empty metrics namespace', { metricsNamespace: '' }, /metricsNamespace "" is not valid: use 1 to 255 letters/],
    [
      'a metrics namespace over 255 characters',
      { metricsNamespace: 'a'.repeat(256) },
      /metricsNamespace .*256 char.*1 to 255/,
    ],
    [
      'a metrics namespace with a $',
      { metricsNamespace: 'My$App' },
      /metricsNamespace "My\$App" is not valid: use 1 to/,
    ],
    [
      'a metrics namespace in AWS/',
      { metricsNamespace: 'AWS/Mine' },
      /metricsNamespace "AWS\/Mine" is not valid: .*'AWS\/'/,
    ],
    ['a metrics namespace beginning with :', { metricsNamespace: ':x' }, /metricsNamespace ":x" is not valid: .*':'/],
    [
      'endpointType PRIVATE',
      { endpointType: apigateway.EndpointType.PRIVATE },
      /endpointType PRIVATE is not valid: .*REGIONAL/,
    ],
  ])('fails: %s', (_, props, message) => {
    expect(() => new GripApi(stackOf(), 'Api', props)).toThrow(message);
  });

  test('accessLogDestination: JSON access logs; none by default', () => {
    // GIVEN
    const stack = stackOf();
    const logGroup = new logs.LogGroup(stack, 'AccessLogs');

    // WHEN
    new GripApi(stack, 'Logged', { accessLogDestination: new apigateway.LogGroupLogDestination(logGroup) });
    new GripApi(stack, 'Quiet');

    // THEN
    const stages = Object.entries(Template.fromStack(stack).findResources('AWS::ApiGateway::Stage'));
    const setting = (prefix: string) => stages.find(([id]) => id.startsWith(prefix))?.[1].Properties.AccessLogSetting;
    expect(setting('Logged')).toEqual({
      DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^AccessLogs/), 'Arn'] },
      Format: expect.stringContaining('"requestId":"$context.requestId"'),
    });
    expect(setting('Quiet')).toBeUndefined();
  });

  test('outputs: origin host, port 443, TLS, Host header, path prefix, Pushpin route and Fastly backend', () => {
    // GIVEN
    const stack = stackOf();

    // WHEN
    const api = new GripApi(stack, 'Api');

    // THEN
    const restApiId = stack.getLogicalId(api.restApi.node.defaultChild as CfnElement);
    const host = `<{"Ref":"${restApiId}"}>.execute-api.<{"Ref":"AWS::Region"}>.<{"Ref":"AWS::URLSuffix"}>`;
    expect(outputValue(stack, 'ApiOriginHost')).toBe(host);
    expect(outputValue(stack, 'ApiOriginPort')).toBe('443');
    expect(outputValue(stack, 'ApiOriginTls')).toBe('on');
    expect(outputValue(stack, 'ApiOriginHostHeader')).toBe(host);
    expect(outputValue(stack, 'ApiOriginPathPrefix')).toBe('/prod');
    expect(outputValue(stack, 'ApiPushpinRoute')).toBe(
      `*,path_beg=/,replace_beg=/prod/ ${host}:443,ssl,over_http,host=${host}`,
    );
    expect(outputValue(stack, 'ApiFastlyBackend')).toBe(
      `address ${host}, port 443, TLS on, override host ${host}; prepend /prod to the path before the Fanout handoff`,
    );
    expect(stack.resolve(api.pushpinRoute)).toEqual(
      stack.resolve(`*,path_beg=/,replace_beg=/prod/ ${api.originHost}:443,ssl,over_http,host=${api.originHost}`),
    );
  });

  test('customDomain: a new domain name; the outputs name it, with no path prefix', () => {
    // GIVEN
    const stack = stackOf();
    const certificate = acm.Certificate.fromCertificateArn(
      stack,
      'Cert',
      'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    );

    // WHEN
    const api = new GripApi(stack, 'Api', {
      customDomain: CustomDomain.newDomainName({ domainName: 'grip.example.com', certificate }),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'grip.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { BasePath: Match.absent() });
    expect(api.originHost).toBe('grip.example.com');
    expect(api.originPathPrefix).toBe('');
    expect(api.pushpinRoute).toBe('* grip.example.com:443,ssl,over_http,host=grip.example.com');
    expect(outputValue(stack, 'ApiFastlyBackend')).toBe(
      'address grip.example.com, port 443, TLS on, override host grip.example.com',
    );
    expect(() => outputValue(stack, 'ApiOriginPathPrefix')).toThrow(/no output/);
  });

  test('customDomain: a new domain name without a hosted zone outputs the name to point a CNAME or alias at', () => {
    // GIVEN
    const stack = stackOf();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN);

    // WHEN
    new GripApi(stack, 'Api', {
      customDomain: CustomDomain.newDomainName({ domainName: 'grip.example.com', certificate }),
    });

    // THEN: the regional target API Gateway gives the domain, which resolves from the moment it exists
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    const domainId = Object.keys(template.findResources('AWS::ApiGateway::DomainName'))[0];
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    const target = Object.entries(outputs).find(([id]) => id.startsWith('ApiDomainDnsTarget'))?.[1];
    expect(target?.Value).toEqual({ 'Fn::GetAtt': [domainId, 'RegionalDomainName'] });
    expect(target?.Description).toMatch(/^Point a CNAME \(or an alias A record\) for grip\.example\.com at this name/);
  });

  test('customDomain: a new domain name in a hosted zone gets its alias record', () => {
    // GIVEN
    const stack = stackOf();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN);
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      zoneName: 'example.com',
    });

    // WHEN
    new GripApi(stack, 'Api', {
      customDomain: CustomDomain.newDomainName({ domainName: 'grip.example.com', certificate, hostedZone }),
    });

    // THEN
    const template = Template.fromStack(stack);
    const domainId = Object.keys(template.findResources('AWS::ApiGateway::DomainName'))[0];
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'grip.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] },
        HostedZoneId: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] },
      },
    });
    expect(() => outputValue(stack, 'ApiDomainDnsTarget')).toThrow(/no output/);
  });

  test('fails: a new domain name outside the hosted zone given', () => {
    const stack = stackOf();
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN);
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      zoneName: 'example.org',
    });
    expect(() => CustomDomain.newDomainName({ domainName: 'grip.example.com', certificate, hostedZone })).toThrow(
      'custom domain grip.example.com is not in the hosted zone example.org: give the zone the name belongs to',
    );
  });

  test('customDomain: an existing domain name, under a base path', () => {
    // GIVEN
    const stack = stackOf();
    const domain = apigateway.DomainName.fromDomainNameAttributes(stack, 'Domain', {
      domainName: 'rt.example.com',
      domainNameAliasHostedZoneId: 'Z2FDTNDATAQYW2',
      domainNameAliasTarget: 'd-abc.execute-api.eu-west-1.amazonaws.com',
    });

    // WHEN
    const api = new GripApi(stack, 'Api', { customDomain: CustomDomain.fromDomainName(domain, { basePath: 'grip' }) });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::BasePathMapping', {
      DomainName: 'rt.example.com',
      BasePath: 'grip',
      Stage: { Ref: Match.stringLikeRegexp('^ApiDeploymentStageprod') },
    });
    expect(api.originPathPrefix).toBe('/grip');
    expect(api.pushpinRoute).toBe(
      '*,path_beg=/,replace_beg=/grip/ rt.example.com:443,ssl,over_http,host=rt.example.com',
    );
  });

  test('fails: a base path with slashes around it', () => {
    const stack = stackOf();
    const domain = apigateway.DomainName.fromDomainNameAttributes(stack, 'Domain', {
      domainName: 'rt.example.com',
      domainNameAliasHostedZoneId: 'Z2FDTNDATAQYW2',
      domainNameAliasTarget: 'd-abc.execute-api.eu-west-1.amazonaws.com',
    });
    expect(() => CustomDomain.fromDomainName(domain, { basePath: '/grip/' })).toThrow(
      `custom domain basePath "/grip/" is not valid: use path segments without leading or trailing '/'`,
    );
  });

  test.each([
    ['a plain lambda.Function', (stack: Stack) => ownFunction(stack, 'Publisher')],
    ['a HandlerFunction', (stack: Stack) => new HandlerFunction(stack, 'Publisher', { bundle: HandlerBundle.STREAM })],
  ])('grantPublish on %s: grants read access to the settings, and nothing else', (_kind, define) => {
    // GIVEN
    const stack = stackOf();
    const api = new GripApi(stack, 'Api', { channelPrefix: 'p-' });
    const publisher = define(stack);

    // WHEN
    const grant = api.grantPublish(publisher);

    // THEN: an iam.Grant, as aws-cdk's own grants return; the function's environment is left alone
    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.success).toBe(true);
    expect(publisherVariables(stack, publisher)).toEqual({});
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Publisher') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('^ApiGripSecret') },
          }),
        ]),
      },
    });
    expect(api.publishers).toEqual([api.handler, publisher]);
  });

  test.each([
    ['a plain lambda.Function', (stack: Stack) => ownFunction(stack, 'Publisher')],
    ['a HandlerFunction', (stack: Stack) => new HandlerFunction(stack, 'Publisher', { bundle: HandlerBundle.STREAM })],
  ])('addPublisher on %s: sets the environment the runtime needs and grants', (_kind, define) => {
    // GIVEN
    const stack = stackOf();
    const api = new GripApi(stack, 'Api', { channelPrefix: 'p-' });
    const publisher = define(stack);

    // WHEN
    const grant = api.addPublisher(publisher);

    // THEN
    expect(grant.success).toBe(true);
    expect(publisherVariables(stack, publisher)).toEqual({
      [Env.GRIP_SECRET_ARN]: { Ref: expect.stringMatching(/^ApiGripSecret/) },
      [Env.GRIP_PREFIX]: 'p-',
      [Env.METRICS_NAMESPACE]: 'FaasGrip',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Publisher') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
        ]),
      },
    });
    expect(api.publishers).toEqual([api.handler, publisher]);
  });

  test('addPublisher: with a plain URL there is nothing to grant, only the environment', () => {
    const stack = stackOf();
    const url = 'https://api.fanout.io/realm/r?iss=r&key=base64:c2VjcmV0';
    const api = new GripApi(stack, 'Api', { gripSettings: GripSettings.fromUrlUnsafe(url) });
    const publisher = ownFunction(stack, 'Publisher');

    const grant = api.addPublisher(publisher);

    expect(grant.principalStatements).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 1); // the GRIP function's log access only
    expect(publisherVariables(stack, publisher)).toMatchObject({ [Env.GRIP_URL]: url });
  });

  test('metrics: the runtime metrics of the API function', () => {
    // GIVEN
    const stack = stackOf();
    const api = new GripApi(stack, 'Api', { metricsNamespace: 'MyApp' });

    // WHEN
    const metrics = [
      [api.metricSignatureRejected(), MetricName.SIGNATURE_REJECTED],
      [api.metricPublishErrors(), MetricName.PUBLISH_ERRORS],
      [api.metricMessagesHandled(), MetricName.MESSAGES_HANDLED],
      [api.metricHandlerErrors(), MetricName.HANDLER_ERRORS],
    ] as const;

    // THEN
    for (const [metric, name] of metrics) {
      expect(metric.namespace).toBe('MyApp');
      expect(metric.metricName).toBe(name);
      expect(metric.statistic).toBe('Sum');
      expect(stack.resolve(metric.dimensions)).toEqual({ service: { Ref: expect.stringMatching(/^ApiHandler/) } });
    }
  });

  test('fails: one function behind two GRIP APIs with different settings', () => {
    const stack = stackOf();
    const handler = ownFunction(stack);
    new GripApi(stack, 'First', { handler });
    expect(() => new GripApi(stack, 'Second', { handler })).toThrow(
      /Test\/Second cannot set GRIP_SECRET_ARN on function Test\/Own: Test\/First already set it/,
    );
  });
});
