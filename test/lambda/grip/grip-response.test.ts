import { getGripWebSocketContext, type HttpResult, parseHttpEvent } from '../../../lambda/aws/http-event';
import { MetaError, OutputLimitError } from '../../../lambda/core/errors';
import type { WebSocketContext } from '../../../lambda/core/websocket-context';
import { buildGripResponse } from '../../../lambda/grip/grip-response';

/** A WebSocket-over-HTTP request as an HTTP API v2 event, body given as a wire string (one char per byte). */
function request(body: string, headers: Record<string, string> = {}, version = '2.0'): WebSocketContext {
  const base64 = Buffer.from(body, 'latin1').toString('base64');
  const allHeaders = { 'content-type': 'application/websocket-events', 'connection-id': 'c1', ...headers };
  const event =
    version === '2.0'
      ? { version, requestContext: { http: { method: 'POST' } }, headers: allHeaders, body: base64 }
      : { httpMethod: 'POST', path: '/', headers: allHeaders, body: base64 };
  return getGripWebSocketContext(parseHttpEvent({ ...event, isBase64Encoded: true }));
}

/** The result's body as a wire string. */
function wire(result: unknown): string {
  const r = result as HttpResult;
  expect(r.isBase64Encoded).toBe(true);
  return Buffer.from(r.body, 'base64').toString('latin1');
}

const EVENTS_HEADERS = { 'Content-Type': 'application/websocket-events' };

describe('accepting', () => {
  test('accept + subscribe + send: OPEN first, c: control, m: message, grip extension', () => {
    const ws = request('OPEN\r\n');
    ws.accept();
    ws.subscribe('room');
    ws.send('hi');
    const result = ws.toResponse() as HttpResult;
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ ...EVENTS_HEADERS, 'Sec-WebSocket-Extensions': 'grip' });
    expect(wire(result)).toBe('OPEN\r\nTEXT 27\r\nc:{"type":"subscribe","channel":"room"}\r\nTEXT 4\r\nm:hi\r\n');
  });

  test('the response Content-Type has no parameters (#26)', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    expect((ws.toResponse() as HttpResult).headers['Content-Type']).toBe('application/websocket-events');
  });

  test('the result has the shape of a REST API event too', async () => {
    const ws = request('OPEN\r\n', {}, '1.0');
    ws.accept();
    const result = await ws.finish();
    expect(result).toEqual(ws.toResponse());
    expect(wire(result)).toBe('OPEN\r\n');
  });
});

describe('refusing', () => {
  test('reject(): the status and a text/plain body, so the proxy relays a handshake refusal', () => {
    const ws = request('OPEN\r\n');
    ws.reject(401, 'log in first');
    expect(ws.toResponse()).toEqual({
      statusCode: 401,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: 'log in first',
      isBase64Encoded: false,
    });
  });

  test('an opening request neither accepted nor rejected is refused with 403', () => {
    const ws = request('OPEN\r\n');
    ws.send('ignored');
    const result = ws.toResponse() as HttpResult;
    expect(result.statusCode).toBe(403);
    expect(result.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(result.body).toMatch(/did not accept/);
  });
});

describe('messages', () => {
  test('text is UTF-8 with m:, binary is BINARY with m:', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.send('é');
    ws.sendBinary(new Uint8Array([0, 255]));
    const result = ws.toResponse() as HttpResult;
    expect(result.headers).toEqual(EVENTS_HEADERS);
    expect(wire(result)).toBe('TEXT 4\r\nm:\xc3\xa9\r\nBINARY 4\r\nm:\x00\xff\r\n');
  });

  test('control messages, detach, unsubscribe and ping', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.unsubscribe('room');
    ws.sendControl({ type: 'keep-alive', content: 'ka', timeout: 30 });
    ws.detach();
    ws.ping('p');
    expect(wire(ws.toResponse())).toBe(
      'TEXT 29\r\nc:{"type":"unsubscribe","channel":"room"}\r\n' +
        'TEXT 33\r\nc:{"type":"keep-alive","content":"ka","timeout":30}\r\n' +
        'TEXT 13\r\nc:{"type":"detach"}\r\nPING 1\r\np\r\n',
    );
  });

  test('a PING-only request is answered with a PONG of the same payload (#15)', () => {
    expect(wire(request('PING 4\r\nabcd\r\n').toResponse())).toBe('PONG 4\r\nabcd\r\n');
    expect(wire(request('PING\r\n').toResponse())).toBe('PONG\r\n');
  });

  test('an empty keep-alive request gets an empty 200 events response (#22)', () => {
    const result = request('').toResponse() as HttpResult;
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual(EVENTS_HEADERS);
    expect(wire(result)).toBe('');
  });

  test('a body over 1,000,000 bytes throws OutputLimitError', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.send('x'.repeat(999_980)); // TEXT f422e CRLF (12) + 999,982 content bytes + CRLF (2)
    expect(wire(ws.toResponse()).length).toBe(999_996);
    ws.send('y'.repeat(10));
    expect(() => ws.toResponse()).toThrow(OutputLimitError);
    expect(() => ws.toResponse()).toThrow(/1000018 bytes, over the proxy's 1000000-byte limit/);
  });
});

