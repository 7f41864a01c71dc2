import { Env } from '../../../lambda/contract';
import { handler, tokensMatch } from '../../../lambda/handlers/authorizer';
import { captureConsole, setEnv } from '../../helpers/grip-events';
import { SecretsManagerEndpoint } from '../../helpers/secrets-manager-endpoint';

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect';

function connectEvent(token?: string) {
  return { methodArn: METHOD_ARN, queryStringParameters: token === undefined ? null : { token } };
}

function effectOf(result: Awaited<ReturnType<typeof handler>>): string {
  expect(result.policyDocument.Statement[0].Resource).toBe(METHOD_ARN);
  expect(result.policyDocument.Statement[0].Action).toBe('execute-api:Invoke');
  return result.policyDocument.Statement[0].Effect;
}

let logs: string[];

beforeEach(() => {
  logs = captureConsole();
});

afterEach(() => jest.restoreAllMocks());

describe('with FAAS_GRIP_AUTHORIZER_TOKEN', () => {
  let restore: () => void;

  beforeEach(() => {
    restore = setEnv({ [Env.AUTHORIZER_TOKEN]: 's3cret-token', [Env.AUTHORIZER_TOKEN_SECRET_ARN]: undefined });
  });

  afterEach(() => restore());

  test('allows the right token', async () => {
    expect(effectOf(await handler(connectEvent('s3cret-token')))).toBe('Allow');
  });

  test.each([
    ['a wrong token', 's3cret-tokeN'],
    ['a prefix of the token', 's3cret'],
    ['a longer token', 's3cret-token-and-more'],
    ['an empty token', ''],
  ])('denies %s and logs why without the token', async (_name, token) => {
    expect(effectOf(await handler(connectEvent(token)))).toBe('Deny');
    expect(logs.join('\n')).toContain('token does not match');
    expect(logs.join('\n')).not.toContain('s3cret');
  });

  test('denies a connection without the token parameter', async () => {
    expect(effectOf(await handler(connectEvent()))).toBe('Deny');
    expect(logs.join('\n')).toContain('no token query parameter');
  });
});

test('denies everything, loudly, when no token is configured', async () => {
  const restore = setEnv({ [Env.AUTHORIZER_TOKEN]: undefined, [Env.AUTHORIZER_TOKEN_SECRET_ARN]: undefined });

  const result = await handler(connectEvent(''));
  restore();

  expect(effectOf(result)).toBe('Deny');
  expect(logs.join('\n')).toContain(Env.AUTHORIZER_TOKEN);
});

describe('with FAAS_GRIP_AUTHORIZER_TOKEN_SECRET_ARN', () => {
  let secrets: SecretsManagerEndpoint;
  let restore: () => void;
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ws-token';

  beforeAll(async () => {
    secrets = await SecretsManagerEndpoint.start({ [arn]: 'from-the-secret' });
  });

  afterAll(async () => {
    await secrets.stop();
  });

  beforeEach(() => {
    restore = setEnv({
      [Env.AUTHORIZER_TOKEN]: 'ignored-when-a-secret-is-set',
      [Env.AUTHORIZER_TOKEN_SECRET_ARN]: arn,
      ...secrets.env,
    });
  });

  afterEach(() => restore());

  test('compares with the secret value, read once and cached', async () => {
    expect(effectOf(await handler(connectEvent('from-the-secret')))).toBe('Allow');
    expect(effectOf(await handler(connectEvent('ignored-when-a-secret-is-set')))).toBe('Deny');
    expect(effectOf(await handler(connectEvent('from-the-secret')))).toBe('Allow');

    expect(secrets.calls).toEqual([{ secretId: arn, region: 'us-east-1' }]);
  });

  test('denies when the secret cannot be read', async () => {
    const missing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing';
    const restoreArn = setEnv({ [Env.AUTHORIZER_TOKEN_SECRET_ARN]: missing });

    const result = await handler(connectEvent('from-the-secret'));
    restoreArn();

    expect(effectOf(result)).toBe('Deny');
    expect(logs.join('\n')).toContain('could not read its token secret');
  });
});

test('tokensMatch compares whole strings', () => {
  expect(tokensMatch('abc', 'abc')).toBe(true);
  expect(tokensMatch('abc', 'abd')).toBe(false);
  expect(tokensMatch('ab', 'abc')).toBe(false);
  expect(tokensMatch('🦊', '🦊')).toBe(true);
});
