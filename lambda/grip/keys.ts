/**
 * Key loading for GRIP: the bytes of a shared secret (`key=` of a GRIP_URL) and the keys that verify
 * `Grip-Sig` (shared secret, `base64:...`, PEM, JWK). The verification algorithm is fixed by the key's
 * type here, once, so a token can never choose it, and a public key can never become an HMAC secret: key bytes
 * (a byte array, or `base64:` text) that hold a PEM, a JWK or a DER public key load as that key, or are refused.
 */
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { GripConfigError } from '../core/errors';

/** The JWT algorithm a verify key accepts: HS256 for a shared secret, ES256 for P-256, RS256 for RSA. */
export type VerifyAlgorithm = 'HS256' | 'ES256' | 'RS256';

/** A loaded `Grip-Sig` verify key and the only algorithm it accepts. */
export interface VerifyKey {
  /** The one algorithm tokens verified with this key must use. */
  readonly algorithm: VerifyAlgorithm;
  /** The key material (secret or public key). */
  readonly keyObject: KeyObject;
}

/** What a verify key can be given as: text (secret, `base64:...`, PEM, JWK JSON), bytes or a JWK object. */
export type VerifyKeyInput = string | Uint8Array | JsonWebKey;

/**
 * Fastly Fanout's public key for `Grip-Sig` (ES256), used when `verify-iss` starts with `fastly:` and no
 * verify key is configured.
 */
export const FASTLY_FANOUT_JWK: Readonly<JsonWebKey> = Object.freeze({
  kty: 'EC',
  crv: 'P-256',
  x: 'CKo5A1ebyFcnmVV8SE5On-8G81JyBjSvcrx4VLetWCg',
  y: '7gwJqaU6N8TP88--twjkwoB36f-pT3QsmI46nPhjO7M',
});

/** The issuer prefix of tokens signed by Fastly Fanout (`fastly:<service id>`). */
export const FASTLY_ISS_PREFIX = 'fastly:';

const BASE64_PREFIX = 'base64:';
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes the text of a shared secret: `base64:<standard or base64url>` gives the decoded bytes (a `+` that
 * URL decoding turned into a space is repaired), anything else its UTF-8 bytes.
 *
 * @param text the key as written in the configuration.
 * @param label where the key came from, for error messages (for example `GRIP_URL key`).
 * @throws GripConfigError when the key is empty or the base64 is malformed (the key is never shown).
 */
