/**
 * HTTP Lambda events in, results out: API Gateway REST APIs (payload 1.0), HTTP APIs (payload 2.0) and Lambda
 * function URLs; plus detection of WebSocket-over-HTTP requests and the GRIP context built from them.
 */
import { InvalidValueError, NotWebSocketOverHttpError } from '../core/errors';
import { proxySupportsFlowControl } from '../core/inbound-limits';
import { Transport, WebSocketContext } from '../core/websocket-context';
import { createGripFinisher, WEBSOCKET_EVENTS_CONTENT_TYPE } from '../grip/grip-response';
import { metaFromHeaders } from '../grip/meta';
import { decodeWebSocketEvents } from '../grip/websocket-events';

/** The name of an {@link EventVersion}: `rest-v1`, `http-v2` or `function-url`. */
export type EventVersionName = 'rest-v1' | 'http-v2' | 'function-url';

/** The format of an HTTP Lambda event, which is also the format its result must have. */
export class EventVersion {
  /** API Gateway REST API proxy integration (payload format 1.0). */
  static readonly REST_V1 = new EventVersion('rest-v1');
  /** API Gateway HTTP API (payload format 2.0). */
  static readonly HTTP_V2 = new EventVersion('http-v2');
  /** Lambda function URL (payload format 2.0 on a `lambda-url` domain). */
  static readonly FUNCTION_URL = new EventVersion('function-url');

  private constructor(
    /** `rest-v1`, `http-v2` or `function-url`. */
    readonly name: EventVersionName,
  ) {}

  /** The version's name. */
  toString(): string {
    return this.name;
  }
}

/** An HTTP request read from a Lambda event. */
export interface HttpRequest {
  readonly version: EventVersion;
  /** Upper-case method. */
  readonly method: string;
  readonly path: string;
  /** Lower-case names; repeated headers joined with commas; v2 cookies as `cookie`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Repeated parameters joined with commas. */
  readonly query: Readonly<Record<string, string>>;
  /** The decoded body; empty when the event's body is null. */
  readonly body: Uint8Array;
}

/** A Lambda proxy result, valid for every EventVersion. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

type Json = Record<string, unknown>;
const utf8Encoder = new TextEncoder();

/** The `requestContext.http` of an HTTP API v2 / function URL event; undefined for other events. */
function v2Http(e: Json | undefined): Json | undefined {
  const context = e && isObject(e.requestContext) ? e.requestContext : undefined;
  const http = context && isObject(context.http) ? context.http : undefined;
  return http && typeof http.method === 'string' ? http : undefined;
}

/** True for an event {@link parseHttpEvent} reads: REST v1 (`httpMethod`), HTTP API v2 or function URL. */
export function isHttpEvent(event: unknown): boolean {
  const e = isObject(event) ? event : undefined;
  return v2Http(e) !== undefined || typeof e?.httpMethod === 'string';
}

/**
 * Reads a REST v1, HTTP API v2 or function URL event: base64 or plain bodies, null headers and bodies,
 * multi-value headers and query parameters, v2 cookies. Throws NotWebSocketOverHttpError for anything else.
 */
export function parseHttpEvent(event: unknown): HttpRequest {
  const e = isObject(event) ? event : undefined;
  const context = e && isObject(e.requestContext) ? e.requestContext : undefined;
  const http = v2Http(e);
  if (e && http && typeof http.method === 'string') {
    const domain = typeof context?.domainName === 'string' ? context.domainName : '';
    const headers = readHeaders(e.headers, undefined);
    if (Array.isArray(e.cookies) && e.cookies.length > 0) headers.cookie = e.cookies.join('; ');
    return {
      version: domain.includes('.lambda-url.') ? EventVersion.FUNCTION_URL : EventVersion.HTTP_V2,
      method: http.method.toUpperCase(),
      path: typeof e.rawPath === 'string' ? e.rawPath : String(http.path ?? '/'),
      headers,
      query: readParams(e.queryStringParameters, undefined),
      body: readBody(e.body, e.isBase64Encoded),
    };
  }
  if (e && typeof e.httpMethod === 'string') {
    return {
      version: EventVersion.REST_V1,
      method: e.httpMethod.toUpperCase(),
      path: typeof e.path === 'string' ? e.path : '/',
      headers: readHeaders(e.headers, e.multiValueHeaders),
      query: readParams(e.queryStringParameters, e.multiValueQueryStringParameters),
      body: readBody(e.body, e.isBase64Encoded),
    };
  }
  throw new NotWebSocketOverHttpError(
    'not an HTTP event: expected an API Gateway REST API event (httpMethod) or an HTTP API / function URL event ' +
      '(requestContext.http.method); route the GRIP proxy to this function through one of them',
  );
}

/**
 * Builds the Lambda result for an event of `version`. A Uint8Array body is sent base64-encoded, a string as is.
 * Throws InvalidValueError for a header value containing CR or LF.
 */
export function toHttpResult(
  version: EventVersion,
  r: { statusCode: number; headers?: Record<string, string>; body?: Uint8Array | string },
): HttpResult {
  if (!(version instanceof EventVersion)) throw new InvalidValueError('toHttpResult() needs an EventVersion');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new InvalidValueError(`response header ${JSON.stringify(name)} contains CR or LF: remove line breaks`);
    }
    headers[name] = value;
  }
  const body = r.body ?? '';
  if (typeof body === 'string') return { statusCode: r.statusCode, headers, body, isBase64Encoded: false };
  const base64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
  return { statusCode: r.statusCode, headers, body: base64, isBase64Encoded: true };
}

