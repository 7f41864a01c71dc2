import { readSecret, SECRET_TTL_MS } from '../../../lambda/aws/secrets';
import { setEnv } from '../../helpers/grip-events';
import { SecretsManagerEndpoint } from '../../helpers/secrets-manager-endpoint';

/** A secret ARN of `region`; each test uses its own names, since values are cached for the whole module. */
function arnOf(name: string, region = 'us-east-1'): string {
  return `arn:aws:secretsmanager:${region}:123456789012:secret:${name}`;
}

let endpoint: SecretsManagerEndpoint;
let restore: () => void;

beforeAll(async () => {
  endpoint = await SecretsManagerEndpoint.start();
  restore = setEnv(endpoint.env);
});

afterAll(async () => {
  restore();
  await endpoint.stop();
});

function callsFor(arn: string): number {
  return endpoint.calls.filter((call) => call.secretId === arn).length;
}

test('reads a secret string once, then from the cache', async () => {
  const arn = arnOf('cached');
  endpoint.secrets[arn] = 'first';

  const first = await readSecret(arn);
  endpoint.secrets[arn] = 'second';
  const again = await readSecret(arn);

  expect([first, again]).toEqual(['first', 'first']);
  expect(callsFor(arn)).toBe(1);
});

test('reads again once the value is older than maxAgeMs', async () => {
  const arn = arnOf('aged');
  endpoint.secrets[arn] = 'old';
  const clock = jest.spyOn(Date, 'now');
  try {
    clock.mockReturnValue(1_000_000);
    await readSecret(arn);
    endpoint.secrets[arn] = 'new';
    clock.mockReturnValue(1_000_000 + SECRET_TTL_MS - 1);
    const cached = await readSecret(arn);
    clock.mockReturnValue(1_000_000 + SECRET_TTL_MS);
    const fresh = await readSecret(arn);

    expect([cached, fresh]).toEqual(['old', 'new']);
  } finally {
    clock.mockRestore();
  }
});

test('reads again when the clock went back since the read', async () => {
  const arn = arnOf('clock-back');
  endpoint.secrets[arn] = 'before';
  await readSecret(arn);
  endpoint.secrets[arn] = 'after';
  const clock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
  try {
    expect(await readSecret(arn)).toBe('after');
  } finally {
    clock.mockRestore();
  }
});

test('maxAgeMs 0 reads on every call', async () => {
  const arn = arnOf('uncached');
  endpoint.secrets[arn] = 'one';

  await readSecret(arn, { maxAgeMs: 0 });
  endpoint.secrets[arn] = 'two';

  expect(await readSecret(arn, { maxAgeMs: 0 })).toBe('two');
  expect(callsFor(arn)).toBe(2);
});

test('concurrent reads share one request, even with maxAgeMs 0', async () => {
  const arn = arnOf('shared');
  endpoint.secrets[arn] = 'value';

  const reads = [readSecret(arn), readSecret(arn), readSecret(arn, { maxAgeMs: 0 })];

  expect(await Promise.all(reads)).toEqual(['value', 'value', 'value']);
  expect(callsFor(arn)).toBe(1);
});

test('a binary secret is read as UTF-8 text', async () => {
  const arn = arnOf('binary');
  endpoint.secrets[arn] = new TextEncoder().encode('bytes-🦊');

  expect(await readSecret(arn)).toBe('bytes-🦊');
});

test('calls the region of the ARN', async () => {
  const arn = arnOf('elsewhere', 'eu-west-1');
  endpoint.secrets[arn] = 'value';

  await readSecret(arn);

  expect(endpoint.calls.filter((call) => call.secretId === arn).map((call) => call.region)).toEqual(['eu-west-1']);
});

test('fails with the client error, and does not cache the failure as a value', async () => {
  const arn = arnOf('late');

  const failure = await readSecret(arn, { failureTtlMs: 0 }).catch((error: Error) => error);
  endpoint.secrets[arn] = 'set now';

  expect((failure as Error).name).toBe('ResourceNotFoundException');
  expect(await readSecret(arn, { failureTtlMs: 0 })).toBe('set now');
  expect(callsFor(arn)).toBe(2);
});
