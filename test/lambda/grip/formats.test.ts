import { InvalidValueError } from '../../../lambda/core/errors';
import { HttpResponseFormat, HttpStreamFormat, WebSocketMessageFormat } from '../../../lambda/grip/formats';

describe('WebSocketMessageFormat', () => {
  test('exports text, binary and close as Pushpin reads them', () => {
    expect(new WebSocketMessageFormat('hi').name).toBe('ws-message');
    expect(new WebSocketMessageFormat('hi').export()).toEqual({ content: 'hi' });
    expect(new WebSocketMessageFormat(new Uint8Array([0, 255])).export()).toEqual({ 'content-bin': 'AP8=' });
    expect(WebSocketMessageFormat.close().export()).toEqual({ action: 'close', code: 1000 });
    expect(WebSocketMessageFormat.close(4001, 'bye').export()).toEqual({ action: 'close', code: 4001, reason: 'bye' });
  });

  test('refuses invalid close codes and long reasons', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5]) {
      expect(() => WebSocketMessageFormat.close(code)).toThrow(InvalidValueError);
    }
    expect(() => WebSocketMessageFormat.close(1004)).toThrow(/close code 1004 cannot be sent/);
    expect(() => WebSocketMessageFormat.close(1000, 'é'.repeat(62))).toThrow(/124 bytes/);
  });
});

describe('HttpStreamFormat', () => {
  test('exports content, bytes and close', () => {
    expect(new HttpStreamFormat('data\n').name).toBe('http-stream');
    expect(new HttpStreamFormat('data\n').export()).toEqual({ content: 'data\n' });
    expect(new HttpStreamFormat(Buffer.from('x')).export()).toEqual({ 'content-bin': 'eA==' });
    expect(HttpStreamFormat.close().export()).toEqual({ action: 'close' });
  });
});

describe('HttpResponseFormat', () => {
  test('always exports a body and a numeric code', () => {
    expect(new HttpResponseFormat().name).toBe('http-response');
    expect(new HttpResponseFormat().export()).toEqual({ code: 200, body: '' });
    expect(new HttpResponseFormat({ code: 204 }).export()).toEqual({ code: 204, body: '' });
    expect(new HttpResponseFormat('some data\n').export()).toEqual({ code: 200, body: 'some data\n' });
    expect(new HttpResponseFormat({ code: '204' as unknown as number }).export()).toEqual({ code: 204, body: '' });
  });

  test('exports reason, headers and binary bodies', () => {
    const format = new HttpResponseFormat({
      code: 201,
      reason: 'Created',
      headers: { 'Content-Type': 'text/plain' },
      body: new Uint8Array([1, 2]),
    });

    expect(format.export()).toEqual({
      code: 201,
      reason: 'Created',
      headers: { 'Content-Type': 'text/plain' },
      'body-bin': 'AQI=',
    });
  });

  test('refuses codes and headers that would corrupt the response', () => {
    expect(() => new HttpResponseFormat({ code: 42 })).toThrow(InvalidValueError);
    expect(() => new HttpResponseFormat({ code: 'abc' as unknown as number })).toThrow(/code abc/);
    expect(() => new HttpResponseFormat({ headers: { 'X-A': 'a\r\nSet-Cookie: x=1' } })).toThrow(/CR, LF/);
    expect(() => new HttpResponseFormat({ headers: { 'Bad Name': 'x' } })).toThrow(/header name/);
    expect(() => new HttpResponseFormat({ reason: 'OK\n' })).toThrow(InvalidValueError);
  });
});