/** A `text/plain; charset=utf-8` result for an event of `version`: refusals and errors answered without a body format. */
export function plainTextResult(version: EventVersion, statusCode: number, body: string): HttpResult {
  return toHttpResult(version, { statusCode, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body });
}

/**
 * True for a WebSocket-over-HTTP request: POST, a Content-Type of exactly the bytes the proxies send (see
 * {@link isProxyWebSocketEventsType}) and a Connection-Id header.
 */
export function isWebSocketOverHttp(req: HttpRequest): boolean {
  return whyNotWebSocketOverHttp(req).length === 0;
}

/** A context on the GRIP transport: `toResponse()` (and `finish()`) give the HTTP result of the request's event. */
export type GripWebSocketContext = WebSocketContext<HttpResult>;

/**
 * Builds the GRIP context of a WebSocket-over-HTTP request: meta from Meta-* headers, events decoded, the
 * response shaped like the request's event. Throws NotWebSocketOverHttpError (saying what is missing) for other
 * requests and WebSocketEventDecodeError for a malformed body.
 */
export function getGripWebSocketContext(req: HttpRequest, options: { prefix?: string } = {}): GripWebSocketContext {
  const problems = whyNotWebSocketOverHttp(req);
  if (problems.length > 0) {
    throw new NotWebSocketOverHttpError(`not a WebSocket-over-HTTP request: ${problems.join('; ')}`);
  }
  const version = req.version;
  return new WebSocketContext<HttpResult>({
    id: req.headers['connection-id'],
    handshake: { headers: req.headers, query: req.query },
    transport: Transport.GRIP,
    meta: metaFromHeaders(req.headers),
    events: decodeWebSocketEvents(req.body),
    prefix: options.prefix ?? '',
    finisher: createGripFinisher((response) => toHttpResult(version, response)),
    flowControl: proxySupportsFlowControl(req.headers),
  });
}

/**
 * True only for the exact Content-Type value the GRIP proxies send on WebSocket-over-HTTP requests:
 * `application/websocket-events`, lower case, no parameters, no spaces. Pushpin writes that literal on every such
 * request (src/proxy/websocketoverhttp.cpp, `doRequest()`), and Fastly Fanout and Fanout Cloud run Pushpin.
 *
 * Anything looser is a forgery route: Pushpin refuses a client's own WebSocket-over-HTTP request only when the type,
 * cut at the first `;`, is exactly that literal (src/proxy/proxysession.cpp), and forwards every other spelling
 * (`Application/WebSocket-Events`, `application/websocket-events ; x`) with a genuine Grip-Sig and the client's own
 * Connection-Id and Meta-* headers. A request the proxy forwards for a WebSocket client always carries the exact type.
 */
export function isProxyWebSocketEventsType(contentType: string | undefined): boolean {
  return contentType === WEBSOCKET_EVENTS_CONTENT_TYPE;
}

function whyNotWebSocketOverHttp(req: HttpRequest): string[] {
  const problems: string[] = [];
  if (req.method !== 'POST') problems.push(`method is ${req.method}, expected POST`);
  if (!isProxyWebSocketEventsType(req.headers['content-type'])) {
    const shown = req.headers['content-type'] === undefined ? 'missing' : JSON.stringify(req.headers['content-type']);
    problems.push(
      `Content-Type is ${shown}, expected exactly ${WEBSOCKET_EVENTS_CONTENT_TYPE} (as the proxy sends it)`,
    );
  }
  if (!req.headers['connection-id']) problems.push('Connection-Id header is missing');
  return problems;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Lower-cases names; a multi-value entry wins over the single-value one, its values joined with commas. */
function readHeaders(single: unknown, multi: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const fromMulti = new Set<string>();
  if (isObject(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values) || name === '') continue;
      const lower = name.toLowerCase();
      const joined = values.map(String).join(',');
      out[lower] = fromMulti.has(lower) ? `${out[lower]},${joined}` : joined;
      fromMulti.add(lower);
    }
  }
  if (isObject(single)) {
    for (const [name, value] of Object.entries(single)) {
      const lower = name.toLowerCase();
      if (value === null || value === undefined || name === '' || fromMulti.has(lower)) continue;
      out[lower] = Object.hasOwn(out, lower) ? `${out[lower]},${value}` : String(value);
    }
  }
  return out;
}

function readParams(single: unknown, multi: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(single)) {
    for (const [name, value] of Object.entries(single)) if (value != null) out[name] = String(value);
  }
  if (isObject(multi)) {
    for (const [name, values] of Object.entries(multi)) if (Array.isArray(values)) out[name] = values.join(',');
  }
  return out;
}

function readBody(body: unknown, isBase64Encoded: unknown): Uint8Array {
  if (body === null || body === undefined || body === '') return new Uint8Array(0);
  if (typeof body !== 'string') {
    throw new NotWebSocketOverHttpError(`event body must be a string or null, got ${typeof body}`);
  }
  if (isBase64Encoded === true) {
    const buf = Buffer.from(body, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  return utf8Encoder.encode(body);
}