describe('closing', () => {
  test('close(1008) -> CLOSE 2 \\x03\\xf0 (#14)', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.close(1008);
    expect(wire(ws.toResponse())).toBe('CLOSE 2\r\n\x03\xf0\r\n');
  });

  test('close() defaults to 1000, not 0 (#12)', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.close();
    expect(wire(ws.toResponse())).toBe('CLOSE 2\r\n\x03\xe8\r\n');
  });

  test('close with a reason, after accept, comes last', () => {
    const ws = request('OPEN\r\n');
    ws.accept();
    ws.close(4000, 'bye');
    ws.send('last words');
    expect(wire(ws.toResponse())).toBe('OPEN\r\nTEXT c\r\nm:last words\r\nCLOSE 5\r\n\x0f\xa0bye\r\n');
  });

  test("the peer's CLOSE is echoed with its code and reason when the handler did not close", () => {
    const ws = request('CLOSE 5\r\n\x03\xe9bye\r\n');
    expect(ws.recv()).toBeNull();
    expect(wire(ws.toResponse())).toBe('CLOSE 5\r\n\x03\xe9bye\r\n');
    expect(wire(request('CLOSE\r\n').toResponse())).toBe('CLOSE\r\n');
  });

  test("the handler's close() replaces the echo", () => {
    const ws = request('CLOSE 2\r\n\x03\xe9\r\n');
    ws.close(1000, 'ok');
    expect(wire(ws.toResponse())).toBe('CLOSE 4\r\n\x03\xe8ok\r\n');
  });

  test('no CLOSE after DISCONNECT (#16)', () => {
    const ws = request('DISCONNECT\r\n');
    while (ws.canRecv()) ws.recv();
    ws.unsubscribe('room');
    expect(wire(ws.toResponse())).toBe('TEXT 29\r\nc:{"type":"unsubscribe","channel":"room"}\r\n');
  });
});

describe('meta', () => {
  test('changed and removed meta become Set-Meta-* headers', () => {
    const ws = request('TEXT 1\r\nx\r\n', { 'meta-user': 'alice', 'meta-room': 'a' });
    ws.meta.room = 'b';
    delete ws.meta.user;
    expect((ws.toResponse() as HttpResult).headers).toEqual({
      ...EVENTS_HEADERS,
      'Set-Meta-room': 'b',
      'Set-Meta-user': '',
    });
  });

  test.each(['Zoë', '🦊', 'a\r\nInjected: yes', '=?utf-8?b?YQ==?=', ''])(
    'meta %j survives the round trip through the proxy, never breaking a header (#19)',
    (value) => {
      const first = request('TEXT 1\r\nx\r\n');
      first.meta.nick = value;
      const headers = (first.toResponse() as HttpResult).headers;
      const sent = headers['Set-Meta-nick'];
      expect(sent).toMatch(/^[\x20-\x7e]*$/); // printable ASCII only
      const next = request('TEXT 1\r\ny\r\n', { 'meta-nick': sent }); // the proxy sends it back as Meta-nick
      expect(next.meta.nick).toBe(value);
      expect(next.metaChanges()).toEqual({ set: {}, removed: [], encoded: {} });
    },
  );

  test('meta that cannot be carried throws MetaError', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.meta['bad name'] = 'x';
    expect(() => ws.toResponse()).toThrow(MetaError);
  });

  test('buildGripResponse gives the transport-neutral response', () => {
    const ws = request('TEXT 1\r\nx\r\n');
    ws.send('a');
    const response = buildGripResponse(ws);
    expect(response.statusCode).toBe(200);
    expect(Buffer.from(response.body as Uint8Array).toString('latin1')).toBe('TEXT 3\r\nm:a\r\n');
  });
});
