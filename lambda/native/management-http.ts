import type { IncomingHttpHeaders } from 'node:http';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { callTimeout } from '../deadline';
import { InvalidValueError } from '../errors';
import { type HttpAnswer, type HttpTarget, httpCall } from '../http-call';
import { type CallOptions, type ManagementApi, type ManagementSdk, managementSdk } from './management-api';
import { signRequest, uriEscape } from './sigv4';

/** Options of {@link SignedManagementApi}. */
export interface SignedManagementApiOptions {
  /**
   * A call not completely answered after this long (or by the call's deadline, if sooner) fails with a
   * `TimeoutError`; `requestSent` tells whether the message may have been delivered all the same.
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
}

/** The default timeout of one management API call. */
export const DEFAULT_MANAGEMENT_TIMEOUT_MS = 5000;
const EMPTY = new Uint8Array(0);
/** Signed on every PostToConnection, as the SDK sends it. */
const POST_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/octet-stream' };

interface SdkParts {
  readonly sdk: ManagementSdk;
  readonly client: ApiGatewayManagementApiClient;
  readonly region: string;
}

/**
 * The management API over keep-alive HTTP with SigV4 signing: the default sender of the native transport.
 * Credentials and region come from an SDK v3 client's provider chain (environment, Lambda role, profiles),
 * errors are the SDK's own exception classes; only the per-call work is lean, so a fan-out spends its CPU on
 * the network rather than on the SDK's middleware stack (bench/fan-out.js measures both).
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

  /** Kept for callers that closed the sender's sockets; the keep-alive pool is the runtime's (../http-call.ts). */
  destroy(): void {}

  private async call(
    method: 'POST' | 'DELETE',
    connectionId: string,
    body: Uint8Array,
    options: CallOptions = {},
  ): Promise<void> {
    const path = `${this.basePath}/@connections/${uriEscape(checkConnectionId(connectionId))}`;
    const parts = this.parts ?? (await this.load());
    const credentials = await parts.client.config.credentials();
    const signed = method === 'POST' ? POST_HEADERS : undefined;
    const headers = signRequest({
      method,
      host: this.url.host,
      path,
      headers: signed,
      body,
      region: parts.region,
      service: 'execute-api',
      credentials,
    });
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
        return { sdk, client, region: await client.config.region() };
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

/** The SDK exception for an error answer, as the SDK's own deserializer would build it. */
function serviceError(sdk: ManagementSdk, answer: HttpAnswer): Error {
  const $metadata = {
    httpStatusCode: answer.status,
    requestId: header(answer.headers, 'x-amzn-requestid'),
    attempts: 1,
    totalRetryDelay: 0,
  };
  const type = (header(answer.headers, 'x-amzn-errortype') ?? '').split(':')[0];
  const message = messageOf(answer.body) ?? `management API answered ${answer.status}`;
  const name = type ? type : STATUS_ERRORS[answer.status];
  const known = name === undefined ? undefined : knownError(sdk, name);
  if (known) return new known({ message, $metadata });
  return new sdk.ApiGatewayManagementApiServiceException({
    name: name ?? `Http${answer.status}Error`,
    $fault: answer.status >= 500 ? 'server' : 'client',
    message,
    $metadata,
  });
}

/** The error name API Gateway gives each status when no `x-amzn-ErrorType` header says it. */
const STATUS_ERRORS: Readonly<Record<number, string>> = {
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
};

type ErrorClass = new (options: { message: string; $metadata: Record<string, unknown> }) => Error;

function knownError(sdk: ManagementSdk, name: string): ErrorClass | undefined {
  switch (name) {
    case 'GoneException':
      return sdk.GoneException;
    case 'ForbiddenException':
      return sdk.ForbiddenException;
    case 'LimitExceededException':
      return sdk.LimitExceededException;
    case 'PayloadTooLargeException':
      return sdk.PayloadTooLargeException;
    default:
      return undefined;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function messageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return body.trim() ? body.trim().slice(0, 200) : undefined;
  }
}
