import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EventVersion,
  getGripWebSocketContext,
  type HttpRequest,
  isWebSocketOverHttp,
  parseHttpEvent,
  toHttpResult,
} from '../../../lambda/aws/http-event';
import { InvalidValueError, NotWebSocketOverHttpError } from '../../../lambda/core/errors';
import { Transport } from '../../../lambda/core/websocket-context';

/** An AWS-documented sample event from test/fixtures/http-events (see its README). */
function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/http-events', `${name}.json`), 'utf8'));
}
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('parseHttpEvent on the AWS sample events', () => {
  test('REST API (payload 1.0): method, path, lower-case headers, multi-value query, base64 body', () => {
    const req = parseHttpEvent(fixture('rest-v1-proxy-event'));
    expect(req.version).toBe(EventVersion.REST_V1);
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hello/world');
    expect(req.headers['content-type']).toBe('application/websocket-events');
    expect(req.headers['connection-id']).toBe('9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f');
    expect(req.headers['x-forwarded-for']).toBe('54.240.196.186, 54.182.214.83');
    expect(req.headers['']).toBeUndefined();
    expect(Object.keys(req.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(req.query).toEqual({ name: 'me', multivalueName: 'you,me' });
    expect(text(req.body)).toBe('OPEN\r\n');
    expect(isWebSocketOverHttp(req)).toBe(true);
  });

  test('HTTP API (payload 2.0): method from requestContext.http, cookies, capitalized header names (#24)', () => {
    const req = parseHttpEvent(fixture('http-api-v2-event'));
    expect(req.version).toBe(EventVersion.HTTP_V2);
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/my/path');
    expect(req.headers.header2).toBe('value1,value2');
    expect(req.headers.cookie).toBe('cookie1; cookie2');
    expect(req.query).toEqual({ parameter1: 'value1,value2', parameter2: 'value' });
    expect(text(req.body)).toBe('TEXT 5\r\nhello\r\nCLOSE 5\r\n\x03\xe8bye\r\n');
    expect(isWebSocketOverHttp(req)).toBe(true);
  });

  test('function URL: detected by its lambda-url domain; body null is an empty body (#22)', () => {
    const req = parseHttpEvent(fixture('function-url-event'));
    expect(req.version).toBe(EventVersion.FUNCTION_URL);
    expect(req.method).toBe('POST');
    expect(req.body).toEqual(new Uint8Array(0));
    expect(req.headers['connection-id']).toBe('conn-url');
    expect(isWebSocketOverHttp(req)).toBe(true);
  });
});

describe('parseHttpEvent edge cases', () => {
  const base = { httpMethod: 'post', path: '/', headers: null, body: null, isBase64Encoded: false };

  test('headers null and no query give empty maps (#25)', () => {
    const req = parseHttpEvent(base);
    expect(req.method).toBe('POST');
    expect(req.headers).toEqual({});
    expect(req.query).toEqual({});
    expect(req.body).toEqual(new Uint8Array(0));
  });

  test('a plain-text body (REST API without binary media types) is UTF-8 encoded (#23)', () => {
    const req = parseHttpEvent({ ...base, body: 'TEXT 2\r\né\r\n' });
    expect(Array.from(req.body)).toEqual([...Buffer.from('TEXT 2\r\né\r\n')]);
  });

  test('multi-value headers win over single-value ones and join with commas', () => {
    const req = parseHttpEvent({
      ...base,
      headers: { 'X-A': '2', 'X-B': 'b' },
      multiValueHeaders: { 'X-A': ['1', '2'] },
    });
    expect(req.headers).toEqual({ 'x-a': '1,2', 'x-b': 'b' });
  });

  test.each([null, undefined, 'event', [], {}, { requestContext: { eventType: 'CONNECT', routeKey: '$connect' } }])(
    'refuses %j with NotWebSocketOverHttpError saying what was expected',
    (event) => {
      expect(() => parseHttpEvent(event)).toThrow(NotWebSocketOverHttpError);
      expect(() => parseHttpEvent(event)).toThrow(/expected an API Gateway REST API event \(httpMethod\)/);
    },
  );

  test('refuses a body that is not a string', () => {
    expect(() => parseHttpEvent({ ...base, body: { a: 1 } })).toThrow(NotWebSocketOverHttpError);
  });
});

describe('isWebSocketOverHttp', () => {
  const request = (headers: Record<string, string>, method = 'POST'): HttpRequest => ({
    version: EventVersion.HTTP_V2,
    method,
    path: '/',
    headers,
    query: {},
    body: new Uint8Array(0),
  });
  const woh = { 'content-type': 'application/websocket-events', 'connection-id': 'c1' };

  test('accepts only the exact Content-Type the proxies send: no other case, parameters or spaces', () => {
    expect(isWebSocketOverHttp(request(woh))).toBe(true);
    for (const contentType of [
      'application/websocket-events ; x=y',
      'application/websocket-events; charset=utf-8',
      'application/websocket-events;',
      ' application/websocket-events',
      'application/websocket-events ',
      'Application/WebSocket-Events',
      'APPLICATION/WEBSOCKET-EVENTS',
      'application/websocket-events,application/websocket-events',
    ]) {
      expect({ contentType, accepted: isWebSocketOverHttp(request({ ...woh, 'content-type': contentType })) }).toEqual({
        contentType,
        accepted: false,
      });
    }
  });

  test('needs POST, the content type and a Connection-Id', () => {
    expect(isWebSocketOverHttp(request(woh, 'GET'))).toBe(false);
    expect(isWebSocketOverHttp(request({ ...woh, 'content-type': 'text/plain' }))).toBe(false);
    expect(isWebSocketOverHttp(request({ 'content-type': 'application/websocket-events' }))).toBe(false);
  });

  test('getGripWebSocketContext says everything that is missing', () => {
    expect(() => getGripWebSocketContext(request({}, 'GET'))).toThrow(
      'not a WebSocket-over-HTTP request: method is GET, expected POST; Content-Type is missing, ' +
        'expected exactly application/websocket-events (as the proxy sends it); Connection-Id header is missing',
    );
  });
});

describe('getGripWebSocketContext', () => {
  test('builds the context: id, decoded meta and events, prefix', () => {
    const ws = getGripWebSocketContext(parseHttpEvent(fixture('http-api-v2-event')), { prefix: 'app-' });
    expect(ws.id).toBe('conn-v2');
    expect(ws.transport).toBe(Transport.GRIP);
    expect(ws.meta).toEqual({ user: 'Zoë' });
    expect(ws.recv()).toBe('hello');
    expect(ws.recv()).toBeNull();
    expect(ws.peerClose).toEqual({ code: 1000, reason: 'bye' });
    ws.subscribe('room');
    expect(ws.outgoing).toEqual([{ kind: 'subscribe', channel: 'app-room' }]);
  });

  test('an empty keep-alive request has no events', () => {
    const ws = getGripWebSocketContext(parseHttpEvent(fixture('function-url-event')));
    expect(ws.inbound).toEqual([]);
    expect(ws.canRecv()).toBe(false);
  });
});

describe('toHttpResult', () => {
  test('bytes are base64-encoded, strings are not', () => {
    expect(toHttpResult(EventVersion.REST_V1, { statusCode: 200, body: new Uint8Array([0, 255]) })).toEqual({
      statusCode: 200,
      headers: {},
      body: 'AP8=',
      isBase64Encoded: true,
    });
    expect(toHttpResult(EventVersion.HTTP_V2, { statusCode: 403, headers: { a: 'b' }, body: 'no' })).toEqual({
      statusCode: 403,
      headers: { a: 'b' },
      body: 'no',
      isBase64Encoded: false,
    });
  });

  test('encodes only the bytes of a view', () => {
    const view = new Uint8Array([9, 1, 2, 9]).subarray(1, 3);
    expect(toHttpResult(EventVersion.FUNCTION_URL, { statusCode: 200, body: view }).body).toBe('AQI=');
  });

  test('refuses CR or LF in a header', () => {
    expect(() => toHttpResult(EventVersion.HTTP_V2, { statusCode: 200, headers: { a: 'b\r\nc: d' } })).toThrow(
      InvalidValueError,
    );
  });
});
