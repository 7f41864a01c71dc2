import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { backoffDelay, sleep } from '../backoff';
import { Env } from '../contract';
import { invocationDeadline } from '../deadline';
import { GripConfigError, PublishError } from '../errors';
import { requestWasSent } from '../http-call';
import { type ManagementApi, SdkManagementApi } from './management-api';
import { SignedManagementApi } from './management-http';

/** How a management API call failed, as far as a sender cares. */
export type ManagementErrorKind = 'gone' | 'forbidden' | 'retryable' | 'unknown' | 'fatal';

/** Retry policy of {@link postWithRetry}. */
export interface PostRetryOptions {
  /** Epoch milliseconds by which every attempt must have finished. @default - the invocation's deadline, if known */
  readonly deadline?: number;
  /** Timeout of each attempt. @default - the sender's (5 s for the default signed sender) */
  readonly timeoutMs?: number;
  /** Total attempts for throttling (LimitExceededException, 429), 5xx and network errors. @default 3 */
  readonly attempts?: number;
  /** First backoff delay, doubled per retry up to 1 s. @default 50 */
  readonly retryBaseMs?: number;
}

const apis = new Map<string, SignedManagementApi>();
const sdkApis = new WeakMap<ApiGatewayManagementApiClient, SdkManagementApi>();
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

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
 * The container's sender for `endpoint`: SigV4-signed keep-alive HTTP ({@link SignedManagementApi}), one per
 * endpoint. It makes one attempt per call; {@link postWithRetry} retries per message, so a large fan-out
 * cannot drain a shared retry quota and leave later messages unretried.
 */
export function managementApi(endpoint: string): SignedManagementApi {
  let api = apis.get(endpoint);
  if (!api) {
    api = new SignedManagementApi(endpoint);
    apis.set(endpoint, api);
  }
  return api;
}

/** The calls sent through a caller's own SDK client (one wrapper per client). */
export function sdkManagementApi(client: ApiGatewayManagementApiClient): SdkManagementApi {
  let api = sdkApis.get(client);
  if (!api) {
    api = new SdkManagementApi(client);
    sdkApis.set(client, api);
  }
  return api;
}

/**
 * Classifies an SDK v3 error: v3 errors carry `name` and `$metadata.httpStatusCode` (never `statusCode`).
 * 410 GoneException: the connection is gone. 403: forbidden (IAM, endpoint, or a connection still opening).
 * LimitExceededException / 429, 5xx, a timeout before the request was sent and transient network errors: retry.
 * A timeout or network error after the whole request was sent (or a call aborted by its deadline): unknown, the
 * message may have been delivered, so it is not retried. Anything else: fatal.
 */
export function classifyManagementError(err: unknown): ManagementErrorKind {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (e?.name === 'GoneException' || status === 410) return 'gone';
  if (e?.name === 'ForbiddenException' || status === 403) return 'forbidden';
  if (e?.name === 'LimitExceededException' || e?.name === 'ThrottlingException' || status === 429) return 'retryable';
  if (status === undefined && (requestWasSent(err) || e?.name === 'AbortError')) return 'unknown';
  if ((status !== undefined && status >= 500) || e?.name === 'TimeoutError') return 'retryable';
  if (status === undefined && e?.code && TRANSIENT_NETWORK_CODES.has(e.code)) return 'retryable';
  return 'fatal';
}

/** Bytes of a message: text as UTF-8. */
export function messageBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * Posts one message, retrying throttling, 5xx and network errors with bounded backoff, never past the deadline.
 * Resolves `'delivered'` or `'gone'` (410); rejects with the last error otherwise. A post whose request was sent
 * but whose answer did not come in time is not retried (it may have been delivered: retrying could deliver it
 * twice); its error classifies as `'unknown'`.
 */
export async function postWithRetry(
  api: ManagementApi,
  connectionId: string,
  data: string | Uint8Array,
  options: PostRetryOptions = {},
): Promise<'delivered' | 'gone'> {
  const bytes = messageBytes(data);
  const attempts = Math.max(1, options.attempts ?? 3);
  const deadline = options.deadline ?? invocationDeadline();
  for (let attempt = 1; ; attempt++) {
    try {
      await api.post(connectionId, bytes, { deadline, timeoutMs: options.timeoutMs });
      return 'delivered';
    } catch (err) {
      const kind = classifyManagementError(err);
      if (kind === 'gone') return 'gone';
      if (kind !== 'retryable' || attempt >= attempts) throw err;
      const delay = backoffDelay(attempt, options.retryBaseMs ?? 50, 1000);
      if (deadline !== undefined && Date.now() + delay >= deadline) throw err;
      await sleep(delay);
    }
  }
}

/**
 * Posts one message to one connection with {@link postWithRetry}, a failure wrapped as the {@link PublishError} of
 * that connection (a cause classified `'unknown'` may have been delivered).
 */
export async function postOrThrow(
  api: ManagementApi,
  connectionId: string,
  data: string | Uint8Array,
  options?: PostRetryOptions,
): Promise<'delivered' | 'gone'> {
  try {
    return await postWithRetry(api, connectionId, data, options);
  } catch (err) {
    throw new PublishError([{ target: `native connection ${connectionId}`, cause: err as Error }]);
  }
}

/** Closes a connection (DeleteConnection); resolves false when it was already gone. */
export async function deleteRemoteConnection(
  api: ManagementApi,
  connectionId: string,
  deadline?: number,
): Promise<boolean> {
  try {
    await api.delete(connectionId, { deadline });
    return true;
  } catch (err) {
    if (classifyManagementError(err) === 'gone') return false;
    throw err;
  }
}
