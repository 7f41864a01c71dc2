/**
 * The `auth` prop of both front doors: WebSocketAuth's variants set the runtime's environment on the handler
 * (or define the shared-token authorizer), and every misuse fails at synth, in the user's terms.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Env } from '../../lambda/contract';
import {
  ChatStack,
  CognitoTokenUse,
  GripApi,
  NativeWebSocketApi,
  TokenExpiry,
  TokenSource,
  WebSocketAuth,
} from '../../lib';

function stackOf(): Stack {
  return new Stack(new App(), 'Test', { env: { region: 'eu-west-1', account: '123456789012' } });
}

function ownFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Own', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
}

function variables(stack: Stack, fn: lambda.Function): Record<string, unknown> {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  return (stack.resolve(cfn.environment) as { variables: Record<string, unknown> }).variables;
}

describe('WebSocketAuth.oidc', () => {
  it('sets the issuer, audience, JWKS URL and token options on a GripApi handler', () => {
    const stack = stackOf();
    const handler = ownFunction(stack);
    new GripApi(stack, 'Grip', {
      handler,
      auth: WebSocketAuth.oidc({
        issuer: 'https://id.example.com',
        audience: ['chat', 'admin'],
        jwksUri: 'https://id.example.com/keys',
        tokenFrom: [TokenSource.PROTOCOL, TokenSource.cookie('id_token')],
        allowedOrigins: ['https://chat.example.com'],
        claims: ['email'],
        clockSkew: Duration.seconds(10),
        expiry: TokenExpiry.KEEP,
      }),
    });
    expect(variables(stack, handler)).toMatchObject({
      [Env.AUTH_ISSUER]: 'https://id.example.com',
      [Env.AUTH_AUDIENCE]: 'chat,admin',
      [Env.AUTH_JWKS_URI]: 'https://id.example.com/keys',
      [Env.AUTH_TOKEN_FROM]: 'protocol,cookie:id_token',
      [Env.AUTH_ORIGINS]: 'https://chat.example.com',
      [Env.AUTH_CLAIMS]: 'email',
      [Env.AUTH_CLOCK_SKEW]: '10',
      [Env.AUTH_EXPIRY]: 'keep',
    });
  });

  it.each([
    [() => WebSocketAuth.oidc({ issuer: 'http://id.example.com' }), /https URL/],
    [() => WebSocketAuth.oidc({ issuer: 'https://id.example.com', jwksUri: 'ftp://x' }), /jwksUri/],
    [() => TokenSource.query('a b'), /not a usable name/],
  ])('refuses a bad value at once (%#)', (make, message) => {
    expect(make).toThrow(message);
  });

  it.each([
    [{ tokenFrom: [TokenSource.cookie('t')] }, /allowedOrigins/],
    [{ tokenFrom: [] }, /tokenFrom is empty/],
    [{ clockSkew: Duration.minutes(10) }, /at most 5 minutes/],
    [{ tokenFrom: [TokenSource.cookie('t')], allowedOrigins: ['chat.example.com'] }, /not an origin/],
  ])('refuses unusable token options at synth (%#)', (options, message) => {
    const stack = stackOf();
    expect(
      () =>
        new GripApi(stack, 'Grip', {
          handler: ownFunction(stack),
          auth: WebSocketAuth.oidc({ issuer: 'https://id.example.com', ...options }),
        }),
    ).toThrow(message);
  });

  it('needs signature verification on GripApi', () => {
    const stack = stackOf();
    expect(
      () =>
        new GripApi(stack, 'Grip', {
          handler: ownFunction(stack),
          verifySignature: false,
          auth: WebSocketAuth.oidc({ issuer: 'https://id.example.com' }),
        }),
    ).toThrow(/needs verifySignature/);
  });
});

describe('WebSocketAuth.cognito', () => {
  it("checks the pool's ID tokens of its clients on a NativeWebSocketApi, with no API Gateway authorizer", () => {
    const stack = stackOf();
    const pool = new cognito.UserPool(stack, 'Pool');
    const client = pool.addClient('Web');
    const handler = ownFunction(stack);
    new NativeWebSocketApi(stack, 'Native', {
      handler,
      auth: WebSocketAuth.cognito({ userPool: pool, userPoolClients: [client], tokenUse: CognitoTokenUse.ACCESS }),
    });
    expect(variables(stack, handler)).toMatchObject({
      [Env.AUTH_ISSUER]: {
        'Fn::Join': [
          '',
          [
            'https://cognito-idp.eu-west-1.amazonaws.com/',
            { Ref: stack.getLogicalId(pool.node.defaultChild as never) },
          ],
        ],
      },
      [Env.AUTH_AUDIENCE]: { Ref: stack.getLogicalId(client.node.defaultChild as never) },
      [Env.AUTH_TOKEN_USE]: 'access',
    });
    Template.fromStack(stack).resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('needs at least one app client', () => {
    const stack = stackOf();
    expect(() => WebSocketAuth.cognito({ userPool: new cognito.UserPool(stack, 'Pool'), userPoolClients: [] })).toThrow(
      /at least one app client/,
    );
  });
});

describe('WebSocketAuth.sharedToken', () => {
  it('defines the $connect authorizer on a NativeWebSocketApi', () => {
    const stack = stackOf();
    const secret = new secretsmanager.Secret(stack, 'Token');
    new NativeWebSocketApi(stack, 'Native', { handler: ownFunction(stack), auth: WebSocketAuth.sharedToken(secret) });
    Template.fromStack(stack).resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
  });

  it('is refused by GripApi, and beside authorizerTokenSecret', () => {
    const stack = stackOf();
    const secret = new secretsmanager.Secret(stack, 'Token');
    expect(
      () => new GripApi(stack, 'Grip', { handler: ownFunction(stack), auth: WebSocketAuth.sharedToken(secret) }),
    ).toThrow(/NativeWebSocketApi/);
    expect(
      () =>
        new NativeWebSocketApi(stack, 'Native', {
          auth: WebSocketAuth.sharedToken(secret),
          authorizerTokenSecret: secret,
        }),
    ).toThrow(/not both/);
  });
});

describe('ChatStack sign-in', () => {
  it('defines a user pool and its page client by default, and sets private channels', () => {
    const stack = new ChatStack(new App(), 'Chat', { privateChannels: { staff: ['alice', 'bob'] } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    expect(variables(stack, stack.handler)).toMatchObject({
      [Env.AUTH_TOKEN_USE]: 'id',
      [Env.PRIVATE_CHANNELS]: '{"staff":["alice","bob"]}',
    });
  });

  it('takes an existing pool with its clients, or none with signIn false', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared');
    const pool = new cognito.UserPool(shared, 'Pool');
    const client = pool.addClient('Page');
    const withPool = new ChatStack(app, 'Chat', { userPool: pool, userPoolClients: [client] });
    Template.fromStack(withPool).resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(withPool.userPool).toBe(pool);
    expect(() => new ChatStack(app, 'Chat2', { userPool: pool })).toThrow(/userPoolClients/);
    const open = new ChatStack(app, 'Open', { signIn: false });
    expect(open.userPool).toBeUndefined();
    expect(variables(open, open.handler)[Env.AUTH_ISSUER]).toBeUndefined();
  });
});
