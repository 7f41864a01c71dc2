/** API Gateway WebSocket events as Lambda receives them, for tests (shapes from the AWS documentation). */

function requestContext(connectionId: string, eventType: string, routeKey: string): Record<string, unknown> {
  return {
    routeKey,
    eventType,
    messageDirection: 'IN',
    extendedRequestId: `ext-${connectionId}`,
    requestTime: '01/Jan/2026:00:00:00 +0000',
    stage: 'test',
    connectedAt: 1767225600000,
    requestTimeEpoch: 1767225600000,
    requestId: `req-${connectionId}`,
    domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
    connectionId,
    apiId: 'abc123',
  };
}

/** A `$connect` event with optional headers and query parameters. */
export function connectEvent(
  connectionId: string,
  options: { headers?: Record<string, string>; query?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com', 'Sec-WebSocket-Version': '13', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: options.query,
    requestContext: requestContext(connectionId, 'CONNECT', '$connect'),
    isBase64Encoded: false,
  };
}

/** A message event (`$default` unless a route key is given); bytes arrive base64-encoded. */
export function messageEvent(connectionId: string, body: string | Uint8Array, routeKey = '$default') {
  const binary = typeof body !== 'string';
  return {
    requestContext: { ...requestContext(connectionId, 'MESSAGE', routeKey), messageId: `msg-${connectionId}` },
    body: binary ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: binary,
  };
}

/** A `$disconnect` event. */
export function disconnectEvent(connectionId: string, statusCode = 1001, reason = 'Going away') {
  return {
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    requestContext: {
      ...requestContext(connectionId, 'DISCONNECT', '$disconnect'),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
    },
    isBase64Encoded: false,
  };
}
