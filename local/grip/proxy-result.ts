/** Lambda proxy results turned into HTTP responses the way API Gateway and Function URLs do it. */
import { firstAcceptType, matchesMediaType } from './media-types';

/** An HTTP response ready to write. */
export interface HttpReply {
  readonly status: number;
  /** Header name to values (Set-Cookie may repeat). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

/** API Gateway's reply when the integration failed or answered something it cannot use. */
export function gatewayError(format: 'rest-v1' | 'http-v2' | 'function-url'): HttpReply {
  const message = format === 'rest-v1' ? 'Internal server error' : 'Internal Server Error';
  return jsonReply(502, { message }, { 'x-amzn-ErrorType': ['InternalServerErrorException'] });
}

/** A JSON reply. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string[]> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': ['application/json'], ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;
}

/** Merges `headers` and `multiValueHeaders`: a name present in both takes the multi-value list only. */
function mergeHeaders(result: Record<string, unknown>): Record<string, string[]> | undefined {
  const merged: Record<string, string[]> = {};
  const byLower = new Map<string, string>();
  const multi = result.multiValueHeaders;
  const single = result.headers;
  if (multi !== undefined && multi !== null && !isRecord(multi)) return undefined;
  if (single !== undefined && single !== null && !isRecord(single)) return undefined;
  for (const [name, values] of Object.entries(multi ?? {})) {
    if (!Array.isArray(values)) return undefined;
    merged[name] = values.map(String);
    byLower.set(name.toLowerCase(), name);
  }
  for (const [name, value] of Object.entries(single ?? {})) {
    if (byLower.has(name.toLowerCase())) continue;
    if (value === null || typeof value === 'object') return undefined;
    merged[name] = [String(value)];
  }
  return merged;
}

function hasHeader(headers: Record<string, readonly string[]>, name: string): boolean {
  return Object.keys(headers).some((n) => n.toLowerCase() === name);
}

/**
 * A REST API (payload 1.0) result as API Gateway answers it. A base64 body is decoded only when the request's first
 * Accept media type matches `binaryMediaTypes`; otherwise the base64 text itself is sent, as API Gateway does.
 */
export function restReply(result: unknown, accept: string | undefined, binaryMediaTypes: readonly string[]): HttpReply {
  if (!isRecord(result) || !validStatus(result.statusCode)) return gatewayError('rest-v1');
  const headers = mergeHeaders(result);
  const body = result.body ?? '';
  if (!headers || typeof body !== 'string') return gatewayError('rest-v1');
  if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = ['application/json'];
  const decode = result.isBase64Encoded === true && matchesMediaType(firstAcceptType(accept), binaryMediaTypes);
  return { status: result.statusCode, headers, body: Buffer.from(body, decode ? 'base64' : 'utf8') };
}

/**
 * An HTTP API / Function URL (payload 2.0) result. A value without `statusCode` is sent as a 200 JSON body; a
 * base64 body is always decoded; `cookies` become Set-Cookie headers.
 */
export function v2Reply(result: unknown, format: 'http-v2' | 'function-url'): HttpReply {
  if (!isRecord(result) || result.statusCode === undefined) {
    if (result === undefined) return { status: 200, headers: {}, body: Buffer.alloc(0) };
    return jsonReply(200, result);
  }
  if (!validStatus(result.statusCode)) return gatewayError(format);
  const headers = mergeHeaders(result);
  const body = result.body ?? '';
  if (!headers || typeof body !== 'string') return gatewayError(format);
  const cookies = result.cookies;
  if (cookies !== undefined) {
    if (!Array.isArray(cookies)) return gatewayError(format);
    headers['Set-Cookie'] = cookies.map(String);
  }
  return {
    status: result.statusCode,
    headers,
    body: Buffer.from(body, result.isBase64Encoded === true ? 'base64' : 'utf8'),
  };
}
