import { isNativeEvent } from '../../../lambda/aws/event-kind';
import { TransportNotSupportedError } from '../../../lambda/core/errors';
import { readNativeEvent } from '../../../lambda/native/native-event';
import { connectEvent, disconnectEvent, messageEvent } from '../../helpers/native-events';

describe('isNativeEvent', () => {
  test('recognises $connect, message and $disconnect events', () => {
    expect(isNativeEvent(connectEvent('c1'))).toBe(true);
    expect(isNativeEvent(messageEvent('c1', 'hi'))).toBe(true);
    expect(isNativeEvent(disconnectEvent('c1'))).toBe(true);
  });

  test('refuses HTTP events, pending deliveries and junk', () => {
    const httpV2 = {
      version: '2.0',
      routeKey: '$default',
      requestContext: { http: { method: 'POST' }, requestId: 'r' },
    };
    const rest = { httpMethod: 'POST', path: '/', requestContext: { requestId: 'r', stage: 'prod' } };
    const noType = { requestContext: { connectionId: 'c1', routeKey: '$default' } };
    const badType = { requestContext: { connectionId: 'c1', eventType: 'PING' } };
    for (const event of [httpV2, rest, noType, badType, { faasGripDeliverPending: { connectionId: 'c' } }, null, 'x']) {
      expect(isNativeEvent(event)).toBe(false);
    }
  });
});

describe('readNativeEvent', () => {
  test('reads a $connect with lower-cased headers and the query', () => {
    const event = readNativeEvent(
      connectEvent('c1', { headers: { 'Sec-WebSocket-Protocol': 'chat, json' }, query: { token: 't' } }),
    );

    expect(event).toMatchObject({ type: 'CONNECT', connectionId: 'c1', routeKey: '$connect', stage: 'test' });
    expect(event.headers['sec-websocket-protocol']).toBe('chat, json');
    expect(event.query).toEqual({ token: 't' });
    expect(event.message).toBeUndefined();
  });

  test('reads a text message as UTF-8 bytes, with its custom route key', () => {
    const event = readNativeEvent(messageEvent('c1', 'héllo', 'sendmessage'));

    expect(event.type).toBe('MESSAGE');
    expect(event.routeKey).toBe('sendmessage');
    expect(event.message?.binary).toBe(false);
    expect(Buffer.from(event.message?.content ?? []).toString('utf8')).toBe('héllo');
  });

  test('reads a base64-encoded body as BINARY bytes', () => {
    const bytes = new Uint8Array([0, 159, 146, 150, 255]);

    const event = readNativeEvent(messageEvent('c1', bytes));

    expect(event.message?.binary).toBe(true);
    expect([...(event.message?.content ?? [])]).toEqual([...bytes]);
  });

  test('a message without a body is an empty text', () => {
    const event = readNativeEvent({ requestContext: { connectionId: 'c1', eventType: 'MESSAGE' } });

    expect(event.routeKey).toBe('$default');
    expect(event.message).toEqual({ binary: false, content: Buffer.alloc(0) });
  });

  test('reads the disconnect code and reason', () => {
    expect(readNativeEvent(disconnectEvent('c1', 1006, 'Connection lost')).disconnect).toEqual({
      statusCode: 1006,
      reason: 'Connection lost',
    });
  });

  test('fails on an event that is not from a WebSocket API', () => {
    expect(() => readNativeEvent({ httpMethod: 'GET' })).toThrow(TransportNotSupportedError);
    expect(() => readNativeEvent({ httpMethod: 'GET' })).toThrow(/route \$connect, \$default and \$disconnect/);
  });
});
