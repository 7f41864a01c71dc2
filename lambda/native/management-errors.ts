/**
 * How the management API fails: the SDK v3 exception for an error answer (as the SDK's own deserializer builds it),
 * and the classification every sender path acts on (gone, forbidden, retryable, unknown, fatal).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpAnswer } from '../core/http-call';
import { requestWasSent } from '../core/http-call';

/** The SDK module of the management API. */
export type ManagementSdk = typeof import('@aws-sdk/client-apigatewaymanagementapi');

/** How a management API call failed, as far as a sender cares. */
export type ManagementErrorKind = 'gone' | 'forbidden' | 'retryable' | 'unknown' | 'fatal';

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

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

/** The SDK exception for an error answer, as the SDK's own deserializer would build it. */
export function serviceError(sdk: ManagementSdk, answer: HttpAnswer): Error {
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
