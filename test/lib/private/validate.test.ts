import { Lazy, Token } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { validateChannel } from '../../../lambda/grip/control-message';
import {
  checkChannelPrefix,
  checkMetricsNamespace,
  checkNumber,
  checkStageName,
  checkString,
} from '../../../lib/private/validate';

describe('checkNumber', () => {
  test('accepts the ends of the range, undefined and tokens', () => {
    const range = { min: 1, max: 10, whole: true };
    for (const value of [1, 10, undefined, Token.asNumber(Lazy.number({ produce: () => -1 }))]) {
      expect(() => checkNumber('size', value, range)).not.toThrow();
    }
  });

  test('fails: out of range, not whole or not finite, naming the prop, the value, the range and the unit', () => {
    const range = { min: 1, max: 10, whole: true, unit: 'MiB' };
    for (const bad of [0, 11, 1.5, Number.NaN, Number.NEGATIVE_INFINITY]) {
      expect(() => checkNumber('size', bad, range)).toThrow(
        `size ${bad} is not valid: use a whole number from 1 to 10 (MiB)`,
      );
    }
    expect(() => checkNumber('rate', -0.1, { min: 0 })).toThrow('rate -0.1 is not valid: use a number of 0 or more');
  });
});

describe('checkString', () => {
  test('fails: shows the value quoted and escaped, and cuts a long one', () => {
    expect(() => checkString('name', 'a\tb', /^\w+$/, 'use word characters')).toThrow(
      'name "a\\tb" is not valid: use word characters',
    );
    expect(() => checkString('name', 'x'.repeat(61), /^y$/, 'use y')).toThrow(
      `name "${'x'.repeat(40)}"… (61 characters) is not valid: use y`,
    );
  });

  test('accepts undefined and tokens', () => {
    expect(() => checkString('name', undefined, /^y$/, 'use y')).not.toThrow();
    expect(() => checkString('name', Lazy.string({ produce: () => 'x' }), /^y$/, 'use y')).not.toThrow();
  });
});

describe('checkStageName', () => {
  test('accepts letters, digits, - and _ up to 128; fails on anything else, $default included', () => {
    for (const good of ['prod', 'v2_live-1', 'a'.repeat(128)]) {
      expect(() => checkStageName(good)).not.toThrow();
    }
    for (const bad of ['', '$default', 'a b', 'a/b', 'a.b', 'a'.repeat(129)]) {
      expect(() => checkStageName(bad)).toThrow(/^stageName ".*is not valid: use 1 to 128 letters, digits/);
    }
  });
});

describe('checkMetricsNamespace', () => {
  test("accepts CloudWatch's characters up to 255, fails on others, on ':' first and on 'AWS/'", () => {
    for (const good of ['FaasGrip', 'My App/chat#1:ws.v2_x-y', 'a'.repeat(255), 'a:b']) {
      expect(() => checkMetricsNamespace(good)).not.toThrow();
    }
    for (const bad of ['', 'a'.repeat(256), 'café', 'a,b', 'a\nb', ':ab', 'AWS/Lambda']) {
      expect(() => checkMetricsNamespace(bad)).toThrow(/^metricsNamespace ".*is not valid: use 1 to 255 letters/);
    }
  });
});

describe('checkChannelPrefix', () => {
  test('fails: names the character and its index', () => {
    expect(() => checkChannelPrefix('room;1')).toThrow(
      'channelPrefix "room;1" is not valid: it contains ";" at index 4, and channel names cannot contain control ' +
        'characters, comma, semicolon or double quote',
    );
  });

  test('accepts an empty prefix (no prefix), undefined and tokens', () => {
    for (const value of ['', undefined, Lazy.string({ produce: () => ',' })]) {
      expect(() => checkChannelPrefix(value)).not.toThrow();
    }
  });

  test("refuses exactly the prefixes the runtime's channel validation refuses", () => {
    const special = fc.constantFrom(',', ';', '"', '\u0000', '\u001f', '\u007f');
    const anyChar = fc.integer({ min: 0, max: 0x2ff }).map((code) => String.fromCharCode(code));
    const text = fc.string({ unit: fc.oneof(special, anyChar) });
    fc.assert(
      fc.property(
        text.filter((s) => s.length > 0),
        (prefix) => {
          const runtimeRefuses = throws(() => validateChannel(prefix));
          expect(throws(() => checkChannelPrefix(prefix))).toBe(runtimeRefuses);
        },
      ),
    );
  });
});

function throws(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}
