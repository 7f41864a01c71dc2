/**
 * Failed Secrets Manager reads: never cached as a success, but cached briefly as a failure, so a flood of requests
 * (unauthenticated ones included) does not make a read each; and a read that hangs ends at its timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSecret, SECRET_FAILURE_TTL_MS } from '../../../lambda/aws/secrets';
import { withInvocationDeadline } from '../../../lambda/core/deadline';
import { TimeoutError } from '../../../lambda/core/errors';
import { setEnv } from '../../helpers/grip-events';
import { SecretsManagerEndpoint } from '../../helpers/secrets-manager-endpoint';

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

test('a failed read is cached briefly: a flood of reads makes one call, then the next read tries again', async () => {
  const arn = arnOf('missing-for-now');
  // A real time: the SDK compares its clock with the endpoint's answers.
  const t0 = Date.now();
  const clock = jest.spyOn(Date, 'now');
  try {
    clock.mockReturnValue(t0);
    const failures = await Promise.all(
      Array.from({ length: 20 }, () => readSecret(arn).catch((error: Error) => error.name)),
    );
    for (let i = 0; i < 20; i++) await readSecret(arn).catch(() => undefined);

    expect(new Set(failures)).toEqual(new Set(['ResourceNotFoundException']));
    expect(callsFor(arn)).toBe(1);

    endpoint.secrets[arn] = 'set now';
    clock.mockReturnValue(t0 + SECRET_FAILURE_TTL_MS - 1);
    await expect(readSecret(arn)).rejects.toThrow();
    clock.mockReturnValue(t0 + SECRET_FAILURE_TTL_MS);
    expect(await readSecret(arn)).toBe('set now');
    expect(callsFor(arn)).toBe(2);
  } finally {
    clock.mockRestore();
  }
});

test('failureTtlMs 0 reads again after a failure (for callers that cache failures themselves)', async () => {
  const arn = arnOf('late');

  await expect(readSecret(arn, { failureTtlMs: 0 })).rejects.toThrow();
  endpoint.secrets[arn] = 'there';

  expect(await readSecret(arn, { failureTtlMs: 0 })).toBe('there');
  expect(callsFor(arn)).toBe(2);
});

describe('a Secrets Manager that never answers', () => {
  let hanging: Server;
  let restoreHanging: () => void;

  beforeAll(async () => {
    hanging = createServer(() => {
      // Never answers: the read must end at its timeout, not hang the invocation.
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    restoreHanging = setEnv({
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
    });
  });

  afterAll(async () => {
    restoreHanging();
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  });

  test('the read fails with a timeout error instead of hanging', async () => {
    // Another region: its client is created now, at the hanging endpoint.
    const failure = await readSecret(arnOf('hanging', 'eu-central-1'), { timeoutMs: 300 }).catch((e: Error) => e);

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/timed out|abort/i);
  });

  test("a read inside an invocation ends by the invocation's deadline, not only by its own timeout", async () => {
    const context = { getRemainingTimeInMillis: () => 400 };

    const failure = await withInvocationDeadline(context, () =>
      readSecret(arnOf('hanging-in-invocation', 'eu-west-3'), { timeoutMs: 60_000 }).catch((e: Error) => e),
    );

    expect((failure as Error).message).toMatch(/timed out after (\d+) ms/);
    const ms = Number(/timed out after (\d+) ms/.exec((failure as Error).message)?.[1]);
    expect(ms).toBeLessThanOrEqual(400);
  });

  test('a read that cannot start before the deadline fails at once and is not remembered as a failure', async () => {
    const arn = arnOf('after-deadline');
    endpoint.secrets[arn] = 'value';
    const restoreGood = setEnv(endpoint.env);
    try {
      const late = await withInvocationDeadline({ getRemainingTimeInMillis: () => 0 }, () =>
        readSecret(arn).catch((e: Error) => e),
      );
      expect(late).toBeInstanceOf(TimeoutError);
      expect(await readSecret(arn)).toBe('value');
    } finally {
      restoreGood();
    }
  });
});
