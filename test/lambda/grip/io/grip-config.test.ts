import { generateKeyPairSync } from 'node:crypto';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { GripConfigError, SecretNotSetError } from '../../../../lambda/core/errors';
import {
  GRIP_CONFIG_FAILURE_TTL_MS,
  GRIP_CONFIG_TTL_MS,
  gripPrefix,
  loadGripConfig,
  loadGripConfigSync,
  reloadGripConfig,
} from '../../../../lambda/grip/io/grip-config';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:grip-AbCdEf';
const FANOUT = 'https://api.fanout.io/realm/r?iss=r&key=base64:AAEC';

beforeEach(() => reloadGripConfig());

describe('loadGripConfig from the environment', () => {
  test('gives no proxies, verification on and no prefix when nothing is configured', async () => {
    const config = await loadGripConfig({});

    expect(config).toEqual({ proxies: [], verify: { enabled: true, keys: [] }, prefix: '' });
  });

  test('reads GRIP_URL, GRIP_PROXIES and GRIP_PREFIX together', async () => {
    const config = await loadGripConfig({
      GRIP_URL: FANOUT,
      GRIP_PROXIES: '["http://localhost:5561/"]',
      GRIP_PREFIX: 'app-',
    });

    expect(config.proxies.map((p) => p.controlUri)).toEqual(['https://api.fanout.io/realm/r', 'http://localhost:5561']);
    expect(config.prefix).toBe('app-');
    expect(config.verify.keys).toHaveLength(1);
    expect(config.verify.keys[0]!.key.algorithm).toBe('HS256');
  });

  test('gripPrefix gives the prefix a loaded configuration has, without loading it', async () => {
    const broken = { GRIP_PREFIX: 'app-', GRIP_URL: 'not a url' };

    expect(gripPrefix({})).toBe((await loadGripConfig({})).prefix);
    expect(gripPrefix({ GRIP_PREFIX: 'app-' })).toBe((await loadGripConfig({ GRIP_PREFIX: 'app-' })).prefix);
    expect(gripPrefix(broken)).toBe('app-');
    await expect(loadGripConfig(broken)).rejects.toThrow(GripConfigError);
  });

  test('applies GRIP_VERIFY_KEY and GRIP_VERIFY_ISS over the URL', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const config = await loadGripConfig({ GRIP_URL: FANOUT, GRIP_VERIFY_KEY: pem, GRIP_VERIFY_ISS: 'proxy-1' });

    expect(config.verify.keys).toEqual([{ key: expect.objectContaining({ algorithm: 'ES256' }), iss: 'proxy-1' }]);
  });

  test('keeps GRIP_VERIFY_KEY for verification when no proxy is configured', async () => {
    const config = await loadGripConfig({ GRIP_VERIFY_KEY: 'changeme', GRIP_VERIFY_ISS: 'pushpin' });

    expect(config.proxies).toEqual([]);
    expect(config.verify.keys).toEqual([{ key: expect.objectContaining({ algorithm: 'HS256' }), iss: 'pushpin' }]);
  });

  test('uses the Fastly key for a fastly: GRIP_VERIFY_ISS alone', async () => {
    const config = await loadGripConfig({ GRIP_VERIFY_ISS: 'fastly:SID' });

    expect(config.verify.keys[0]!.key.algorithm).toBe('ES256');
  });

  test('turns verification off only with GRIP_SIG_VERIFY=off', async () => {
    expect((await loadGripConfig({ GRIP_SIG_VERIFY: 'off' })).verify.enabled).toBe(false);
    expect((await loadGripConfig({ GRIP_SIG_VERIFY: 'on' })).verify.enabled).toBe(true);
    await expect(loadGripConfig({ GRIP_SIG_VERIFY: 'no' })).rejects.toThrow(/GRIP_SIG_VERIFY is 'no'/);
  });

  test('fails on a malformed GRIP_URL', async () => {
    await expect(loadGripConfig({ GRIP_URL: 'https://h/?iss=x' })).rejects.toThrow(GripConfigError);
  });
});

