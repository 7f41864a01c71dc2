import { isSendableCloseCode, MAX_CLOSE_REASON_BYTES, validateClose } from '../../../lambda/core/close-frame';
import { InvalidValueError } from '../../../lambda/core/errors';

describe('isSendableCloseCode', () => {
  test.each([1000, 1001, 1002, 1003, 1007, 1010, 1011, 1014, 3000, 4000, 4999])('accepts %d', (code) => {
    expect(isSendableCloseCode(code)).toBe(true);
  });

  test.each([
    ['below the range', 999],
    ['reserved 1004', 1004],
    ['reserved 1005 (no status)', 1005],
    ['reserved 1006 (abnormal closure)', 1006],
    ['reserved 1015 (TLS failure)', 1015],
    ['unassigned 1016', 1016],
    ['unassigned 2999', 2999],
    ['above the range', 5000],
    ['a fraction', 1000.5],
    ['NaN', Number.NaN],
  ])('refuses %s', (_name, code) => {
    expect(isSendableCloseCode(code)).toBe(false);
  });
});

describe('validateClose', () => {
  test('fails for a reserved code, showing it and the valid ranges', () => {
    expect(() => validateClose(1004)).toThrow(InvalidValueError);
    expect(() => validateClose(1004)).toThrow(
      /close code 1004 cannot be sent: use 1000 \(normal\), 1001-1003, 1007-1014/,
    );
  });

  test('takes a reason of up to MAX_CLOSE_REASON_BYTES UTF-8 bytes', () => {
    expect(() => validateClose(1000, 'x'.repeat(MAX_CLOSE_REASON_BYTES))).not.toThrow();
    expect(() => validateClose(1000, 'é'.repeat(62))).toThrow(/124 bytes in UTF-8, over the WebSocket limit of 123/);
  });

  test('fails for a reason that is not a string', () => {
    expect(() => validateClose(1000, 42 as unknown as string)).toThrow(/close reason must be a string, got number/);
  });
});
