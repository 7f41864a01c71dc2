/**
 * GRIP_URLs built from known parts (control URI, userinfo, extra query parameters, `iss`, `key` as text or
 * `base64:` in four spellings, `verify-iss`, `verify-key` as secret, PEM or JWK, sometimes a parameter twice), and
 * the check that parseGripUrl gives exactly those parts back, or GripConfigError when the parts are unusable, with
 * no key in the message.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { GripConfigError } from '../../lambda/core/errors';
import { type GripProxy, parseGripUrl } from '../../lambda/grip/grip-url';
import { FASTLY_FANOUT_JWK } from '../../lambda/grip/keys';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const EC_PEM = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const EC_JWK = ec.publicKey.export({ format: 'jwk' });
const PARAMS = ['iss', 'key', 'verify-iss', 'verify-key'] as const;

/** Pieces of GRIP_URL syntax, for arbitrary-text fuzzing. */
export const GRIP_URL_TOKEN = fc.constantFrom(
  'http://',
  'https://',
  'ftp://',
  'h',
  'localhost:5561',
  '[::1]',
  '/',
  '?',
  '&',
  '=',
  'iss=',
  'key=',
  'verify-iss=',
  'verify-key=',
  'base64:',
  'fastly:',
  '%',
  '%2B',
  '%zz',
  '+',
  '{',
  '}',
  '"kty":"oct"',
  '-----BEGIN PUBLIC KEY-----',
  '@',
  ':',
  ' ',
  '#',
  'é',
  '\u0000',
);

/** Percent-encodes everything but unreserved characters (stricter than encodeURIComponent, as URL does it). */
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const text = (max: number, min = 0) =>
  fc.string({ unit: 'binary', minLength: min, maxLength: max }).map((s) => Buffer.from(s, 'utf8').toString('utf8'));

type Secret =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'base64'; readonly bytes: Uint8Array; readonly spelling: 'std' | 'url' | 'unpadded' | 'raw-plus' };
type VerifyKeySpec = { readonly kind: 'secret'; readonly secret: Secret } | { readonly kind: 'pem' | 'jwk' };

/** The parts of one generated GRIP_URL. */
export interface GripUrlCase {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly path: string;
  readonly user?: string;
  readonly pass?: string;
  readonly extra: ReadonlyArray<readonly [string, string]>;
  readonly iss?: string;
  readonly key?: Secret;
  readonly verifyIss?: string;
  readonly verifyKey?: VerifyKeySpec;
  readonly twice?: (typeof PARAMS)[number];
}

const secretArb: fc.Arbitrary<Secret> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: text(40).filter((t) => !t.startsWith('base64:')) }),
  fc.record({
    kind: fc.constant('base64' as const),
    bytes: fc.uint8Array({ maxLength: 40 }),
    spelling: fc.constantFrom('std' as const, 'url' as const, 'unpadded' as const, 'raw-plus' as const),
  }),
);
const verifyKeyArb: fc.Arbitrary<VerifyKeySpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('secret' as const),
      secret: secretArb.filter((s) => s.kind !== 'text' || !/^\s*(\{|-----BEGIN)/.test(s.text)),
    }),
  },
  fc.record({ kind: fc.constantFrom('pem' as const, 'jwk' as const) }),
);

