/**
 * The management API (`@connections`) of API Gateway, for the whole native transport: one send path. The message
 * size limit, the two calls (PostToConnection, DeleteConnection) signed with SigV4 over the runtime's keep-alive
 * HTTP (../http-call.ts, shared with the GRIP publisher) or sent through a caller's SDK client, the retry of one
 * message, "post one message and wrap the failure", and the container's sender per endpoint all live here; how a
 * call failed is told by management-errors.ts.
 */

import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { Env } from '../contract';
import { backoffDelay, sleep } from '../core/backoff';
import { containerScoped } from '../core/container';
import { callTimeout, invocationDeadline } from '../core/deadline';
import { GripConfigError, InvalidValueError, OutputLimitError, PublishError } from '../core/errors';
import { type HttpTarget, httpCall } from '../core/http-call';
import { runtimeSettings } from '../core/settings';
import { classifyManagementError, type ManagementSdk, serviceError } from './management-errors';
import { createSigner, type RequestSigner, signRequest, uriEscape } from './sigv4';

export { classifyManagementError, type ManagementErrorKind, type ManagementSdk } from './management-errors';

/** API Gateway's limit on one message (PostToConnection payload): 128 KB. */
export const MAX_NATIVE_MESSAGE_BYTES = 128 * 1024;

/** The default timeout of one management API call. */
export const DEFAULT_MANAGEMENT_TIMEOUT_MS = 5000;

/** Options of one management API call. */
export interface CallOptions {
  /** Epoch milliseconds by which the call must have finished. @default - the invocation's deadline, if known */
  readonly deadline?: number;
  /** Timeout of this call. @default - the sender's own (5 s for the signed sender, 10 s for an SDK client) */
  readonly timeoutMs?: number;
}

/**
 * The two management API calls the native transport makes. Both reject with the AWS SDK v3 service exceptions
 * (`GoneException` for 410, `ForbiddenException`, `LimitExceededException`, ...), with `name` and
 * `$metadata.httpStatusCode` set, whichever implementation sends them, or with a `TimeoutError`.
 */
export interface ManagementApi {
  /** PostToConnection: resolves when API Gateway accepted the message. */
  post(connectionId: string, data: Uint8Array, options?: CallOptions): Promise<void>;
  /** DeleteConnection: closes the connection. */
  delete(connectionId: string, options?: CallOptions): Promise<void>;
}

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

/** The container's signed sender per endpoint. */
const apis = containerScoped(() => new Map<string, SignedManagementApi>());
const sdkApis = new WeakMap<ApiGatewayManagementApiClient, SdkManagementApi>();

/**
 * The management (callback) URL to use: the given one, else `FAAS_GRIP_MANAGEMENT_ENDPOINT`. A `wss://`
 * stage URL is turned into its `https://` callback form.
 */
