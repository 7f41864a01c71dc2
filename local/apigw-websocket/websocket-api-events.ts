/**
 * The events an API Gateway WebSocket API sends to its Lambda integrations ($connect, message routes, $disconnect)
 * and to a `$connect` REQUEST authorizer. Field names, order and types follow events captured from AWS (see
 * test/fixtures/apigw-websocket-*.json).
 */

import { headerMaps, queryMaps } from '../grip/value-maps';
import { apiGatewayId, clfTime, traceId } from '../support/ids';

/** What the emulator knows about a connection when it builds an event. */
export interface ConnectionInfo {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** The Host the client connected to (the API's domain name). */
  readonly domainName: string;
  /** `principalId`, `integrationLatency` and the authorizer's context, once an authorizer allowed the connection. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
}

/** Settings of one WebSocket API stage. */
export interface WebSocketApiInfo {
  readonly apiId: string;
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
}

/** The handshake request of a connection. */
export interface HandshakeInfo {
  /** Header pairs in the client's case and order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Query string without `?`. */
  readonly rawQuery: string;
}

/** An event's `requestContext`. */
export type WebSocketRequestContext = Record<string, unknown>;

/** A WebSocket API integration event ($connect, a message route or $disconnect). */
export interface WebSocketApiEvent {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  requestContext: WebSocketRequestContext;
  body?: string;
  isBase64Encoded: boolean;
}

/** The input of a `$connect` REQUEST authorizer. */
export interface WebSocketAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
  stageVariables: Record<string, string>;
  requestContext: WebSocketRequestContext;
}

type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

function requestContext(
  conn: ConnectionInfo,
  api: WebSocketApiInfo,
  routeKey: string,
  eventType: EventType,
  now: number,
  extra: { messageId?: string; disconnectStatusCode?: number; disconnectReason?: string } = {},
): WebSocketRequestContext {
  const id = apiGatewayId();
  const context: WebSocketRequestContext = { routeKey };
  if (extra.messageId !== undefined) context.messageId = extra.messageId;
  if (extra.disconnectStatusCode !== undefined) context.disconnectStatusCode = extra.disconnectStatusCode;
  Object.assign(context, {
    eventType,
    extendedRequestId: id,
    requestTime: clfTime(now),
    messageDirection: 'IN',
  });
  if (extra.disconnectReason !== undefined) context.disconnectReason = extra.disconnectReason;
  Object.assign(context, {
    stage: api.stage,
    connectedAt: conn.connectedAt,
    requestTimeEpoch: now,
    identity:
      conn.userAgent === undefined
        ? { sourceIp: conn.sourceIp }
        : { userAgent: conn.userAgent, sourceIp: conn.sourceIp },
    requestId: id,
    domainName: conn.domainName,
    connectionId: conn.connectionId,
    apiId: api.apiId,
  });
  if (conn.authorizer) context.authorizer = { ...conn.authorizer };
  return context;
}

/** The handshake headers as API Gateway forwards them, with its forwarding headers added. */
function forwardedHeaders(handshake: HandshakeInfo, conn: ConnectionInfo, keepUpgradeHeaders: boolean, now: number) {
  const dropped = keepUpgradeHeaders
    ? /^(x-forwarded-(for|port|proto)|x-amzn-trace-id)$/i
    : /^(connection|upgrade|x-forwarded-(for|port|proto)|x-amzn-trace-id)$/i;
  const pairs: Array<readonly [string, string]> = handshake.headers.filter(([name]) => !dropped.test(name));
  if (keepUpgradeHeaders) pairs.push(['content-length', '0']);
  pairs.push(['X-Amzn-Trace-Id', traceId(now)]);
  pairs.push(['X-Forwarded-For', conn.sourceIp]);
  pairs.push(['X-Forwarded-Port', conn.domainName.split(':')[1] ?? '443']);
  pairs.push(['X-Forwarded-Proto', 'http']);
  return headerMaps(pairs);
}

/** The `$connect` event; query maps are present only when the URL had a query string. */
export function connectEvent(
  conn: ConnectionInfo,
  api: WebSocketApiInfo,
  handshake: HandshakeInfo,
  now = Date.now(),
): WebSocketApiEvent {
  const event: WebSocketApiEvent = {
    ...forwardedHeaders(handshake, conn, false, now),
    requestContext: requestContext(conn, api, '$connect', 'CONNECT', now),
    isBase64Encoded: false,
  };
  if (handshake.rawQuery) {
    const query = queryMaps(handshake.rawQuery);
    return {
      headers: event.headers,
      multiValueHeaders: event.multiValueHeaders,
      ...query,
      requestContext: event.requestContext,
      isBase64Encoded: false,
    };
  }
  return event;
}

/** A message event for `routeKey` with the frame's text as `body`. */
export function messageEvent(
  conn: ConnectionInfo,
  api: WebSocketApiInfo,
  routeKey: string,
  body: string,
  now = Date.now(),
): WebSocketApiEvent {
  return {
    requestContext: requestContext(conn, api, routeKey, 'MESSAGE', now, { messageId: apiGatewayId() }),
    body,
    isBase64Encoded: false,
  };
}

/** The `$disconnect` event. */
export function disconnectEvent(
  conn: ConnectionInfo,
  api: WebSocketApiInfo,
  statusCode: number,
  reason: string,
  now = Date.now(),
): WebSocketApiEvent {
  return {
    ...headerMaps([
      ['Host', conn.domainName],
      ['x-api-key', ''],
      ['X-Forwarded-For', ''],
      ['x-restapi', ''],
    ]),
    requestContext: requestContext(conn, api, '$disconnect', 'DISCONNECT', now, {
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
    }),
    isBase64Encoded: false,
  };
}

/** The `execute-api` ARN of the `$connect` route, as an authorizer's `methodArn`. */
export function connectMethodArn(api: WebSocketApiInfo): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/$connect`;
}

/** The input of a `$connect` REQUEST authorizer. */
export function authorizerEvent(
  conn: ConnectionInfo,
  api: WebSocketApiInfo,
  handshake: HandshakeInfo,
  now = Date.now(),
): WebSocketAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: connectMethodArn(api),
    ...forwardedHeaders(handshake, conn, true, now),
    ...queryMaps(handshake.rawQuery),
    stageVariables: {},
    requestContext: requestContext(conn, api, '$connect', 'CONNECT', now),
  };
}
