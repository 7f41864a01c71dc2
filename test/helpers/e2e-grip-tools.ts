/**
 * Small tools for GRIP end-to-end tests: a raw WebSocket-over-HTTP backend written without the runtime (the
 * control experiments that show what Pushpin does with unprefixed messages and unanswered CLOSEs), a direct POST
 * to the front door that bypasses Pushpin.
 */
import { request } from 'node:http';
import type { WebSocketContext } from '../../lambda/core/websocket-context';
import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import { loadFresh } from './e2e-support';

/** The body of a Lambda proxy event (REST v1, HTTP API v2 and Function URL use the same two fields). */
function eventBody(event: { body?: string | null; isBase64Encoded?: boolean }): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('latin1') : event.body;
}

/**
 * A backend that speaks WebSocket-over-HTTP by hand: `answer(requestBody)` returns the response events as a
 * latin1 string (already framed), sent with `Sec-WebSocket-Extensions: grip` on the opening request.
 */
export function rawGripHandler(answer: (body: string) => string): LambdaHandler {
  return ((event: { body?: string | null; isBase64Encoded?: boolean }) => {
    const body = eventBody(event);
    const headers: Record<string, string> = { 'Content-Type': 'application/websocket-events' };
    if (body.startsWith('OPEN')) headers['Sec-WebSocket-Extensions'] = 'grip';
    return {
      statusCode: 200,
      headers,
      body: Buffer.from(answer(body), 'latin1').toString('base64'),
      isBase64Encoded: true,
    };
  }) as LambdaHandler;
}

/** One framed event: `TYPE <hex length>\r\n<content>\r\n` (content as latin1 bytes). */
export function frame(type: string, content?: string): string {
  return content === undefined ? `${type}\r\n` : `${type} ${content.length.toString(16)}\r\n${content}\r\n`;
}

/** `webSocketHandler(fn)` loaded fresh (so it reads the environment as it is now). */
export function freshWebSocketHandler(fn: (ws: WebSocketContext) => void | Promise<void>): LambdaHandler {
  const { webSocketHandler } = loadFresh(
    () => require('../../lambda/aws/websocket-handler') as typeof import('../../lambda/aws/websocket-handler'),
  );
  return webSocketHandler(fn) as unknown as LambdaHandler;
}

/** An answer to a direct request. */
export interface DirectAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** POSTs a WebSocket-over-HTTP request straight to `url` (bypassing Pushpin), as a forger would. */
export function postWebSocketEvents(url: string, body: string, headers: Record<string, string>): Promise<DirectAnswer> {
  const target = new URL(url);
  const payload = Buffer.from(body, 'latin1');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: {
          'Content-Type': 'application/websocket-events',
          Accept: 'application/websocket-events',
          'Content-Length': String(payload.length),
          'Connection-Id': 'e2e-direct-1',
          ...headers,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
