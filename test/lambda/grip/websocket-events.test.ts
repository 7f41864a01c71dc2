import fc from 'fast-check';
import { InvalidValueError, WebSocketEventDecodeError } from '../../../lambda/core/errors';
import {
  decodeCloseContent,
  decodeWebSocketEvents,
  encodeCloseContent,
  encodeWebSocketEvents,
  MAX_WEBSOCKET_EVENTS_BYTES,
  type WebSocketEvent,
  type WebSocketEventType,
} from '../../../lambda/grip/websocket-events';

/** Bytes of a wire string written with one char per byte (`\x03\xf0`). */
const wire = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
/** A wire string of bytes, one char per byte. */
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const utf8 = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString('utf8') : undefined);
const summary = (events: WebSocketEvent[]) => events.map((e) => [e.type, utf8(e.content)]);

describe('decodeWebSocketEvents', () => {
  test('decodes every type, with and without content', () => {
    const events = decodeWebSocketEvents('OPEN\r\nTEXT 2\r\nhi\r\nPING\r\nPONG 1\r\nx\r\nCLOSE\r\nDISCONNECT\r\n');
    expect(summary(events)).toEqual([
      ['OPEN', undefined],
      ['TEXT', 'hi'],
      ['PING', undefined],
      ['PONG', 'x'],
      ['CLOSE', undefined],
      ['DISCONNECT', undefined],
    ]);
  });

  test('decodes an empty body as no events (keep-alive request)', () => {
    expect(decodeWebSocketEvents('')).toEqual([]);
    expect(decodeWebSocketEvents(new Uint8Array(0))).toEqual([]);
  });

  test('decodes Pushpin lowercase hex sizes: TEXT b', () => {
    expect(summary(decodeWebSocketEvents('TEXT b\r\n[foo][hello\r\n'))).toEqual([['TEXT', '[foo][hello']]);
  });

  test('decodes uppercase hex sizes (#9): TEXT B', () => {
    expect(summary(decodeWebSocketEvents('TEXT B\r\nhello world\r\n'))).toEqual([['TEXT', 'hello world']]);
  });

  test('decodes content on an event that needs none (#8): OPEN 0', () => {
    const [open] = decodeWebSocketEvents('OPEN 0\r\n\r\n');
    expect(open.type).toBe('OPEN');
    expect(open.content).toEqual(new Uint8Array(0));
  });

  test('sizes count bytes, not characters (#10)', () => {
    expect(summary(decodeWebSocketEvents('TEXT 6\r\nhéllo\r\n'))).toEqual([['TEXT', 'héllo']]);
    expect(summary(decodeWebSocketEvents(Buffer.from('TEXT 6\r\nhéllo\r\n')))).toEqual([['TEXT', 'héllo']]);
    expect(() => decodeWebSocketEvents('TEXT 5\r\nhéllo\r\n')).toThrow(/expected CRLF after the 5-byte content/);
  });

  test('content may contain CRLF (length-delimited)', () => {
    expect(summary(decodeWebSocketEvents('TEXT 7\r\na\r\nb\r\nc\r\n'))).toEqual([['TEXT', 'a\r\nb\r\nc']]);
  });

  test('keeps binary bytes intact', () => {
    const [close] = decodeWebSocketEvents(wire('CLOSE 5\r\n\x03\xe8bye\r\n'));
    expect(Array.from(close.content!)).toEqual([0x03, 0xe8, 0x62, 0x79, 0x65]);
  });

  test('contents are views into the input, not copies (single pass)', () => {
    const body = wire('TEXT 2\r\nhi\r\nBINARY 3\r\n\x00\x01\x02\r\n');
    const events = decodeWebSocketEvents(body);
    for (const e of events) expect(e.content!.buffer).toBe(body.buffer);
    expect(events[1].content!.byteOffset).toBe(22);
  });

  test('contents of a Buffer input are plain Uint8Array views of the same memory', () => {
    const body = Buffer.from('TEXT 2\r\nhi\r\n');
    const [event] = decodeWebSocketEvents(body);
    expect(Object.getPrototypeOf(event.content)).toBe(Uint8Array.prototype);
    expect(event.content!.buffer).toBe(body.buffer);
    expect(event.content!.byteOffset).toBe(body.byteOffset + 8);
  });

  test('decodes a body of exactly MAX_WEBSOCKET_EVENTS_BYTES, made of many events (#11)', () => {
    const count = 66_666; // 66,666 events of 15 bytes, then a 10-byte OPEN 0
    const body = Buffer.from(`${'TEXT 5\r\nhello\r\n'.repeat(count)}OPEN 0\r\n\r\n`);
    expect(body.length).toBe(MAX_WEBSOCKET_EVENTS_BYTES);
    const events = decodeWebSocketEvents(body);
    expect(events).toHaveLength(count + 1);
    expect(events[count].type).toBe('OPEN');
    expect(utf8(events[count - 2].content)).toBe('hello');
  });

  describe('rejects, naming the position and what was expected', () => {
    const cases: [string, string, RegExp][] = [
      [
        '#1 truncated content',
        'TEXT 5\r\nHel',
        /truncated content: TEXT event at byte 0 declares 5 bytes, only 3 remain/,
      ],
      [
        '#2 no CRLF after content',
        'TEXT 5\r\nHello',
        /expected CRLF after the 5-byte content .* at byte 13, found the end/,
      ],
      ['#3 bytes after content skipped', 'TEXT 5\r\nHelloXXOPEN\r\n', /at byte 13, found "XXOPEN\\r\\n"/],
      ['#4 non-hex size', 'TEXT zz\r\nHello\r\nOPEN\r\n', /expected a hexadecimal size after "TEXT " at byte 5/],
      ['#5 negative size', 'TEXT -1\r\nHello\r\n', /expected a hexadecimal size after "TEXT " at byte 5, found "-1/],
      ['#6 0x prefix', 'TEXT 0x5\r\nHello\r\n', /expected CRLF after the size of TEXT event at byte 6, found "x5/],
      ['#6 trailing garbage in size', 'TEXT 5zz\r\nHello\r\n', /expected CRLF after the size of TEXT event at byte 6/],
      ['#6 space-padded size', 'TEXT  2\r\nhi\r\n', /expected a hexadecimal size after "TEXT " at byte 5, found " 2/],
      ['#6 lowercase type', 'text 2\r\nhi\r\n', /unknown event type "text" at byte 0: expected one of OPEN, TEXT/],
      ['unknown type', 'OPEN\r\nHELLO\r\n', /unknown event type "HELLO" at byte 6/],
      ['#7 CR without LF', 'OPEN\r', /expected CRLF after event type OPEN at byte 4, found "\\r"/],
      ['#7 LF without CR', 'OPEN\n', /expected a space and a hex size, or CRLF, after event type OPEN at byte 4/],
      ['type without line end', 'OPEN', /event type OPEN at byte 0 is not followed by CRLF/],
      ['empty size', 'TEXT \r\n\r\n', /expected a hexadecimal size after "TEXT " at byte 5, found "\\r\\n\\r\\n"/],
      [
        'no type',
        '\r\nOPEN\r\n',
        /expected an event type \(OPEN, TEXT, BINARY, PING, PONG, CLOSE, DISCONNECT\) at byte 0/,
      ],
      ['over-long size', 'TEXT 000000005\r\nHello\r\n', /has 9 digits: at most 8 allowed/],
      ['size beyond the body', 'TEXT ffffffff\r\nHello\r\n', /declares 4294967295 bytes, only 7 remain/],
      ['size line without LF', 'TEXT 5\rHello\r\n', /expected CRLF after the size of TEXT event at byte 6/],
      ['content followed by CR only', 'TEXT 2\r\nhi\rOPEN\r\n', /CRLF after the 2-byte content .* at byte 10/],
    ];
    test.each(cases)('%s: %j', (_name, body, message) => {
      expect(() => decodeWebSocketEvents(body)).toThrow(WebSocketEventDecodeError);
      expect(() => decodeWebSocketEvents(body)).toThrow(message);
    });

    test('a body over MAX_WEBSOCKET_EVENTS_BYTES, as bytes or as a string', () => {
      const bytes = new Uint8Array(MAX_WEBSOCKET_EVENTS_BYTES + 1);
      expect(() => decodeWebSocketEvents(bytes)).toThrow(/body of 1000001 bytes is over the 1000000-byte limit/);
      const multiByte = `TEXT 1\r\n${'é'.repeat(MAX_WEBSOCKET_EVENTS_BYTES / 2)}\r\n`; // fewer chars than bytes
      expect(() => decodeWebSocketEvents(multiByte)).toThrow(/over the 1000000-byte limit/);
    });

    test('never a wrong event: an error anywhere rejects the whole body', () => {
      expect(() => decodeWebSocketEvents('OPEN\r\nTEXT 2\r\nhi\r\nTEXT 9\r\nshort\r\n')).toThrow(/truncated/);
    });
  });

  test('fuzz: random bodies decode or throw WebSocketEventDecodeError, and what decodes re-encodes the same', () => {
    const token = fc.constantFrom(
      'OPEN',
      'TEXT',
      'PING',
      'CLOSE',
      'text',
      ' ',
      '\r',
      '\n',
      '\r\n',
      '0',
      '5',
      'b',
      'x',
      'é',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const body = tokens.join('');
        let events: WebSocketEvent[];
        try {
          events = decodeWebSocketEvents(body);
        } catch (error) {
          expect(error).toBeInstanceOf(WebSocketEventDecodeError);
          return;
        }
        expect(decodeWebSocketEvents(encodeWebSocketEvents(events))).toEqual(events);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('encodeWebSocketEvents', () => {
  test('writes the exact wire format with lowercase hex byte sizes', () => {
    const body = encodeWebSocketEvents([
      { type: 'OPEN' },
      { type: 'TEXT', content: 'hello world' },
      { type: 'TEXT', content: 'é' },
      { type: 'BINARY', content: new Uint8Array([0, 255]) },
      { type: 'TEXT', content: '' },
      { type: 'CLOSE', content: encodeCloseContent(1000, 'bye') },
    ]);
    expect(latin1(body)).toBe(
      'OPEN\r\nTEXT b\r\nhello world\r\nTEXT 2\r\n\xc3\xa9\r\nBINARY 2\r\n\x00\xff\r\nTEXT 0\r\n\r\nCLOSE 5\r\n\x03\xe8bye\r\n',
    );
  });

  test('sizes a lone surrogate as the 3 bytes of U+FFFD it is written as', () => {
    expect(latin1(encodeWebSocketEvents([{ type: 'TEXT', content: '\ud800' }]))).toBe('TEXT 3\r\n\xef\xbf\xbd\r\n');
  });

  test('encodes nothing as an empty body', () => {
    expect(encodeWebSocketEvents([])).toEqual(new Uint8Array(0));
  });

  test('refuses an unknown type or content', () => {
    const bogus = [{ type: 'HELLO' as WebSocketEventType }];
    expect(() => encodeWebSocketEvents(bogus)).toThrow(InvalidValueError);
    const badContent = [{ type: 'TEXT' as const, content: 42 as unknown as string }];
    expect(() => encodeWebSocketEvents(badContent)).toThrow(/must be a string or Uint8Array, got number/);
  });

  test('round trip: decode(encode(events)) gives the events back', () => {
    const type = fc.constantFrom<WebSocketEventType>('OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT');
    const event = fc.record(
      { type, content: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(undefined)) },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 10 }), (events) => {
        const decoded = decodeWebSocketEvents(encodeWebSocketEvents(events));
        expect(decoded.map((e) => [e.type, e.content && Array.from(e.content)])).toEqual(
          events.map((e) => [e.type, e.content && Array.from(e.content)]),
        );
      }),
    );
  });
});

describe('close content', () => {
  test('encodes a code as 2 big-endian bytes (#14): 1008 -> \\x03\\xf0', () => {
    expect(latin1(encodeCloseContent(1008))).toBe('\x03\xf0');
  });

  test('encodes a code and a UTF-8 reason', () => {
    expect(latin1(encodeCloseContent(4000, 'ciao ✓'))).toBe('\x0f\xa0ciao \xe2\x9c\x93');
  });

  test('refuses a code that does not fit in 2 bytes', () => {
    expect(() => encodeCloseContent(70000)).toThrow(InvalidValueError);
    expect(() => encodeCloseContent(1000.5)).toThrow(InvalidValueError);
  });

  test('decodes code and reason (#13: a reason does not hide the code)', () => {
    expect(decodeCloseContent(wire('\x03\xe8bye'))).toEqual({ code: 1000, reason: 'bye' });
    expect(decodeCloseContent(wire('\x03\xf0'))).toEqual({ code: 1008 });
    expect(decodeCloseContent(encodeCloseContent(4999, 'Zoë 🦊'))).toEqual({ code: 4999, reason: 'Zoë 🦊' });
  });

  test('decodes no content as no code', () => {
    expect(decodeCloseContent(undefined)).toEqual({});
    expect(decodeCloseContent(new Uint8Array(0))).toEqual({});
  });

  test('refuses a 1-byte payload', () => {
    expect(() => decodeCloseContent(wire('\x03'))).toThrow(WebSocketEventDecodeError);
  });
});
