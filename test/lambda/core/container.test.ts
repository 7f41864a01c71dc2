import { readSecret } from '../../../lambda/aws/secrets';
import { containerScoped, resetContainer } from '../../../lambda/core/container';
import { setEnv } from '../../helpers/grip-events';
import { SecretsManagerEndpoint } from '../../helpers/secrets-manager-endpoint';

test('a container-scoped value is created once, on first use, and again after resetContainer()', () => {
  let created = 0;
  const value = containerScoped(() => ({ n: ++created }));
  expect(created).toBe(0);

  const first = value.get();
  expect(value.get()).toBe(first);
  resetContainer();
  const second = value.get();

  expect(second).not.toBe(first);
  expect(created).toBe(2);
});

test('resetContainer() drops the runtime caches too: a secret read before is read again after', async () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:container';
  const endpoint = await SecretsManagerEndpoint.start({ [arn]: 'one' });
  const restore = setEnv(endpoint.env);
  try {
    expect(await readSecret(arn)).toBe('one');
    endpoint.secrets[arn] = 'two';
    expect(await readSecret(arn)).toBe('one');

    resetContainer();

    expect(await readSecret(arn)).toBe('two');
    expect(endpoint.calls.filter((call) => call.secretId === arn)).toHaveLength(2);
  } finally {
    restore();
    await endpoint.stop();
  }
});
