import { parseHttpEvent } from '../../../../lambda/aws/http-event';
import { Env, MetricName } from '../../../../lambda/contract';
import { flushMetrics } from '../../../../lambda/core/metrics';
import { reloadGripConfig } from '../../../../lambda/grip/io/grip-config';
import { verifyGripRequest } from '../../../../lambda/grip/io/read-grip-request';
import { captureConsole, gripSig, setEnv, useGripEnv, wohEvent } from '../../../helpers/grip-events';

useGripEnv(() => 'http://127.0.0.1:5561/?verify-iss=pushpin&verify-key=changeme');

beforeEach(() => reloadGripConfig());

function request(sig?: string | null) {
  return parseHttpEvent(wohEvent('http-v2', { sig }));
}

test('gives the loaded configuration for a request signed by the proxy', async () => {
  const restore = setEnv({ [Env.GRIP_PREFIX]: 'app-' });

  const verification = await verifyGripRequest(request());
  restore();

  expect(verification.ok).toBe(true);
  expect(verification.ok && verification.config.prefix).toBe('app-');
});

test.each([
  ['no Grip-Sig', null],
  ['a forged Grip-Sig', gripSig({ key: 'forged' })],
])('refuses %s with a plain-text 401, counted as SignatureRejected', async (_name, sig) => {
  const logs = captureConsole();
  const stdout: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => stdout.push(String(chunk)) > 0);
  const restore = setEnv({ POWERTOOLS_METRICS_DISABLED: 'false' });

  const verification = await verifyGripRequest(request(sig));
  flushMetrics();
  restore();

  expect(verification.ok).toBe(false);
  const refusal = verification.ok ? undefined : verification.refusal;
  expect(refusal).toMatchObject({ statusCode: 401, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  expect(refusal?.body).toContain('only the GRIP proxy may call this function');
  expect(logs.join('\n')).toContain('Grip-Sig missing or invalid');
  expect(stdout.map((line) => JSON.parse(line))).toContainEqual(
    expect.objectContaining({ [MetricName.SIGNATURE_REJECTED]: 1 }),
  );
});

test('answers 500 without detail when the configuration cannot be used, and logs why', async () => {
  const logs = captureConsole();
  const restore = setEnv({ [Env.GRIP_URL]: 'http://127.0.0.1:5561/' }); // verification on, but no verify key

  const verification = await verifyGripRequest(request());
  restore();

  expect(verification.ok).toBe(false);
  const refusal = verification.ok ? undefined : verification.refusal;
  expect(refusal?.statusCode).toBe(500);
  expect(refusal?.body).toBe('server configuration error: see the function logs\n');
  expect(logs.join('\n')).toContain('no verify key is configured');
});