export function decodeSecret(text: string, label: string): Uint8Array {
  let bytes: Uint8Array;
  if (text.startsWith(BASE64_PREFIX)) {
    const encoded = text.slice(BASE64_PREFIX.length).replace(/ /g, '+').trim();
    if (!BASE64_TEXT.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
      throw new GripConfigError(`${label} starts with 'base64:' but is not valid base64: re-encode the key`);
    }
    bytes = new Uint8Array(Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  } else {
    bytes = new Uint8Array(Buffer.from(text, 'utf8'));
  }
  if (bytes.length === 0) {
    throw new GripConfigError(`${label} is empty: set the key shared with the proxy (a GRIP key is never empty)`);
  }
  return bytes;
}

/**
 * A verify key from the bytes of a shared secret (HS256).
 *
 * @throws GripConfigError when the secret is empty.
 */
export function secretVerifyKey(secret: Uint8Array, label = 'verify key'): VerifyKey {
  if (secret.length === 0) {
    throw new GripConfigError(`${label} is empty: set the key the proxy signs Grip-Sig with`);
  }
  return { algorithm: 'HS256', keyObject: createSecretKey(Buffer.from(secret)) };
}

/**
 * Loads a `Grip-Sig` verify key: a PEM public key (SPKI; a private key or certificate yields its public key),
 * a JWK (object or JSON text; `oct` keys are shared secrets), `base64:<secret>` or a plain shared secret.
 *
 * @param input the key as configured.
 * @param label where the key came from, for error messages (for example `GRIP_VERIFY_KEY`).
 * @throws GripConfigError when the key cannot be loaded or has an unsupported type (the key is never shown).
 */
export function loadVerifyKey(input: VerifyKeyInput, label = 'verify key'): VerifyKey {
  if (input instanceof Uint8Array) {
    return verifyKeyFromBytes(input, label);
  }
  if (typeof input !== 'string') {
    return jwkVerifyKey(input, label);
  }
  return textVerifyKey(input, label, 'is') ?? verifyKeyFromBytes(decodeSecret(input, label), label);
}

/**
 * A verify key from key bytes (a byte array, the decoded `base64:` text, a GRIP_URL's `key`): the text of a PEM
 * or JWK, or the DER of a public key (SPKI), loads as that key; other bytes are a shared secret (HS256).
 *
 * @throws GripConfigError when the bytes hold a PEM or JWK that cannot be loaded or has an unsupported type.
 */
export function verifyKeyFromBytes(bytes: Uint8Array, label = 'verify key'): VerifyKey {
  const text = utf8Text(bytes);
  const fromText = text === undefined ? undefined : textVerifyKey(text, label, 'decodes to');
  if (fromText !== undefined) return fromText;
  const der = spkiPublicKey(bytes);
  if (der !== undefined) return publicVerifyKey(() => der, label, 'decodes to', 'DER');
  return secretVerifyKey(bytes, label);
}

/** A PEM or JWK given as text; undefined for other text (a shared secret, `base64:...`). */
function textVerifyKey(input: string, label: string, verb: 'is' | 'decodes to'): VerifyKey | undefined {
  const text = input.trim();
  if (text.startsWith('-----BEGIN')) {
    return publicVerifyKey(() => createPublicKey(text), label, verb, 'PEM');
  }
  if (text.startsWith('{')) {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(text) as JsonWebKey;
    } catch {
      throw new GripConfigError(
        `${label} ${verb === 'is' ? 'starts' : 'decodes to text starting'} with '{' but is not valid JSON: ` +
          'give the JWK as JSON text',
      );
    }
    return jwkVerifyKey(jwk, label, verb);
  }
  return undefined;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The public key whose DER (SubjectPublicKeyInfo) the bytes are; undefined for other bytes. */
function spkiPublicKey(bytes: Uint8Array): KeyObject | undefined {
  // A DER SubjectPublicKeyInfo is a SEQUENCE (0x30); other secrets are not parsed at all.
  if (bytes[0] !== 0x30) return undefined;
  try {
    return createPublicKey({ key: Buffer.from(bytes), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** Fastly Fanout's built-in verify key (ES256). */
export function fastlyFanoutVerifyKey(): VerifyKey {
  return jwkVerifyKey(FASTLY_FANOUT_JWK, 'Fastly Fanout public key');
}

function jwkVerifyKey(jwk: JsonWebKey, label: string, verb: 'is' | 'decodes to' = 'is'): VerifyKey {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    throw new GripConfigError(
      `${label} ${verb === 'is' ? 'is not' : 'decodes to JSON that is not'} a JWK object: give a JWK with 'kty'`,
    );
  }
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') {
      throw new GripConfigError(`${label} is an 'oct' JWK without 'k': add the base64url secret`);
    }
    return secretVerifyKey(new Uint8Array(Buffer.from(jwk.k, 'base64url')), label);
  }
  // Only the public part is kept, even when a private JWK is given.
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return publicVerifyKey(() => createPublicKey({ key: publicJwk, format: 'jwk' }), label, verb, 'JWK');
}

function publicVerifyKey(create: () => KeyObject, label: string, verb: 'is' | 'decodes to', kind: string): VerifyKey {
  let keyObject: KeyObject;
  try {
    keyObject = create();
  } catch (error) {
    const what =
      verb === 'is' ? `is not a usable ${kind} public key` : `decodes to a ${kind} that is not a usable public key`;
    throw new GripConfigError(`${label} ${what}: give an EC P-256 or RSA public key`, { cause: error });
  }
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') {
      throw new GripConfigError(`${label} is an EC key on curve ${curve}: only P-256 (ES256) is supported`);
    }
    return { algorithm: 'ES256', keyObject };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    return { algorithm: 'RS256', keyObject };
  }
  throw new GripConfigError(
    `${label} is a ${keyObject.asymmetricKeyType} key: only EC P-256 (ES256), RSA (RS256) or a shared secret work`,
  );
}
