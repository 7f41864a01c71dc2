/**
 * Fuzz targets of the meta header encoding and the GRIP_URL parser.
 *
 * Meta: any string value becomes a header value of printable ASCII only (no CR, LF or other control character,
 * no leading or trailing space) and reads back as the same string. Lone UTF-16 surrogates are not Unicode: they
 * come back as U+FFFD (the decision of lambda/grip/meta.ts), exactly as UTF-8 encoding would write them.
 *
 * GRIP_URL: any text either raises GripConfigError or gives a proxy whose control URI is a clean http(s) URL that
 * parses to itself; URLs built from known parts give those parts back; errors never show a key.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GripConfigError, MetaError } from '../../lambda/core/errors';
import { parseGripUrl } from '../../lambda/grip/grip-url';
import {
  decodeMetaValue,
  encodeMetaValue,
  metaFromHeaders,
  metaHeaders,
  normalizeMetaName,
} from '../../lambda/grip/meta';
import { checkGripUrlCase, GRIP_URL_TOKEN, type GripUrlCase, gripUrlCaseArb } from './reliability-fuzz-grip-url';
import { type FuzzTarget, fuzzTarget } from './reliability-fuzz-target';

/** A header value that can carry nothing but itself: printable ASCII, no surrounding spaces. */
export const SAFE_HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const TOKEN_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const GRIP_PARAMS: readonly string[] = ['iss', 'key', 'verify-iss', 'verify-key'];

/** What a string is once written as UTF-8: lone surrogates become U+FFFD. */
export const wellFormed = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

const metaValueArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 80 }),
  fc
    .array(
      fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '\t',
        '\u0000',
        '\u007f',
        '\u0085',
        ' ',
        '=?',
        '?=',
        'utf-8',
        'b?',
        'é',
        '\ud800',
        '\udc00',
        'a',
        ':',
      ),
      {
        maxLength: 20,
      },
    )
    .map((parts) => parts.join('')),
  fc.string({ unit: 'binary', minLength: 700, maxLength: 1200 }),
);

function checkMetaValue(value: string): string {
  const encoded = encodeMetaValue(value);
  assert.match(encoded, SAFE_HEADER_VALUE);
  const expected = wellFormed(value);
  assert.equal(decodeMetaValue(encoded), expected);
  let headers: Record<string, string>;
  try {
    headers = metaHeaders({ set: { nick: value }, removed: [] });
  } catch (error) {
    if (!(error instanceof MetaError)) throw error;
    assert.ok(encoded.length > 1024, `MetaError for a value of ${encoded.length} bytes encoded: ${error.message}`);
    return 'over-cap';
  }
  for (const [name, header] of Object.entries(headers)) {
    assert.match(name, /^Set-Meta-[a-z0-9_-]+$/);
    assert.match(header, SAFE_HEADER_VALUE);
  }
  // The proxy sends the value back as Meta-nick on the next request.
  assert.deepEqual(metaFromHeaders({ 'meta-nick': headers['Set-Meta-nick'] }), { nick: expected });
  return expected === value ? 'exact' : 'surrogates-replaced';
}

function checkRawMeta([name, raw]: [string, string]): string {
  // Whatever arrives in Meta-* headers decodes to a string, never throws.
  const decoded = decodeMetaValue(raw);
  assert.equal(typeof decoded, 'string');
  if (!raw.startsWith('=?')) assert.equal(decoded, raw);
  try {
    assert.match(normalizeMetaName(name), TOKEN_NAME);
    return 'name-accepted';
  } catch (error) {
    if (error instanceof MetaError) return 'name-refused';
    throw error;
  }
}