export function resolveManagementEndpoint(endpoint?: string): string {
  const value = endpoint ?? runtimeSettings().managementEndpoint;
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
  let api = apis.get().get(endpoint);
  if (!api) {
    api = new SignedManagementApi(endpoint);
    apis.get().set(endpoint, api);
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

/** Throws {@link OutputLimitError} when `data` is over API Gateway's 128 KB message limit. */
export function checkNativeMessageSize(data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
  if (bytes > MAX_NATIVE_MESSAGE_BYTES) {
    throw new OutputLimitError(
      `message of ${bytes} bytes is over API Gateway's ${MAX_NATIVE_MESSAGE_BYTES}-byte limit: split it or send a reference`,
    );
  }
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

const sdkModule = containerScoped((): Promise<ManagementSdk> => import('@aws-sdk/client-apigatewaymanagementapi'));

/** The SDK module, loaded on first use (never at import: GRIP-only functions do not need it). */
export function managementSdk(): Promise<ManagementSdk> {
  return sdkModule.get();
}

/** Options of {@link SignedManagementApi}. */
export interface SignedManagementApiOptions {
  /**
   * A call not completely answered after this long (or by the call's deadline, if sooner) fails with a
   * `TimeoutError`; `requestSent` tells whether the message may have been delivered all the same.
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
}

const EMPTY = new Uint8Array(0);
/** Signed on every PostToConnection, as the SDK sends it. */
const POST_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/octet-stream' };

interface SdkParts {
  readonly sdk: ManagementSdk;
  readonly signer: RequestSigner;
}

/**
 * The management API over keep-alive HTTP with SigV4 signing: the default sender of the native transport.
 * Credentials and region come from an SDK v3 client's provider chain (environment, Lambda role, profiles), the
 * signature from the SDK's own signer, errors are the SDK's own exception classes; only the per-call work is lean,
 * so a fan-out spends its CPU on the network rather than on the SDK's middleware stack (bench/fan-out.js measures
 * both).
 */
export class SignedManagementApi implements ManagementApi {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly requestTimeoutMs: number;
  private parts?: SdkParts;
  private loading?: Promise<SdkParts>;

  /** `endpoint`: the stage's callback URL, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`. */
  constructor(
    readonly endpoint: string,
    options: SignedManagementApiOptions = {},
  ) {
    this.url = new URL(endpoint);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_MANAGEMENT_TIMEOUT_MS;
  }

  post(connectionId: string, data: Uint8Array, options?: CallOptions): Promise<void> {
    return this.call('POST', connectionId, data, options);
  }

  delete(connectionId: string, options?: CallOptions): Promise<void> {
    return this.call('DELETE', connectionId, EMPTY, options);
  }

  private async call(
    method: 'POST' | 'DELETE',
    connectionId: string,
    body: Uint8Array,
    options: CallOptions = {},
  ): Promise<void> {
    const path = `${this.basePath}/@connections/${uriEscape(checkConnectionId(connectionId))}`;
    const parts = this.parts ?? (await this.load());
    const signed = method === 'POST' ? POST_HEADERS : undefined;
    const headers = await signRequest(parts.signer, { method, host: this.url.host, path, headers: signed, body });
    if (signed) headers['content-type'] = signed['content-type'];
    const target: HttpTarget = { protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, path };
    const timeoutMs = callTimeout(options.deadline, options.timeoutMs ?? this.requestTimeoutMs);
    const answer = await httpCall({ method, target, headers, body, timeoutMs });
    if (answer.status < 200 || answer.status >= 300) throw serviceError(parts.sdk, answer);
  }

  private load(): Promise<SdkParts> {
    this.loading ??= managementSdk()
      .then(async (sdk) => {
        const client = new sdk.ApiGatewayManagementApiClient({ endpoint: this.endpoint });
        const region = await client.config.region();
        return { sdk, signer: await createSigner(region, 'execute-api', client.config.credentials) };
      })
      .then(
        (parts) => {
          this.parts = parts;
          return parts;
        },
        (err) => {
          this.loading = undefined;
          throw err;
        },
      );
    return this.loading;
  }
}

/** A connection id as API Gateway issues it: 1 to 128 printable ASCII characters, not a dot segment. */
function checkConnectionId(id: string): string {
  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > 128 ||
    !/^[\x21-\x7e]+$/.test(id) ||
    /^\.\.?$/.test(id)
  ) {
    throw new InvalidValueError(
      `connection id ${JSON.stringify(id)} is not one API Gateway issues: expected 1-128 printable ASCII characters`,
    );
  }
  return id;
}

/** The calls sent through an `ApiGatewayManagementApiClient` the caller configured (the `managementClient` option). */
export class SdkManagementApi implements ManagementApi {
  constructor(readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, data: Uint8Array, options: CallOptions = {}): Promise<void> {
    const sdk = await managementSdk();
    const command = new sdk.PostToConnectionCommand({ ConnectionId: connectionId, Data: data });
    await this.client.send(command, {
      abortSignal: AbortSignal.timeout(callTimeout(options.deadline, options.timeoutMs)),
    });
  }

  async delete(connectionId: string, options: CallOptions = {}): Promise<void> {
    const sdk = await managementSdk();
    const command = new sdk.DeleteConnectionCommand({ ConnectionId: connectionId });
    await this.client.send(command, {
      abortSignal: AbortSignal.timeout(callTimeout(options.deadline, options.timeoutMs)),
    });
  }
}
