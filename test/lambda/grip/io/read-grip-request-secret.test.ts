/**
 * GRIP configuration from a Secrets Manager secret, read through a local Secrets Manager endpoint by the real SDK:
 * a failed read is remembered briefly (a flood of unauthenticated requests makes one read, not one each), and a
 * rotated Grip-Sig key is accepted soon: a signature that fails to verify reloads the secret, at most once per
 * GRIP_SIG_RELOAD_INTERVAL_MS, and is checked once more.
 */

import { webSocketHandler } from '../../../../lambda/aws/websocket-handler';
import { Env } from '../../../../lambda/contract';
import {
  GRIP_CONFIG_FAILURE_TTL_MS,
  GRIP_SIG_RELOAD_INTERVAL_MS,
  reloadGripConfig,
} from '../../../../lambda/grip/io/grip-config';
import { captureConsole, gripSig, setEnv, wohEvent } from '../../../helpers/grip-events';
import { SecretsManagerEndpoint } from '../../../helpers/secrets-manager-endpoint';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:grip-rotating';
const MISSING = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:grip-missing';
const gripUrl = (key: string) => `http://127.0.0.1:9/?verify-iss=pushpin&verify-key=${key}`;

let endpoint: SecretsManagerEndpoint;
let restore: () => void;
let now: number;

beforeAll(async () => {
  endpoint = await SecretsManagerEndpoint.start();
});

afterAll(async () => {
  await endpoint.stop();
});

beforeEach(() => {
  reloadGripConfig();
  captureConsole();
  now = Date.now();
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});

afterEach(() => {
  restore();
  jest.restoreAllMocks();
});

function useSecret(arn: string): void {
  restore = setEnv({
    ...endpoint.env,
    [Env.GRIP_SECRET_ARN]: arn,
    [Env.GRIP_URL]: undefined,
    [Env.GRIP_PROXIES]: undefined,
    [Env.GRIP_VERIFY_KEY]: undefined,
    [Env.GRIP_SIG_VERIFY]: undefined,
    [Env.CONNECTION_TABLE]: undefined,
    [Env.MANAGEMENT_ENDPOINT]: undefined,
  });
}

function readsOf(arn: string): number {
  return endpoint.calls.filter((call) => call.secretId === arn).length;
}

const ran: string[] = [];
const handler = webSocketHandler((ws) => {
  ran.push(ws.id);
  ws.accept();
});

async function statusOf(sig: string | null, connectionId = 'c'): Promise<number> {
  return ((await handler(wohEvent('http-v2', { sig, connectionId }))) as { statusCode: number }).statusCode;
}

test('an unreadable secret: a flood of unauthenticated requests makes one read, answered 500 each', async () => {
  useSecret(MISSING);

  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push(await statusOf(null, `flood-${i}`));

  expect(new Set(statuses)).toEqual(new Set([500]));
  expect(readsOf(MISSING)).toBe(1);

  // Once the failure is older than GRIP_CONFIG_FAILURE_TTL_MS, the secret is read again.
  endpoint.secrets[MISSING] = gripUrl('set-later');
  now += GRIP_CONFIG_FAILURE_TTL_MS;
  expect(await statusOf(gripSig({ key: 'set-later' }), 'after-set')).toBe(200);
  expect(readsOf(MISSING)).toBe(2);
});

test('a rotated Grip-Sig key is accepted at once; forged signatures reload at most once per interval', async () => {
  useSecret(ARN);
  endpoint.secrets[ARN] = gripUrl('old-key');
  expect(await statusOf(gripSig({ key: 'old-key' }), 'before')).toBe(200);
  expect(readsOf(ARN)).toBe(1);

  endpoint.secrets[ARN] = gripUrl('new-key');
  expect(await statusOf(gripSig({ key: 'new-key' }), 'rotated')).toBe(200);
  expect(readsOf(ARN)).toBe(2);

  // A flood of forged signatures within the interval reads nothing more, and runs no user code.
  for (let i = 0; i < 20; i++) expect(await statusOf(gripSig({ key: 'forged' }), `forged-${i}`)).toBe(401);
  expect(readsOf(ARN)).toBe(2);
  expect(ran.filter((id) => id.startsWith('forged-'))).toEqual([]);

  // After the interval, one more reload is allowed (and still refuses the forgery).
  now += GRIP_SIG_RELOAD_INTERVAL_MS;
  expect(await statusOf(gripSig({ key: 'forged' }), 'forged-late')).toBe(401);
  expect(readsOf(ARN)).toBe(3);
  expect(await statusOf(gripSig({ key: 'new-key' }), 'still-fine')).toBe(200);
  expect(readsOf(ARN)).toBe(3);
});
