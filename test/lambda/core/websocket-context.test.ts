import {
  InvalidValueError,
  MetaError,
  OutputLimitError,
  TransportNotSupportedError,
  WebSocketStateError,
} from '../../../lambda/core/errors';
import { Transport, WebSocketContext } from '../../../lambda/core/websocket-context';
import { createGripFinisher } from '../../../lambda/grip/grip-response';
import { decodeWebSocketEvents } from '../../../lambda/grip/websocket-events';

/** A context over a literal request body. */
function context(
  body: string,
  options: { transport?: Transport; meta?: Record<string, string>; prefix?: string } = {},
) {
  return new WebSocketContext({
    id: 'conn-1',
    transport: options.transport ?? Transport.GRIP,
    meta: options.meta ?? {},
    events: decodeWebSocketEvents(Buffer.from(body, 'latin1')),
    prefix: options.prefix,
    finisher: createGripFinisher((response) => response),
  });
}

describe('Transport', () => {
  test('has GRIP and NATIVE, named', () => {
    expect(Transport.GRIP.name).toBe('grip');
    expect(String(Transport.NATIVE)).toBe('native');
  });
});

describe('handshake', () => {
  test('an OPEN request is opening and can be accepted', () => {
    const ws = context('OPEN\r\n');
    expect(ws.isOpening()).toBe(true);
    ws.accept();
    expect(ws.accepted).toBe(true);
  });

  test('accept() on a non-opening request throws at call time (#18)', () => {
    const ws = context('TEXT 2\r\nhi\r\n');
    expect(ws.isOpening()).toBe(false);
    expect(() => ws.accept()).toThrow(WebSocketStateError);
    expect(() => ws.accept()).toThrow(/only when isOpening\(\) is true/);
    expect(ws.accepted).toBe(false);
  });

  test('reject() records the status and body; default 403', () => {
    const ws = context('OPEN\r\n');
    ws.reject();
    expect(ws.rejection).toEqual({ status: 403 });
    const other = context('OPEN\r\n');
    other.reject(401, 'log in first');
    expect(other.rejection).toEqual({ status: 401, body: 'log in first' });
  });

  test('reject() refuses bad statuses and non-opening requests; accept and reject exclude each other', () => {
    expect(() => context('OPEN\r\n').reject(200)).toThrow(InvalidValueError);
    expect(() => context('TEXT 1\r\nx\r\n').reject()).toThrow(WebSocketStateError);
    const accepted = context('OPEN\r\n');
    accepted.accept();
    expect(() => accepted.reject()).toThrow(WebSocketStateError);
    const rejected = context('OPEN\r\n');
    rejected.reject();
    expect(() => rejected.accept()).toThrow(WebSocketStateError);
  });
});

describe('close()', () => {
  test('defaults to 1000 (#12)', () => {
    const ws = context('TEXT 1\r\nx\r\n');
    ws.close();
    expect(ws.closing).toEqual({ code: 1000 });
  });

  test.each([1000, 1001, 1008, 1011, 3000, 4999])('accepts code %d', (code) => {
    const ws = context('TEXT 1\r\nx\r\n');
    ws.close(code, 'why');
    expect(ws.closing).toEqual({ code, reason: 'why' });
  });

  test.each([0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5])('refuses code %d', (code) => {
    expect(() => context('TEXT 1\r\nx\r\n').close(code)).toThrow(InvalidValueError);
  });

  test('refuses the reserved 1004, showing the code, and stays open', () => {
    const ws = context('TEXT 1\r\nx\r\n');
    expect(() => ws.close(1004)).toThrow(/close code 1004 cannot be sent/);
    expect(ws.closing).toBeUndefined();
  });

  test('limits the reason to 123 UTF-8 bytes', () => {
    context('TEXT 1\r\nx\r\n').close(1000, 'x'.repeat(123));
    expect(() => context('TEXT 1\r\nx\r\n').close(1000, 'x'.repeat(124))).toThrow(/124 bytes in UTF-8/);
    expect(() => context('TEXT 1\r\nx\r\n').close(1000, 'é'.repeat(62))).toThrow(InvalidValueError);
  });

  test('refuses a second close and a close before accepting an opening request', () => {
    const ws = context('TEXT 1\r\nx\r\n');
    ws.close();
    expect(() => ws.close()).toThrow(WebSocketStateError);
    expect(() => context('OPEN\r\n').close()).toThrow(/accept\(\) first, or reject\(\)/);
  });
});