describe('loadGripConfigSync', () => {
  test('reads the environment', () => {
    expect(loadGripConfigSync({ GRIP_URL: 'http://localhost:5561/' }).proxies).toEqual([
      { controlUri: 'http://localhost:5561' },
    ]);
  });

  test('refuses a configuration that lives in a secret', () => {
    expect(() => loadGripConfigSync({ GRIP_SECRET_ARN: ARN })).toThrow(GripConfigError);
    expect(() => loadGripConfigSync({ GRIP_SECRET_ARN: ARN })).toThrow(/async/);
  });
});

describe('loadGripConfig from a secret', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());
  afterAll(() => secrets.restore());

  test('reads a GRIP_URL secret once, then from the cache until reloadGripConfig', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: FANOUT });
    const env = { GRIP_SECRET_ARN: ARN };

    const first = await loadGripConfig(env);
    await loadGripConfig(env);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    reloadGripConfig();
    await loadGripConfig(env);

    expect(first.proxies.map((p) => p.controlUri)).toEqual(['https://api.fanout.io/realm/r']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('reads the secret again after the cache time', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: FANOUT });
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(1_000_000);
      await loadGripConfig({ GRIP_SECRET_ARN: ARN });
      clock.mockReturnValue(1_000_000 + GRIP_CONFIG_TTL_MS - 1);
      await loadGripConfig({ GRIP_SECRET_ARN: ARN });
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      clock.mockReturnValue(1_000_000 + GRIP_CONFIG_TTL_MS);
      await loadGripConfig({ GRIP_SECRET_ARN: ARN });
    } finally {
      clock.mockRestore();
    }

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('reads a GRIP_PROXIES list or a key/value secret, adding to the environment', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '["http://a:1/", "http://b:2/"]' })
      .resolvesOnce({
        SecretString: JSON.stringify({ GRIP_URL: 'http://c:3/' }),
      });

    const list = await loadGripConfig({ GRIP_SECRET_ARN: ARN, GRIP_URL: 'http://env:4/' });
    reloadGripConfig();
    const keyValue = await loadGripConfig({ GRIP_SECRET_ARN: ARN });

    expect(list.proxies.map((p) => p.controlUri)).toEqual(['http://env:4', 'http://a:1', 'http://b:2']);
    expect(keyValue.proxies.map((p) => p.controlUri)).toEqual(['http://c:3']);
  });

  test('fails with SecretNotSetError for a secret without value, and remembers the failure only briefly', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
          $metadata: {},
        }),
      )
      .resolves({ SecretString: FANOUT });

    const t0 = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(t0);
    try {
      const failure = loadGripConfig({ GRIP_SECRET_ARN: ARN });
      await expect(failure).rejects.toThrow(SecretNotSetError);
      await expect(failure).rejects.toThrow(new RegExp(`secret ${ARN} .*Put the GRIP_URL in it`));
      clock.mockReturnValue(t0 + GRIP_CONFIG_FAILURE_TTL_MS - 1);
      await expect(loadGripConfig({ GRIP_SECRET_ARN: ARN })).rejects.toThrow(SecretNotSetError);
      clock.mockReturnValue(t0 + GRIP_CONFIG_FAILURE_TTL_MS);
      expect((await loadGripConfig({ GRIP_SECRET_ARN: ARN })).proxies).toHaveLength(1);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    } finally {
      clock.mockRestore();
    }
  });

  test('fails with SecretNotSetError for an empty or placeholder value, without showing it', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: '  ' }).resolvesOnce({ SecretString: 'TODO-x1' });

    await expect(loadGripConfig({ GRIP_SECRET_ARN: ARN })).rejects.toThrow(SecretNotSetError);
    reloadGripConfig(); // the failure is remembered briefly: read again now
    const placeholder = await loadGripConfig({ GRIP_SECRET_ARN: ARN }).catch((e: Error) => e);

    expect(placeholder).toBeInstanceOf(SecretNotSetError);
    expect((placeholder as Error).message).toMatch(/not a GRIP_URL/);
    expect((placeholder as Error).message).not.toContain('TODO-x1');
  });
});
