/**
 * Plain JavaScript callers pass anything: a format built from a wrong type raises InvalidValueError at construction,
 * instead of publishing an empty 200 or an empty message.
 */
import { InvalidValueError } from '../../../lambda/core/errors';
import { HttpResponseFormat, HttpStreamFormat, WebSocketMessageFormat } from '../../../lambda/grip/formats';

type AnyConstructor = new (init: unknown) => unknown;

const WRONG_CONTENT: ReadonlyArray<readonly [string, unknown]> = [
  ['a number', 1],
  ['a boolean', true],
  ['null', null],
  ['an array', ['hi']],
  ['a plain object', { text: 'hi' }],
  ['a function', () => 'hi'],
  ['a symbol', Symbol('hi')],
];

describe.each([
  ['WebSocketMessageFormat', WebSocketMessageFormat as unknown as AnyConstructor],
  ['HttpStreamFormat', HttpStreamFormat as unknown as AnyConstructor],
])('new %s(<wrong type>)', (_name, Format) => {
  test.each(WRONG_CONTENT)('%s throws InvalidValueError', (_what, value) => {
    expect(() => new Format(value)).toThrow(InvalidValueError);
  });

  test('undefined throws InvalidValueError', () => {
    expect(() => new Format(undefined)).toThrow(InvalidValueError);
  });
});

describe('new HttpResponseFormat(<wrong type>)', () => {
  const Format = HttpResponseFormat as unknown as AnyConstructor;

  test.each(WRONG_CONTENT.filter(([what]) => what !== 'a plain object'))(
    '%s throws InvalidValueError',
    (_what, value) => {
      expect(() => new Format(value)).toThrow(InvalidValueError);
    },
  );

  test.each([
    ['a numeric body', { body: 5 }],
    ['a null body', { body: null }],
    ['an object body', { body: { a: 1 } }],
    ['headers as a list', { headers: [['a', 'b']] }],
    ['headers as a string', { headers: 'X-A: b' }],
    ['a header value that is a number', { headers: { 'X-A': 1 } }],
    ['a numeric reason', { reason: 200 }],
    ['an unknown field', { status: 404 }],
  ])('%s throws InvalidValueError', (_what, init) => {
    expect(() => new Format(init)).toThrow(InvalidValueError);
  });

  test('the message says what was given and what to give', () => {
    expect(() => new Format(1)).toThrow(/HttpResponseFormat.*number.*string, bytes or \{code, reason, headers, body\}/);
  });

  test('what plain JavaScript may still pass: no argument, a body, an init with a numeric-string code', () => {
    expect(new HttpResponseFormat().export()).toEqual({ code: 200, body: '' });
    expect(new HttpResponseFormat('hi').export()).toEqual({ code: 200, body: 'hi' });
    expect(new Format({ code: '404', body: 'no' }) as HttpResponseFormat).toBeInstanceOf(HttpResponseFormat);
    expect((new Format({ code: '404', body: 'no' }) as HttpResponseFormat).export()).toEqual({ code: 404, body: 'no' });
  });
});
