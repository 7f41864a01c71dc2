/**
 * HTTP requests turned into the Lambda proxy events API Gateway sends: REST API (payload 1.0), HTTP API
 * (payload 2.0) and Function URL (payload 2.0 shape).
 */
import { apiGatewayId, clfTime, requestId, traceId } from '../support/ids';
import { isTextMediaType, matchesMediaType } from './media-types';
import { headerMaps, queryMaps } from './value-maps';

/** Which event shape the front door emits. */
export type { EventVersionName } from '../../lambda/aws/http-event';

/** A request as the front door received it. */
export interface FrontDoorRequest {
  readonly method: string;
  /** Path after the stage prefix, starting with `/`. */
  readonly path: string;
  /** Path as requested, with the stage prefix. */
  readonly fullPath: string;
  /** Query string without `?`. */
  readonly rawQuery: string;
  /** Header pairs in the client's case and order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly sourceIp: string;
  /** The Host header (the API's domain name). */
  readonly host: string;
}

/** Settings shared by every event of one front door. */
export interface EventSettings {
  readonly stage: string;
  readonly apiId: string;
  readonly accountId: string;
  readonly binaryMediaTypes: readonly string[];
}

/** The REST API proxy event (payload 1.0) for a `/{proxy+}` resource (and the root `/`). */
export interface RestProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: Record<string, unknown>;
  body: string | null;
  isBase64Encoded: boolean;
}

/** The HTTP API / Function URL event (payload 2.0). */
export interface HttpV2Event {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: Record<string, unknown>;
  body?: string;
  isBase64Encoded: boolean;
}

function headerValue(req: FrontDoorRequest, name: string): string | undefined {
  const found = req.headers.filter(([n]) => n.toLowerCase() === name);
  return found.length ? found[found.length - 1][1] : undefined;
}

/** The headers API Gateway adds in front of the client's. */
function withForwardingHeaders(req: FrontDoorRequest, now: number): Array<readonly [string, string]> {
  const pairs = req.headers.filter(([n]) => !/^x-forwarded-(for|port|proto)$/i.test(n));
  const forwardedFor = headerValue(req, 'x-forwarded-for');
  pairs.push(['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${req.sourceIp}` : req.sourceIp]);
  pairs.push(['X-Forwarded-Port', req.host.split(':')[1] ?? '80']);
  pairs.push(['X-Forwarded-Proto', 'http']);
  if (!headerValue(req, 'x-amzn-trace-id')) pairs.push(['X-Amzn-Trace-Id', traceId(now)]);
  return pairs;
}

function common(req: FrontDoorRequest, settings: EventSettings, now: number) {
  return {
    accountId: settings.accountId,
    apiId: settings.apiId,
    domainName: req.host,
    domainPrefix: req.host.split('.')[0].split(':')[0],
    requestId: requestId(),
    stage: settings.stage,
    now,
  };
}

/** The REST API (payload 1.0) event; the body is base64 when its Content-Type matches `binaryMediaTypes`. */
export function restEvent(req: FrontDoorRequest, settings: EventSettings, now = Date.now()): RestProxyEvent {
  const { headers, multiValueHeaders } = headerMaps(withForwardingHeaders(req, now));
  const query = queryMaps(req.rawQuery);
  const hasQuery = Object.keys(query.queryStringParameters).length > 0;
  const isRoot = req.path === '/' || req.path === '';
  const resource = isRoot ? '/' : '/{proxy+}';
  const binary = matchesMediaType(headerValue(req, 'content-type'), settings.binaryMediaTypes);
  const c = common(req, settings, now);
  const userAgent = headerValue(req, 'user-agent') ?? null;
  return {
    resource,
    path: isRoot ? '/' : req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query.queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? query.multiValueQueryStringParameters : null,
    pathParameters: isRoot ? null : { proxy: safeDecode(req.path.slice(1)) },
    stageVariables: null,
    requestContext: {
      resourceId: apiGatewayId().slice(0, 6).toLowerCase(),
      resourcePath: resource,
      httpMethod: req.method,
      extendedRequestId: apiGatewayId(),
      requestTime: clfTime(now),
      path: req.fullPath,
      accountId: c.accountId,
      protocol: 'HTTP/1.1',
      stage: c.stage,
      domainPrefix: c.domainPrefix,
      requestTimeEpoch: now,
      requestId: c.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: req.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent,
        user: null,
      },
      domainName: c.domainName,
      apiId: c.apiId,
    },
    body: req.body.length === 0 ? null : req.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: req.body.length > 0 && binary,
  };
}

/** The HTTP API (payload 2.0) or Function URL event; the body is text only for textual content types. */
export function v2Event(
  req: FrontDoorRequest,
  settings: EventSettings,
  format: 'http-v2' | 'function-url',
  now = Date.now(),
): HttpV2Event {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of withForwardingHeaders(req, now)) {
    const lower = name.toLowerCase();
    if (lower === 'cookie') cookies.push(...value.split(';').map((s) => s.trim()));
    else headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(req.rawQuery)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const c = common(req, settings, now);
  const text = isTextMediaType(headers['content-type']);
  const stage = format === 'function-url' ? '$default' : settings.stage;
  const rawPath = format === 'function-url' ? req.path : req.fullPath;
  const event: HttpV2Event = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: req.rawQuery,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: format === 'function-url' ? 'anonymous' : c.accountId,
      apiId: c.apiId,
      domainName: c.domainName,
      domainPrefix: c.domainPrefix,
      http: {
        method: req.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: c.requestId,
      routeKey: '$default',
      stage,
      time: clfTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: req.body.length > 0 && !text,
  };
  if (req.body.length > 0) event.body = req.body.toString(text ? 'utf8' : 'base64');
  return event;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
