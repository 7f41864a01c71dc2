import { InvalidValueError, OutputLimitError } from '../../../lambda/core/errors';
import {
  detachMessage,
  encodeControlMessage,
  keepAliveMessage,
  MAX_CONTROL_MESSAGE_BYTES,
  sessionMessage,
  setMetaMessage,
  subscribeMessage,
  unsubscribeMessage,
  validateChannel,
} from '../../../lambda/grip/control-message';

describe('control message builders', () => {
  test('subscribe and unsubscribe', () => {
    expect(encodeControlMessage(subscribeMessage('room'))).toBe('c:{"type":"subscribe","channel":"room"}');
    expect(encodeControlMessage(subscribeMessage('room', ['skip-self']))).toBe(
      'c:{"type":"subscribe","channel":"room","filters":["skip-self"]}',
    );
    expect(encodeControlMessage(unsubscribeMessage('room'))).toBe('c:{"type":"unsubscribe","channel":"room"}');
  });

  test('subscribe refuses bad filters', () => {
    expect(() => subscribeMessage('room', [''])).toThrow(InvalidValueError);
  });

  test('detach, session, set-meta', () => {
    expect(encodeControlMessage(detachMessage())).toBe('c:{"type":"detach"}');
    expect(encodeControlMessage(sessionMessage('s1'))).toBe('c:{"type":"session","id":"s1"}');
    expect(setMetaMessage('user', 'alice')).toEqual({ type: 'set-meta', name: 'user', value: 'alice' });
    expect(setMetaMessage('user')).toEqual({ type: 'set-meta', name: 'user' });
    expect(() => setMetaMessage('')).toThrow(InvalidValueError);
    expect(() => sessionMessage('')).toThrow(InvalidValueError);
  });

  test('keep-alive with text, with bytes, and off', () => {
    expect(keepAliveMessage({ content: '{}', timeout: 30, mode: 'interval' })).toEqual({
      type: 'keep-alive',
      content: '{}',
      timeout: 30,
      mode: 'interval',
    });
    expect(keepAliveMessage({ content: new Uint8Array([0, 255]), messageType: 'ping' })).toEqual({
      type: 'keep-alive',
      'content-bin': 'AP8=',
      'message-type': 'ping',
    });
    expect(keepAliveMessage()).toEqual({ type: 'keep-alive' });
  });

  test('keep-alive refuses bad options', () => {
    expect(() => keepAliveMessage({ content: 'x', timeout: -1 })).toThrow(/whole number of seconds >= 0, got -1/);
    expect(() => keepAliveMessage({ content: 'x', timeout: 1.5 })).toThrow(InvalidValueError);
    expect(() => keepAliveMessage({ messageType: 'close' as 'text' })).toThrow(InvalidValueError);
    expect(() => keepAliveMessage({ mode: 'always' as 'idle' })).toThrow(InvalidValueError);
  });
});

describe('validateChannel', () => {
  test.each(['room', 'a:b/c.d', 'Zoë 🦊', 'x'.repeat(500)])('accepts %j', (name) => {
    expect(validateChannel(name)).toBe(name);
  });

  test.each(['', 'a,b', 'a;b', 'a"b', 'a\r\nb', 'a\nb', 'a\tb', 'a\u0000b', 'a\u007fb'])('refuses %j', (name) => {
    expect(() => validateChannel(name)).toThrow(InvalidValueError);
  });

  test('names the bad character and its position', () => {
    expect(() => validateChannel('room;prev-id=1')).toThrow(/channel name "room;prev-id=1" contains ";" at index 4/);
  });

  test('refuses non-strings', () => {
    expect(() => validateChannel(42)).toThrow(/non-empty string, got 42/);
  });
});

describe('encodeControlMessage', () => {
  test('needs a string type', () => {
    expect(() => encodeControlMessage({ channel: 'x' })).toThrow(/needs a string "type"/);
  });

  test('refuses values JSON cannot carry', () => {
    expect(() => encodeControlMessage({ type: 'x', n: 1n })).toThrow(InvalidValueError);
  });

  test('accepts exactly MAX_CONTROL_MESSAGE_BYTES and refuses one byte more (16 KiB frame)', () => {
    const overhead = encodeControlMessage({ type: 'x', d: '' }).length;
    const fits = { type: 'x', d: 'a'.repeat(MAX_CONTROL_MESSAGE_BYTES - overhead) };
    expect(Buffer.byteLength(encodeControlMessage(fits))).toBe(16_384);
    const tooBig = { type: 'x', d: 'a'.repeat(MAX_CONTROL_MESSAGE_BYTES - overhead + 1) };
    expect(() => encodeControlMessage(tooBig)).toThrow(OutputLimitError);
    expect(() => encodeControlMessage(tooBig)).toThrow(/"x" is 16385 bytes, over the 16384-byte limit/);
  });

  test('counts UTF-8 bytes, not characters', () => {
    const overhead = encodeControlMessage({ type: 'x', d: '' }).length;
    const chars = Math.ceil((MAX_CONTROL_MESSAGE_BYTES - overhead) / 2);
    expect(() => encodeControlMessage({ type: 'x', d: 'é'.repeat(chars + 1) })).toThrow(OutputLimitError);
  });
});
