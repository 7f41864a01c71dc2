import fc from 'fast-check';
import { MetaError } from '../../../lambda/core/errors';
import {
  decodeMetaValue,
  diffMeta,
  encodeMetaValue,
  MAX_META_BYTES,
  MAX_META_VALUE_BYTES,
  metaFromHeaders,
  metaHeaders,
  normalizeMeta,
  normalizeMetaName,
  setMetaHeaders,
} from '../../../lambda/grip/meta';

/** What an HTTP header value may contain without breaking the header: visible ASCII and inner spaces. */
const SAFE_HEADER_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

describe('meta values', () => {
  test('plain printable ASCII stays readable', () => {
    expect(encodeMetaValue('alice')).toBe('alice');
    expect(encodeMetaValue('a b=c;d,"e"')).toBe('a b=c;d,"e"');
  });

  test.each([
    ['Zoë', '=?utf-8?b?Wm/Dqw==?='],
    ['🦊', '=?utf-8?b?8J+mig==?='],
    ['a\r\nInjected: yes', '=?utf-8?b?YQ0KSW5qZWN0ZWQ6IHllcw==?='],
    ['', '=?utf-8?b??='],
    [' padded ', '=?utf-8?b?IHBhZGRlZCA=?='],
    ['=?utf-8?b?YQ==?=', '=?utf-8?b?PT91dGYtOD9iP1lRPT0/PQ==?='],
  ])('encodes %j as %j and decodes it back', (value, encoded) => {
    expect(encodeMetaValue(value)).toBe(encoded);
    expect(decodeMetaValue(encoded)).toBe(value);
  });

  test('any string round-trips, and the encoded form is always a safe header value (#19)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (raw) => {
        const value = Buffer.from(raw, 'utf8').toString('utf8'); // lone surrogates are not Unicode
        const encoded = encodeMetaValue(value);
        expect(encoded).toMatch(SAFE_HEADER_VALUE);
        expect(decodeMetaValue(encoded)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  test('values that only look encoded are returned unchanged', () => {
    expect(decodeMetaValue('=?utf-8?b?not base64?=')).toBe('=?utf-8?b?not base64?=');
    expect(decodeMetaValue('=?utf-8?b?/w==?=')).toBe('=?utf-8?b?/w==?='); // 0xff is not UTF-8
    expect(decodeMetaValue('=?utf-8?b?YQ?=')).toBe('=?utf-8?b?YQ?=');
  });

  test('refuses non-strings', () => {
    expect(() => encodeMetaValue(42 as unknown as string)).toThrow(MetaError);
  });
});

describe('meta names', () => {
  test.each([
    ['User', 'user'],
    ['user-id', 'user-id'],
    ['user_id', 'user_id'],
    ['0day', '0day'],
  ])('%j is normalized to %j', (name, normalized) => {
    expect(normalizeMetaName(name)).toBe(normalized);
  });

  test.each(['', '-x', 'a b', 'a:b', 'a\r\nb', 'é', 'a.b'])('%j is refused', (name) => {
    expect(() => normalizeMetaName(name)).toThrow(MetaError);
  });
});

describe('metaFromHeaders', () => {
  test('reads meta-* headers of any case and decodes values', () => {
    const meta = metaFromHeaders({
      'meta-user': 'alice',
      'Meta-Nick': '=?utf-8?b?Wm/Dqw==?=',
      'content-type': 'application/websocket-events',
      'meta-': 'ignored',
    });
    expect(meta).toEqual({ user: 'alice', nick: 'Zoë' });
  });
});

describe('metaHeaders', () => {
  test('sets encoded values and deletes with an empty value', () => {
    expect(metaHeaders({ set: { user: 'alice', nick: 'Zoë', blank: '' }, removed: ['old'] })).toEqual({
      'Set-Meta-user': 'alice',
      'Set-Meta-nick': '=?utf-8?b?Wm/Dqw==?=',
      'Set-Meta-blank': '=?utf-8?b??=',
      'Set-Meta-old': '',
    });
  });

  test('header injection is impossible: no CR or LF ever reaches a header (#19)', () => {
    const headers = metaHeaders({ set: { new: 'a\r\nInjected: yes', tab: 'a\tb', nul: '\u0000' }, removed: [] });
    for (const [name, value] of Object.entries(headers)) {
      expect(name).toMatch(/^Set-Meta-[a-z0-9_-]+$/);
      expect(value).toMatch(SAFE_HEADER_VALUE);
    }
    expect(() => metaHeaders({ set: { 'x\r\nInjected': 'yes' }, removed: [] })).toThrow(MetaError);
  });

  test('refuses a value over MAX_META_VALUE_BYTES encoded', () => {
    expect(metaHeaders({ set: { a: 'x'.repeat(MAX_META_VALUE_BYTES) }, removed: [] })['Set-Meta-a']).toHaveLength(1024);
    expect(() => metaHeaders({ set: { a: 'x'.repeat(MAX_META_VALUE_BYTES + 1) }, removed: [] })).toThrow(
      /meta.a is 1025 bytes encoded, over the 1024-byte limit per value/,
    );
    expect(() => metaHeaders({ set: { a: 'é'.repeat(400) }, removed: [] })).toThrow(MetaError); // 800 bytes -> base64
  });

  test('refuses a total over MAX_META_BYTES', () => {
    const set: Record<string, string> = {};
    for (let i = 0; i < 5; i++) set[`k${i}`] = 'x'.repeat(1000);
    expect(() => metaHeaders({ set, removed: [] })).toThrow(/over the 4096-byte limit/);
  });

  test('refuses a name both set and removed', () => {
    expect(() => metaHeaders({ set: { a: 'x' }, removed: ['A'] })).toThrow(MetaError);
  });
});

describe('normalizeMeta', () => {
  test('lower-cases names and drops undefined values', () => {
    expect(normalizeMeta({ User: 'alice', gone: undefined })).toEqual({ user: 'alice' });
  });

  test('refuses non-string values, naming them', () => {
    expect(() => normalizeMeta({ count: 3 })).toThrow(/meta.count must be a string, got number: use String\(\)/);
    expect(() => normalizeMeta({ x: null })).toThrow(/got null/);
  });

  test('refuses names that collide once lower-cased', () => {
    expect(() => normalizeMeta({ user: 'a', User: 'b' })).toThrow(/collide/);
  });

  test('refuses a whole meta over MAX_META_BYTES', () => {
    const meta: Record<string, string> = {};
    for (let i = 0; i < 5; i++) meta[`k${i}`] = 'x'.repeat(900);
    expect(() => normalizeMeta(meta)).toThrow(new RegExp(`over the ${MAX_META_BYTES}-byte limit`));
  });
});

describe('diffMeta', () => {
  test('reports changed values with their encoding and removed names; unchanged ones are left out', () => {
    const changes = diffMeta({ keep: 'k', Nick: 'Zoë', room: 'b' }, { keep: 'k', room: 'a', user: 'alice' });

    expect(changes).toEqual({
      set: { nick: 'Zoë', room: 'b' },
      removed: ['user'],
      encoded: { nick: '=?utf-8?b?Wm/Dqw==?=', room: 'b' },
    });
  });

  test('checks the whole meta as normalizeMeta does', () => {
    const meta: Record<string, string> = {};
    for (let i = 0; i < 5; i++) meta[`k${i}`] = 'x'.repeat(900);

    expect(() => diffMeta(meta, meta)).toThrow(new RegExp(`over the ${MAX_META_BYTES}-byte limit`));
    expect(() => diffMeta({ 'bad name': 'x' }, {})).toThrow(MetaError);
    expect(() => diffMeta({ count: 3 }, {})).toThrow(/meta.count must be a string/);
  });

  test('its headers equal those metaHeaders builds from the same changes', () => {
    const changes = diffMeta({ nick: 'a\r\nInjected: yes', room: 'b', blank: '' }, { room: 'a', old: 'x' });

    expect(setMetaHeaders(changes)).toEqual(metaHeaders(changes));
    expect(setMetaHeaders(changes)).toEqual({
      'Set-Meta-nick': encodeMetaValue('a\r\nInjected: yes'),
      'Set-Meta-room': 'b',
      'Set-Meta-blank': '=?utf-8?b??=',
      'Set-Meta-old': '',
    });
  });
});
