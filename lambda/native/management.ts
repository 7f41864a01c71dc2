import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { backoffDelay, sleep } from '../backoff';
import { Env } from '../contract';
import { GripConfigError } from '../errors';

/** How a management API call failed, as far as a sender cares. */
export type ManagementErrorKind = 'gone' | 'forbidden' | 'retryable' | 'fatal';

/** Retry policy of {@link postWithRetry}. */
export interface PostRetryOptions {
  /** Total attempts for throttling (LimitExceededException, 429), 5xx and network errors. @default 3 */
  readonly attempts?: number;
  /** First backoff delay, doubled per retry up to 1 s. @default 50 */
  readonly retryBaseMs?: number;
}

type ManagementSdk = typeof import('@aws-sdk/client-apigatewaymanagementapi');

const clients = new Map<string, Promise<ApiGatewayManagementApiClient>>();
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** The SDK module, loaded on first use. */
export function managementSdk(): Promise<ManagementSdk> {
  return import('@aws-sdk/client-apigatewaymanagementapi');
}

/**
 * The management (callback) URL to use: the given one, else `FAAS_GRIP_MANAGEMENT_ENDPOINT`. A `wss://`
 * stage URL is turned into its `https://` callback form.
 */
export function resolveManagementEndpoint(endpoint?: string): string {
  const value = endpoint ?? process.env[Env.MANAGEMENT_ENDPOINT];
  if (!value) {
    throw new GripConfigError(
      `no management endpoint: set ${Env.MANAGEMENT_ENDPOINT} to the stage's callback URL ` +
        '(https://{api-id}.execute-api.{region}.amazonaws.com/{stage}) or pass managementEndpoint',
    );
  }
  const url = value.replace(/^wss:\/\//, 'https://').replace(/^ws:\/\//, 'http://');
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new GripConfigError(`management endpoint "${value}" is not an http(s) URL: use the stage's callback URL`);
  }
  return url;
}

/**
 * One management client per endpoint and container (lazy SDK import). The SDK's own retries are off
 * (`maxAttempts: 1`): {@link postWithRetry} retries per message, so a large fan-out cannot drain the SDK's
 * shared retry quota and leave later messages unretried. `cacheMiddleware` resolves the middleware stack once per
 * command class instead of once per post, which cuts the SDK's CPU per PostToConnection by about a fifth.
 */
export function managementClient(endpoint: string): Promise<ApiGatewayManagementApiClient> {
  let client = clients.get(endpoint);
  if (!client) {
    client = managementSdk().then(
      (sdk) => new sdk.ApiGatewayManagementApiClient({ endpoint, maxAttempts: 1, cacheMiddleware: true }),
    );
    clients.set(endpoint, client);
  }
  return client;
}

/**
 * Classifies an SDK v3 error: v3 errors carry `name` and `$metadata.httpStatusCode` (never `statusCode`).
 * 410 GoneException: the connection is gone. 403: forbidden (IAM, endpoint, or a connection still opening).
 * LimitExceededException / 429, 5xx and transient network errors: retry. Anything else: fatal.
 */
export function classifyManagementError(err: unknown, sdk?: ManagementSdk): ManagementErrorKind {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if ((sdk && err instanceof sdk.GoneException) || e?.name === 'GoneException' || status === 410) return 'gone';
  if (e?.name === 'ForbiddenException' || status === 403) return 'forbidden';
  if (e?.name === 'LimitExceededException' || e?.name === 'ThrottlingException' || status === 429) return 'retryable';
  if ((status !== undefined && status >= 500) || e?.name === 'TimeoutError') return 'retryable';
  if (status === undefined && e?.code && TRANSIENT_NETWORK_CODES.has(e.code)) return 'retryable';
  return 'fatal';
}

/** One PostToConnection call; resolves when API Gateway accepted the message, rejects with the SDK error. */
export async function postOnce(
  client: ApiGatewayManagementApiClient,
  connectionId: string,
  data: string | Uint8Array,
): Promise<void> {
  const sdk = await managementSdk();
  await client.send(new sdk.PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
}

/**
 * Posts one message, retrying throttling, 5xx and network errors with bounded backoff. Resolves
 * `'delivered'` or `'gone'` (410); rejects with the last error otherwise.
 */
export async function postWithRetry(
  client: ApiGatewayManagementApiClient,
  connectionId: string,
  data: string | Uint8Array,
  options: PostRetryOptions = {},
): Promise<'delivered' | 'gone'> {
  const sdk = await managementSdk();
  const attempts = Math.max(1, options.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    try {
      await postOnce(client, connectionId, data);
      return 'delivered';
    } catch (err) {
      const kind = classifyManagementError(err, sdk);
      if (kind === 'gone') return 'gone';
      if (kind !== 'retryable' || attempt >= attempts) throw err;
      await sleep(backoffDelay(attempt, options.retryBaseMs ?? 50, 1000));
    }
  }
}

/** Closes a connection (DeleteConnection); resolves false when it was already gone. */
export async function deleteRemoteConnection(
  client: ApiGatewayManagementApiClient,
  connectionId: string,
): Promise<boolean> {
  const sdk = await managementSdk();
  try {
    await client.send(new sdk.DeleteConnectionCommand({ ConnectionId: connectionId }));
    return true;
  } catch (err) {
    if (classifyManagementError(err, sdk) === 'gone') return false;
    throw err;
  }
}
