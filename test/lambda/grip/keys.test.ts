import { generateKeyPairSync } from 'node:crypto';
import { GripConfigError } from '../../../lambda/core/errors';
import { decodeSecret, fastlyFanoutVerifyKey, loadVerifyKey } from '../../../lambda/grip/keys';

describe('decodeSecret', () => {
  test('decodes base64 and takes other text as UTF-8', () => {
    expect(Buffer.from(decodeSecret('base64:aGk=', 'k'))).toEqual(Buffer.from('hi'));
    expect(Buffer.from(decodeSecret('changeme', 'k'))).toEqual(Buffer.from('changeme'));
  });

  test('fails on empty keys and bad base64 without showing them', () => {
    expect(() => decodeSecret('', 'GRIP_URL key')).toThrow(/GRIP_URL key is empty/);
    expect(() => decodeSecret('base64:', 'k')).toThrow(GripConfigError);
    expect(() => decodeSecret('base64:abc$def', 'k')).toThrow(/^k starts with 'base64:' but is not valid base64/);
  });
});

describe('loadVerifyKey', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('takes the algorithm from the key type', () => {
    expect(loadVerifyKey('secret').algorithm).toBe('HS256');
    expect(loadVerifyKey(new Uint8Array([1, 2])).algorithm).toBe('HS256');
    expect(loadVerifyKey(ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()).algorithm).toBe('ES256');
    expect(loadVerifyKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()).algorithm).toBe('RS256');
    expect(loadVerifyKey(ec.publicKey.export({ format: 'jwk' })).algorithm).toBe('ES256');
    expect(loadVerifyKey(JSON.stringify(ec.publicKey.export({ format: 'jwk' }))).algorithm).toBe('ES256');
    expect(loadVerifyKey({ kty: 'oct', k: 'c2VjcmV0' }).algorithm).toBe('HS256');
  });

  test('keeps only the public part of a private key', () => {
    const key = loadVerifyKey(ec.privateKey.export({ format: 'jwk' }));

    expect(key.keyObject.type).toBe('public');
  });

  test('loads the Fastly Fanout public key', () => {
    const key = fastlyFanoutVerifyKey();

    expect(key.algorithm).toBe('ES256');
    expect(key.keyObject.type).toBe('public');
  });

  test('refuses unsupported or broken keys', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;

    expect(() => loadVerifyKey(p384.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/curve secp384r1/);
    expect(() => loadVerifyKey(ed.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/ed25519/);
    expect(() => loadVerifyKey('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----')).toThrow(
      /not a usable PEM public key/,
    );
    expect(() => loadVerifyKey({ kty: 'oct' })).toThrow(/without 'k'/);
    expect(() => loadVerifyKey('{not json')).toThrow(/not valid JSON/);
  });
});
