import * as apigateway from 'aws-cdk-lib/aws-apigateway';

/**
 * The access log line of a WebSocket stage, as JSON (one object per connect, message and disconnect): who
 * (connection, source IP), what (event type, route, message id), how it ended (status, integration status and
 * error, API Gateway's error message) and when.
 */
export function webSocketAccessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      connectionId: '$context.connectionId',
      sourceIp: '$context.identity.sourceIp',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      messageId: '$context.messageId',
      status: '$context.status',
      integrationStatus: '$context.integration.status',
      integrationError: '$context.integration.error',
      error: '$context.error.message',
    }),
  );
}