/** Generated GRIP_URL parts. */
export const gripUrlCaseArb: fc.Arbitrary<GripUrlCase> = fc
  .record(
    {
      scheme: fc.constantFrom('http' as const, 'https' as const),
      host: fc.oneof(fc.domain(), fc.constantFrom('127.0.0.1:5561', '[::1]:8080', 'api.fastly.com')),
      path: fc.webPath(),
      user: text(12, 1),
      pass: text(12),
      extra: fc.array(
        fc.tuple(
          text(8).filter((n) => !(PARAMS as readonly string[]).includes(n)),
          text(12),
        ),
        { maxLength: 3 },
      ),
      iss: text(16),
      key: secretArb,
      verifyIss: fc.oneof(
        text(16),
        text(12).map((s) => `fastly:${s}`),
      ),
      verifyKey: verifyKeyArb,
    },
    { requiredKeys: ['scheme', 'host', 'path', 'extra'] },
  )
  .chain((c) =>
    fc
      .record({
        // Mostly usable: a key with every iss, and a parameter written twice in one case out of ten.
        key:
          c.iss !== undefined && c.key === undefined
            ? fc.option(secretArb, { freq: 4, nil: undefined })
            : fc.constant(c.key),
        twice: fc.oneof(
          { weight: 9, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom(...PARAMS) },
        ),
      })
      .map(({ key, twice }): GripUrlCase => ({ ...c, key, twice })),
  );

function secretText(s: Secret): { value: string; raw?: string } {
  if (s.kind === 'text') return { value: s.text };
  const b64 = Buffer.from(s.bytes).toString(s.spelling === 'url' ? 'base64url' : 'base64');
  const body = s.spelling === 'unpadded' ? b64.replace(/=+$/, '') : b64;
  // raw-plus: a '+' written unencoded (URL form decoding would turn it into a space; the parser must not).
  return s.spelling === 'raw-plus'
    ? { value: `base64:${body}`, raw: enc(`base64:${body}`).replace(/%2B/g, '+') }
    : { value: `base64:${body}` };
}

const secretBytes = (s: Secret) => (s.kind === 'text' ? new Uint8Array(Buffer.from(s.text, 'utf8')) : s.bytes);

function verifyKeyText(v: VerifyKeySpec): { value: string; raw?: string } {
  if (v.kind !== 'secret') return { value: v.kind === 'pem' ? EC_PEM : JSON.stringify(EC_JWK) };
  return secretText(v.secret);
}

/** The URL text of a case. */
export function gripUrlOf(c: GripUrlCase): string {
  const userinfo = c.user === undefined ? '' : `${enc(c.user)}:${enc(c.pass ?? '')}@`;
  const params = c.extra.map(([name, value]) => `${enc(name)}=${enc(value)}`);
  const values: Record<string, { value: string; raw?: string } | undefined> = {
    iss: c.iss === undefined ? undefined : { value: c.iss },
    key: c.key && secretText(c.key),
    'verify-iss': c.verifyIss === undefined ? undefined : { value: c.verifyIss },
    'verify-key': c.verifyKey && verifyKeyText(c.verifyKey),
  };
  for (const name of PARAMS) {
    const v = values[name];
    if (v === undefined) continue;
    const part = `${name}=${v.raw ?? enc(v.value)}`;
    params.push(part);
    if (c.twice === name) params.push(part);
  }
  return `${c.scheme}://${userinfo}${c.host}${c.path}${params.length ? `?${params.join('&')}` : ''}`;
}

/** Why the case must be refused, or undefined when it must parse. */
function expectedRefusal(c: GripUrlCase): string | undefined {
  const present = (name: (typeof PARAMS)[number]) =>
    ({ iss: c.iss, key: c.key, 'verify-iss': c.verifyIss, 'verify-key': c.verifyKey })[name] !== undefined;
  if (c.twice !== undefined && present(c.twice)) return 'a parameter twice';
  if (c.iss !== undefined && c.key === undefined) return 'iss without key';
  if (c.key && secretBytes(c.key).length === 0) return 'an empty key';
  if (c.verifyKey?.kind === 'secret' && secretBytes(c.verifyKey.secret).length === 0) return 'an empty verify key';
  const keyChecksGripSig = c.verifyKey === undefined && c.iss !== undefined && !c.verifyIss?.startsWith('fastly:');
  for (const secret of [
    c.verifyKey?.kind === 'secret' ? c.verifyKey.secret : undefined,
    keyChecksGripSig ? c.key : undefined,
  ]) {
    // key bytes that read as a PEM or JWK load as that key or are refused: they never become an HMAC secret
    if (secret !== undefined && looksLikeKeyText(secretBytes(secret))) return 'key bytes that read as a PEM or JWK';
  }
  if (c.iss !== undefined && c.key !== undefined && c.verifyIss === c.iss && verifiesWithPublishKey(c)) {
    return 'verify-iss is the publish iss with the key that signs publishes (a publish token would pass as Grip-Sig)';
  }
  return undefined;
}