describe('reading', () => {
  test('recv() returns TEXT and BINARY as text, skipping PING/PONG', () => {
    const ws = context('PING\r\nTEXT 2\r\nhi\r\nPONG\r\nBINARY 3\r\nabc\r\n');
    expect(ws.canRecv()).toBe(true);
    expect(ws.recv()).toBe('hi');
    expect(ws.recv()).toBe('abc');
    expect(ws.canRecv()).toBe(false);
    expect(() => ws.recv()).toThrow(/no message left: check canRecv\(\) first/);
  });

  test('recv() keeps a leading byte order mark: the text is exactly what the peer sent', () => {
    expect(context('TEXT 5\r\n\xef\xbb\xbfhi\r\n').recv()).toBe('\ufeffhi');
  });

  test('recv() decodes BINARY as UTF-8 (lossy); recvRaw() keeps the bytes (#17)', () => {
    expect(context('BINARY 2\r\n\xff\xfe\r\n').recv()).toBe('\ufffd\ufffd');
    expect(Array.from(context('BINARY 2\r\n\xff\xfe\r\n').recvRaw()!)).toEqual([0xff, 0xfe]);
  });

  test('a TEXT without content reads as the empty string', () => {
    expect(context('TEXT\r\n').recv()).toBe('');
  });

  test('CLOSE reads as null, with the code and reason in peerClose (#13)', () => {
    const ws = context('TEXT 1\r\nx\r\nCLOSE 5\r\n\x03\xe8bye\r\n');
    expect(ws.peerClose).toEqual({ code: 1000, reason: 'bye' });
    expect(ws.recv()).toBe('x');
    expect(ws.recv()).toBeNull();
    expect(ws.canRecv()).toBe(false);
  });

  test('a bare CLOSE has no code', () => {
    expect(context('CLOSE\r\n').peerClose).toEqual({});
    expect(context('TEXT 1\r\nx\r\n').peerClose).toBeUndefined();
  });

  test('DISCONNECT is a normal event: recv() returns null, disconnected is true (#16)', () => {
    const ws = context('DISCONNECT\r\n');
    expect(ws.disconnected).toBe(true);
    const read: (string | null)[] = [];
    while (ws.canRecv()) read.push(ws.recv());
    expect(read).toEqual([null]);
  });

  test('a PING is answered with a PONG of the same payload without reading (#15)', () => {
    const ws = context('PING 4\r\nabcd\r\nPING\r\n');
    expect(ws.canRecv()).toBe(false);
    expect(ws.outgoing).toEqual([{ kind: 'pong', bytes: new Uint8Array(Buffer.from('abcd')) }, { kind: 'pong' }]);
  });

  test('no automatic PONG on the native transport', () => {
    expect(context('PING\r\n', { transport: Transport.NATIVE }).outgoing).toEqual([]);
  });
});

describe('sending', () => {
  test('records operations in call order, channels prefixed', () => {
    const ws = context('TEXT 1\r\nx\r\n', { prefix: 'app-' });
    ws.send('hi');
    ws.subscribe('room');
    ws.sendBinary(new Uint8Array([1]));
    ws.unsubscribe('room');
    ws.sendControl({ type: 'keep-alive' });
    ws.detach();
    ws.ping('p');
    ws.ping();
    expect(ws.outgoing).toEqual([
      { kind: 'text', text: 'hi' },
      { kind: 'subscribe', channel: 'app-room' },
      { kind: 'binary', bytes: new Uint8Array([1]) },
      { kind: 'unsubscribe', channel: 'app-room' },
      { kind: 'control', message: { type: 'keep-alive' } },
      { kind: 'control', message: { type: 'detach' } },
      { kind: 'ping', bytes: new Uint8Array([0x70]) },
      { kind: 'ping' },
    ]);
  });

  test.each(['', 'a,b', 'a;b', 'a"b', 'a\r\nb', 'a\u0000b'])('subscribe() refuses channel %j', (channel) => {
    const ws = context('TEXT 1\r\nx\r\n', { prefix: 'p-' });
    expect(() => ws.subscribe(channel)).toThrow(InvalidValueError);
    expect(() => ws.unsubscribe(channel)).toThrow(InvalidValueError);
  });

  test('refuses wrong argument types', () => {
    const ws = context('TEXT 1\r\nx\r\n');
    expect(() => ws.send(new Uint8Array(1) as unknown as string)).toThrow(/use sendBinary\(\) for bytes/);
    expect(() => ws.sendBinary('x' as unknown as Uint8Array)).toThrow(/use send\(\) for text/);
    expect(() => ws.ping(new Uint8Array(126))).toThrow(/at most 125 bytes/);
  });

  test('sendControl() refuses a message over 16 KiB at call time', () => {
    const ws = context('TEXT 1\r\nx\r\n');
    expect(() => ws.sendControl({ type: 'x', data: 'a'.repeat(16_384) })).toThrow(OutputLimitError);
    expect(ws.outgoing).toEqual([]);
  });

  test('GRIP-only methods throw TransportNotSupportedError on native, naming it and what to do', () => {
    const ws = context('TEXT 1\r\nx\r\n', { transport: Transport.NATIVE });
    expect(() => ws.sendControl({ type: 'detach' })).toThrow(TransportNotSupportedError);
    expect(() => ws.detach()).toThrow(/detach\(\) is not supported on the native transport: .*GRIP proxy/);
    expect(() => ws.ping()).toThrow(/ping\(\) is not supported on the native transport/);
    ws.send('still fine');
    ws.subscribe('room');
    expect(ws.outgoing).toHaveLength(2);
  });
});

describe('metaChanges()', () => {
  test('reports set, changed and removed names; unchanged ones are left out', () => {
    const ws = context('TEXT 1\r\nx\r\n', { meta: { user: 'alice', room: 'a', keep: 'k' } });
    ws.meta.room = 'b';
    delete ws.meta.user;
    ws.meta.Nick = 'Zoë';
    expect(ws.metaChanges()).toEqual({
      set: { room: 'b', nick: 'Zoë' },
      removed: ['user'],
      encoded: { room: 'b', nick: '=?utf-8?b?Wm/Dqw==?=' },
    });
  });

  test('meta received under a name we would not accept is kept, not refused', () => {
    const ws = context('TEXT 1\r\nx\r\n', { meta: { 'odd.name': 'v' } });
    ws.meta.user = 'alice';
    expect(ws.metaChanges()).toEqual({ set: { user: 'alice' }, removed: [], encoded: { user: 'alice' } });
    ws.meta['odd.name'] = 'changed';
    expect(() => ws.metaChanges()).toThrow(MetaError);
  });

  test('an undefined value counts as removed; a non-string throws MetaError', () => {
    const ws = context('TEXT 1\r\nx\r\n', { meta: { user: 'alice' } });
    (ws.meta as Record<string, unknown>).user = undefined;
    expect(ws.metaChanges()).toEqual({ set: {}, removed: ['user'], encoded: {} });
    (ws.meta as Record<string, unknown>).count = 1;
    expect(() => ws.metaChanges()).toThrow(MetaError);
  });
});