/** Where a publish goes for a control URI (as the publisher builds it). */
function publishEndpoint(controlUri: string): string {
  const url = new URL(controlUri);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/publish/`;
  return url.href;
}

function checkArbitraryGripUrl(text: string): string {
  let proxy: ReturnType<typeof parseGripUrl>;
  try {
    proxy = parseGripUrl(text);
  } catch (error) {
    if (error instanceof GripConfigError) return 'rejected';
    throw error;
  }
  const control = new URL(proxy.controlUri);
  assert.ok(control.protocol === 'http:' || control.protocol === 'https:', proxy.controlUri);
  assert.equal(control.username + control.password, '', 'credentials left in the control URI');
  // Parsing the control URI again publishes to the same endpoint. Only one trailing slash is stripped per parse (as
  // js-grip does), so a path ending in several slashes is the one exception.
  if (!control.pathname.endsWith('//')) {
    assert.equal(publishEndpoint(parseGripUrl(proxy.controlUri).controlUri), publishEndpoint(proxy.controlUri));
  }
  // Every query parameter that is not one of the GRIP_URL's own is kept, in order; none of those is.
  const partsOf = (search: string) =>
    search
      .replace(/^\?/, '')
      .split('&')
      .filter((p) => p !== '');
  const own = (part: string) => GRIP_PARAMS.includes(decodeURIComponent(part.split('=')[0]));
  const queryAt = proxy.controlUri.indexOf('?');
  const kept = queryAt < 0 ? [] : partsOf(proxy.controlUri.slice(queryAt));
  assert.deepEqual(
    kept,
    partsOf(new URL(text.trim()).search).filter((part) => !own(part)),
  );
  if (proxy.controlIss !== undefined) assert.ok(proxy.key && proxy.key.length > 0, 'iss without a key');
  if (proxy.key !== undefined) assert.ok(proxy.key.length > 0, 'an empty key');
  return 'parsed';
}

/** The meta and GRIP_URL targets (40% of all cases). */
export const CONFIG_TARGETS: readonly FuzzTarget[] = [
  fuzzTarget({
    name: 'meta: values of any Unicode',
    share: 0.15,
    arbitrary: metaValueArb,
    // A leading U+FEFF is text, not a byte order mark to drop; the others are the edges of the plain form.
    examples: ['\ufeff', '\ufeffnick', '', ' ', 'a ', '=?', '=?utf-8?b?YQ==?=', '\ud800', 'x'.repeat(1024)],
    check: checkMetaValue,
  }),
  fuzzTarget({
    name: 'meta: raw Meta-* values and names',
    share: 0.05,
    arbitrary: fc.tuple(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)),
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.base64String({ maxLength: 40 }).map((b) => `=?utf-8?b?${b}?=`),
        fc.string({ maxLength: 40 }).map((s) => `=?UTF-8?B?${Buffer.from(s, 'latin1').toString('base64')}?=`),
      ),
    ),
    check: checkRawMeta,
  }),
  fuzzTarget({
    name: 'GRIP_URL: arbitrary text',
    share: 0.05,
    arbitrary: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(GRIP_URL_TOKEN, { maxLength: 24 }).map((t) => t.join('')),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    ),
    examples: [
      'http://a.aa//',
      'https://h/?toString=1&constructor=2&__proto__=3&valueOf=4',
      'https://u:p@h/x/?iss=r&key=base64:ab+cd/ef==&verify-iss=fastly:sid&z=1#frag',
      '  http://h/  ',
    ],
    check: checkArbitraryGripUrl,
  }),
  fuzzTarget<GripUrlCase>({
    name: 'GRIP_URL: built from parts',
    share: 0.1,
    arbitrary: gripUrlCaseArb,
    examples: [
      // Query parameters named like Object.prototype members are the proxy's own parameters, kept as they are.
      {
        scheme: 'https',
        host: 'h',
        path: '/p',
        extra: [
          ['toString', '1'],
          ['constructor', ''],
          ['__proto__', 'x'],
        ],
      },
      { scheme: 'http', host: 'h', path: '', extra: [['valueOf', '']], iss: 'r', key: { kind: 'text', text: 'k' } },
    ],
    check: checkGripUrlCase,
  }),
];