/** Whether the bytes are UTF-8 text that starts (after white space) like a PEM or a JWK. */
function looksLikeKeyText(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
  } catch {
    return false;
  }
  return text.startsWith('{') || text.startsWith('-----BEGIN');
}

/** Whether Grip-Sig would be checked with the very key that signs publishes. */
function verifiesWithPublishKey(c: GripUrlCase): boolean {
  if (c.key === undefined) return false;
  if (c.verifyKey === undefined) return !c.verifyIss?.startsWith('fastly:');
  return (
    c.verifyKey.kind === 'secret' &&
    Buffer.from(secretBytes(c.verifyKey.secret)).equals(Buffer.from(secretBytes(c.key)))
  );
}

function expectedControlUri(c: GripUrlCase): string {
  const u = new URL(`${c.scheme}://${c.host}${c.path}`);
  const path = u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : u.pathname;
  const extra = c.extra.map(([name, value]) => `${enc(name)}=${enc(value)}`);
  return `${u.protocol}//${u.host}${path}${extra.length ? `?${extra.join('&')}` : ''}`;
}

function checkVerifyKey(c: GripUrlCase, proxy: GripProxy): void {
  const key = proxy.verifyKey;
  if (c.verifyKey?.kind === 'secret') {
    assert.equal(key?.algorithm, 'HS256');
    assert.deepEqual(new Uint8Array(key.keyObject.export()), secretBytes(c.verifyKey.secret));
  } else if (c.verifyKey !== undefined) {
    assert.equal(key?.algorithm, 'ES256');
    assert.equal(key.keyObject.export({ format: 'jwk' }).x, EC_JWK.x);
  } else if (c.verifyIss?.startsWith('fastly:')) {
    assert.equal(key?.algorithm, 'ES256');
    assert.equal(key.keyObject.export({ format: 'jwk' }).x, FASTLY_FANOUT_JWK.x);
  } else if (c.iss !== undefined && c.key !== undefined) {
    assert.equal(key?.algorithm, 'HS256');
    assert.deepEqual(new Uint8Array(key.keyObject.export()), secretBytes(c.key));
  } else {
    assert.equal(key, undefined);
  }
}

/** Parses the case's URL and compares with its parts; returns `parsed` or `refused`. */
export function checkGripUrlCase(c: GripUrlCase): string {
  const url = gripUrlOf(c);
  const refusal = expectedRefusal(c);
  let proxy: GripProxy;
  try {
    proxy = parseGripUrl(url);
  } catch (error) {
    if (!(error instanceof GripConfigError)) throw error;
    assert.ok(refusal, `refused a usable GRIP_URL ${url}: ${error.message}`);
    for (const secret of [c.key && secretText(c.key).value, c.verifyKey && verifyKeyText(c.verifyKey).value]) {
      if (secret && secret.length >= 8) assert.ok(!error.message.includes(secret), `a key in: ${error.message}`);
    }
    return 'refused';
  }
  assert.equal(refusal, undefined, `accepted ${url} despite ${refusal}`);
  assert.equal(proxy.controlUri, expectedControlUri(c));
  assert.equal(proxy.user, c.user);
  assert.equal(proxy.pass, c.user === undefined ? undefined : (c.pass ?? ''));
  assert.equal(proxy.controlIss, c.iss);
  assert.equal(proxy.verifyIss, c.verifyIss);
  assert.deepEqual(proxy.key === undefined ? undefined : new Uint8Array(proxy.key), c.key && secretBytes(c.key));
  checkVerifyKey(c, proxy);
  return 'parsed';
}
