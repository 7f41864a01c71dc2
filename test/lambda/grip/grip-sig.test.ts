import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { GripConfigError, GripSignatureError } from '../../../lambda/core/errors';
import { type SignatureVerification, verifyGripSignature } from '../../../lambda/grip/grip-sig';
import { loadVerifyKey } from '../../../lambda/grip/keys';

const SECRET = 'pushpin-shared-secret';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const now = () => Math.floor(Date.now() / 1000);

const hsOnly: SignatureVerification = { enabled: true, keys: [{ key: loadVerifyKey(SECRET), iss: 'pushpin' }] };
const ecOnly: SignatureVerification = { enabled: true, keys: [{ key: loadVerifyKey(ecPem), iss: 'fastly:svc' }] };
const both: SignatureVerification = { enabled: true, keys: [...hsOnly.keys, ...ecOnly.keys] };

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT built by hand, for headers jsonwebtoken refuses to sign. */
function handMade(header: object, payload: object, sign: (input: string) => string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input)}`;
}

function rejection(token: string | undefined, verify: SignatureVerification): string {
  try {
    verifyGripSignature(token, verify);
  } catch (error) {
    expect(error).toBeInstanceOf(GripSignatureError);
    const message = (error as Error).message;
    if (token) expect(message).not.toContain(token);
    return message;
  }
  throw new Error('the token was accepted');
}

describe('verifyGripSignature: forged requests', () => {
  const exp = now() + 3600;

  test('refuses a request without token', () => {
    expect(rejection(undefined, hsOnly)).toMatch(/no Grip-Sig header/);
    expect(rejection('', hsOnly)).toMatch(/no Grip-Sig header/);
    expect(rejection('garbage', hsOnly)).toMatch(/not a JWT/);
  });

  test('refuses a bad signature', () => {
    const token = jwt.sign({ iss: 'pushpin', exp }, 'another-secret', { algorithm: 'HS256' });

    expect(rejection(token, hsOnly)).toMatch(/signature does not match/);
  });

  test('refuses an expired token, beyond the clock skew', () => {
    const token = jwt.sign({ iss: 'pushpin', exp: now() - 120 }, SECRET, { algorithm: 'HS256' });

    expect(rejection(token, hsOnly)).toMatch(/expired/);
  });

  test('refuses a token without exp', () => {
    const token = jwt.sign({ iss: 'pushpin' }, SECRET, { algorithm: 'HS256', noTimestamp: true });

    expect(rejection(token, hsOnly)).toMatch(/no exp claim/);
  });

  test('refuses a wrong or missing issuer', () => {
    const wrong = jwt.sign({ iss: 'someone-else', exp }, SECRET, { algorithm: 'HS256' });
    const missing = jwt.sign({ exp }, SECRET, { algorithm: 'HS256' });

    expect(rejection(wrong, hsOnly)).toMatch(/issuer is not the configured 'pushpin'/);
    expect(rejection(missing, hsOnly)).toMatch(/issuer/);
  });

  test('refuses HS512 even with the right secret', () => {
    const token = jwt.sign({ iss: 'pushpin', exp }, SECRET, { algorithm: 'HS512' });

    expect(rejection(token, hsOnly)).toMatch(/algorithm is not HS256/);
  });

  test('refuses alg none', () => {
    const token = handMade({ alg: 'none', typ: 'JWT' }, { iss: 'pushpin', exp }, () => '');

    expect(rejection(token, both)).toMatch(/Grip-Sig rejected/);
  });

  test('refuses HS256 signed with the PEM text of the configured public key (algorithm confusion)', () => {
    const token = handMade({ alg: 'HS256', typ: 'JWT' }, { iss: 'fastly:svc', exp }, (input) =>
      createHmac('sha256', ecPem).update(input).digest('base64url'),
    );

    expect(rejection(token, ecOnly)).toMatch(/algorithm is not ES256/);
    rejection(token, both);
  });

  test('accepts a valid HS256 token', () => {
    const token = jwt.sign({ iss: 'pushpin', exp }, SECRET, { algorithm: 'HS256' });

    expect(() => verifyGripSignature(token, hsOnly)).not.toThrow();
    expect(() => verifyGripSignature(token, both)).not.toThrow();
  });

  test('accepts a valid ES256 token', () => {
    const token = jwt.sign({ iss: 'fastly:svc', exp }, ec.privateKey, { algorithm: 'ES256' });

    expect(() => verifyGripSignature(token, ecOnly)).not.toThrow();
    expect(() => verifyGripSignature(token, both)).not.toThrow();
    expect(rejection(token, hsOnly)).toMatch(/algorithm is not HS256/);
  });

  test('accepts a token expired less than the clock skew ago', () => {
    const token = jwt.sign({ iss: 'pushpin', exp: now() - 5 }, SECRET, { algorithm: 'HS256' });

    expect(() => verifyGripSignature(token, hsOnly)).not.toThrow();
  });

  test('accepts any issuer when none is pinned', () => {
    const token = jwt.sign({ iss: 'anything', exp }, SECRET, { algorithm: 'HS256' });

    expect(() => verifyGripSignature(token, { enabled: true, keys: [{ key: loadVerifyKey(SECRET) }] })).not.toThrow();
  });
});

describe('verifyGripSignature: configuration', () => {
  test('fails with a configuration error when no key is known', () => {
    expect(() => verifyGripSignature('a.b.c', { enabled: true, keys: [] })).toThrow(GripConfigError);
    expect(() => verifyGripSignature('a.b.c', { enabled: true, keys: [] })).toThrow(/GRIP_SIG_VERIFY=off/);
  });

  test('lets everything through when turned off, warning once', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      verifyGripSignature(undefined, { enabled: false, keys: [] });
      verifyGripSignature('forged', { enabled: false, keys: [] });

      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/verification is off/);
    } finally {
      warn.mockRestore();
    }
  });
});
