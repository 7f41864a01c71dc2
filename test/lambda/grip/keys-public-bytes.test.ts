/**
 * Key confusion: a public key given as bytes (`base64:<PEM or JWK>`, the form js-grip users write, or a byte array
 * holding one) must load as that public key, never as an HS256 shared secret, or a token HMAC-signed with the public
 * key's text (public by definition; Fastly's is published) would pass as a genuine Grip-Sig.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { GripConfigError, GripSignatureError } from '../../../lambda/core/errors';
import { verifyGripSignature } from '../../../lambda/grip/grip-sig';
import { parseGripUrl } from '../../../lambda/grip/grip-url';
import { FASTLY_FANOUT_JWK, loadVerifyKey, type VerifyKey } from '../../../lambda/grip/keys';
import { claims, hmacWithText, signed } from '../../helpers/reliability-support';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const fastlyPublic = createPublicKey({ key: { ...FASTLY_FANOUT_JWK }, format: 'jwk' });

/** The texts and bytes a public key is written as. */
function forms(publicKey: KeyObject): Record<string, Buffer> {
  return {
    PEM: Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    JWK: Buffer.from(JSON.stringify(publicKey.export({ format: 'jwk' }))),
    'DER (SPKI)': publicKey.export({ type: 'spki', format: 'der' }),
  };
}

const KEYS = [
  ['EC P-256', ec.publicKey, 'ES256'],
  ['RSA', rsa.publicKey, 'RS256'],
  ['Fastly Fanout', fastlyPublic, 'ES256'],
] as const;

const CASES = KEYS.flatMap(([keyName, publicKey, algorithm]) =>
  Object.entries(forms(publicKey)).flatMap(([formName, bytes]) => [
    [`${keyName} ${formName} as base64:`, `base64:${bytes.toString('base64')}`, bytes, algorithm] as const,
    [`${keyName} ${formName} as base64url:`, `base64:${bytes.toString('base64url')}`, bytes, algorithm] as const,
    [`${keyName} ${formName} as a byte array`, new Uint8Array(bytes), bytes, algorithm] as const,
  ]),
);

const ISS = 'proxy';

function verifies(key: VerifyKey, token: string): boolean {
  try {
    verifyGripSignature(token, { enabled: true, keys: [{ key, iss: ISS }] });
    return true;
  } catch (error) {
    if (error instanceof GripSignatureError) return false;
    throw error;
  }
}

describe.each(CASES)('%s', (_name, input, bytes, algorithm) => {
  test(`loads as the ${algorithm} public key, never as a shared secret`, () => {
    const key = loadVerifyKey(input, 'verify-key');

    expect(key.algorithm).toBe(algorithm);
    expect(key.keyObject.type).toBe('public');
  });

  test('a token HMAC-signed with the key text or bytes is refused', () => {
    const key = loadVerifyKey(input, 'verify-key');

    expect(verifies(key, hmacWithText(claims(ISS), bytes.toString('utf8')))).toBe(false);
    expect(verifies(key, hmacWithText(claims(ISS), bytes.toString('latin1')))).toBe(false);
  });

  test('as verify-key of a GRIP_URL, and as the key of a Fanout Cloud style URL (iss + key)', () => {
    const text = typeof input === 'string' ? input : `base64:${Buffer.from(input).toString('base64')}`;
    const viaVerifyKey = parseGripUrl(
      `https://proxy.example/?verify-iss=${ISS}&verify-key=${encodeURIComponent(text)}`,
    );
    const viaRealmKey = parseGripUrl(`https://proxy.example/?iss=realm&key=${encodeURIComponent(text)}`);

    for (const key of [viaVerifyKey.verifyKey!, viaRealmKey.verifyKey!]) {
      expect(key.algorithm).toBe(algorithm);
      expect(verifies(key, hmacWithText(claims(ISS), bytes.toString('utf8')))).toBe(false);
    }
  });
});

test('a genuine token of the key pair still verifies when the public key came as base64:', () => {
  const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const key = loadVerifyKey(`base64:${Buffer.from(pem).toString('base64')}`);

  expect(verifies(key, signed(claims(ISS), ec.privateKey, 'ES256'))).toBe(true);
  expect(
    verifies(loadVerifyKey(rsa.publicKey.export({ format: 'jwk' })), signed(claims(ISS), rsa.privateKey, 'RS256')),
  ).toBe(true);
});

test('bytes that look like a PEM or JWK but do not load are refused, not taken as a secret', () => {
  const brokenPem = Buffer.from('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----');
  const notJwk = Buffer.from('{"hello":"world"}');
  const badJson = Buffer.from('{"kty":"EC",');
  const ed = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());

  for (const bytes of [brokenPem, notJwk, badJson, ed]) {
    expect(() => loadVerifyKey(`base64:${bytes.toString('base64')}`, 'verify-key')).toThrow(GripConfigError);
    expect(() => loadVerifyKey(new Uint8Array(bytes), 'verify-key')).toThrow(GripConfigError);
  }
  expect(() => loadVerifyKey(`base64:${brokenPem.toString('base64')}`, 'verify-key')).toThrow(
    /verify-key decodes to a PEM/,
  );
});

test('ordinary secrets (random bytes, text) stay HS256 shared secrets', () => {
  expect(loadVerifyKey('base64:c2VjcmV0LWtleQ==').algorithm).toBe('HS256');
  expect(loadVerifyKey(new Uint8Array([0x30, 0x82, 1, 2, 3])).algorithm).toBe('HS256');
  expect(loadVerifyKey(new TextEncoder().encode('changeme')).algorithm).toBe('HS256');
  expect(
    loadVerifyKey(`base64:${Buffer.from(JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' })).toString('base64')}`).algorithm,
  ).toBe('HS256');
});
