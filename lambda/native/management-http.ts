import * as http from 'node:http';
import * as https from 'node:https';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { InvalidValueError } from '../errors';
import { type ManagementApi, type ManagementSdk, managementSdk } from './management-api';
import { signRequest, uriEscape } from './sigv4';

/** Options of {@link SignedManagementApi}. */
export interface SignedManagementApiOptions {
  /** A call that has not been answered after this long fails with a retryable `TimeoutError`. @default 10000 */
  readonly requestTimeoutMs?: number;
}

/** What an answer is read up to (API Gateway's error bodies are a few dozen bytes). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);
/** Signed on every PostToConnection, as the SDK sends it. */
const POST_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/octet-stream' };

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

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
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
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
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true });
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  post(connectionId: string, data: Uint8Array): Promise<void> {
    return this.call('POST', connectionId, data);
  }

  delete(connectionId: string): Promise<void> {
    return this.call('DELETE', connectionId, EMPTY);
  }

  /** Closes idle keep-alive sockets (for tests and local runs; a Lambda container simply freezes). */
  destroy(): void {
    this.agent.destroy();
  }

  private async call(method: 'POST' | 'DELETE', connectionId: string, body: Uint8Array): Promise<void> {
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
    headers['content-length'] = String(body.byteLength);
    const answer = await this.send(method, path, headers, body);
    if (answer !== undefined) throw serviceError(parts.sdk, answer);
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

  /** Resolves undefined for a 2xx answer, else the answer (its body read up to a limit). */
  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
  ): Promise<Answer | undefined> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        {
          method,
          host: this.url.hostname,
          port: this.url.port,
          path,
          agent: this.agent,
          headers,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            res
              .on('end', () => resolve(undefined))
              .on('error', reject)
              .resume();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(this.requestTimeoutMs, () => {
        const err = new Error(`management API call not answered within ${this.requestTimeoutMs} ms`);
        err.name = 'TimeoutError';
        req.destroy(err);
      });
      req.on('error', reject);
      req.end(body);
    });
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
function serviceError(sdk: ManagementSdk, answer: Answer): Error {
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

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
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
