import { generateKeyPairSync } from 'node:crypto';
import { GripConfigError } from '../../../lambda/core/errors';
import { parseGripProxies, parseGripUrl } from '../../../lambda/grip/grip-url';

// Bytes whose base64 holds both '+' and '/', the characters URL handling breaks.
const REALM_KEY = Buffer.from([0xfb, 0xef, 0xff, 0x01, 0x02, 0x03]);
const REALM_KEY_B64 = REALM_KEY.toString('base64');

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('parseGripUrl', () => {
  test('reads the Fanout Cloud form: JWT auth, and the realm key verifies Grip-Sig', () => {
    expect(REALM_KEY_B64).toMatch(/\+/);
    const proxy = parseGripUrl(`https://api.fanout.io/realm/myrealm?iss=myrealm&key=base64:${REALM_KEY_B64}`);

    expect(proxy.controlUri).toBe('https://api.fanout.io/realm/myrealm');
    expect(proxy.controlIss).toBe('myrealm');
    expect(Buffer.from(proxy.key!)).toEqual(REALM_KEY);
    expect(proxy.verifyKey?.algorithm).toBe('HS256');
    expect(proxy.verifyKey?.keyObject.export()).toEqual(REALM_KEY);
    expect(proxy.verifyIss).toBeUndefined();
  });

  test('reads the Fastly form: Bearer key, Fastly public key for fastly: issuers', () => {
    const proxy = parseGripUrl('https://api.fastly.com/service/SID123?key=apiToken_x&verify-iss=fastly:SID123');

    expect(proxy.controlUri).toBe('https://api.fastly.com/service/SID123');
    expect(proxy.controlIss).toBeUndefined();
    expect(Buffer.from(proxy.key!).toString()).toBe('apiToken_x');
    expect(proxy.verifyIss).toBe('fastly:SID123');
    expect(proxy.verifyKey?.algorithm).toBe('ES256');
    expect(proxy.verifyKey?.keyObject.export({ format: 'jwk' })).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      x: 'CKo5A1ebyFcnmVV8SE5On-8G81JyBjSvcrx4VLetWCg',
    });
  });

  test('uses the Fastly key for fastly: issuers even when iss and key are set', () => {
    expect(parseGripUrl('https://h/?iss=a&key=k&verify-iss=fastly:S').verifyKey?.algorithm).toBe('ES256');
  });

  test('reads the Pushpin form: no auth, no verify key, one trailing slash stripped', () => {
    expect(parseGripUrl('http://localhost:5561/')).toEqual({ controlUri: 'http://localhost:5561' });
    expect(parseGripUrl('http://127.0.0.1:5561/base//').controlUri).toBe('http://127.0.0.1:5561/base/');
  });

  test('repairs an unencoded + and accepts %2B and base64url', () => {
    const plus = parseGripUrl(`https://h/r?iss=r&key=base64:${REALM_KEY_B64}`);
    const encoded = parseGripUrl(`https://h/r?iss=r&key=base64:${encodeURIComponent(REALM_KEY_B64)}`);
    const url = parseGripUrl(`https://h/r?iss=r&key=base64:${REALM_KEY.toString('base64url')}`);
    const spaced = parseGripUrl('https://h/r', { verifyKey: `base64:${REALM_KEY_B64.replace(/\+/g, ' ')}` });

    for (const key of [plus.key, encoded.key, url.key]) expect(Buffer.from(key!)).toEqual(REALM_KEY);
    expect(spaced.verifyKey?.keyObject.export()).toEqual(REALM_KEY);
  });

  test('keeps a raw key with + as is', () => {
    expect(Buffer.from(parseGripUrl('https://h/?key=a+b').key!).toString()).toBe('a+b');
  });

  test('moves userinfo to Basic credentials and keeps other query params', () => {
    const proxy = parseGripUrl('https://me:p%40ss@example.com/path/?foo=bar&iss=x&key=k&baz=1');

    expect(proxy).toMatchObject({ controlUri: 'https://example.com/path?foo=bar&baz=1', user: 'me', pass: 'p@ss' });
    expect(proxy.controlUri).not.toContain('me:');
  });

  test('overrides verify-key and verify-iss', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const proxy = parseGripUrl('https://h/?iss=a&key=k&verify-iss=old', { verifyKey: pem, verifyIss: 'new' });

    expect(proxy.verifyKey?.algorithm).toBe('ES256');
    expect(proxy.verifyIss).toBe('new');
  });

  test('loads a percent-encoded PEM verify-key from the URL', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

    expect(parseGripUrl(`https://h/?verify-key=${encodeURIComponent(pem)}`).verifyKey?.algorithm).toBe('RS256');
  });

  test('fails on iss without key, never signing with an empty key', () => {
    expect(() => parseGripUrl('https://h/?iss=realm')).toThrow(GripConfigError);
    expect(() => parseGripUrl('https://h/?iss=realm')).toThrow(/iss 'realm' but no key/);
    expect(() => parseGripUrl('https://h/?iss=realm&key=')).toThrow(/key is empty/);
  });

  test('fails on malformed input without showing the key', () => {
    const secret = 'S3cr3tValue';
    const cases = [
      `not a url ${secret}`,
      `ftp://h/?key=${secret}`,
      `https://h/?key=base64:${secret}!!`,
      `https://h/?key=${secret}&key=${secret}`,
      `https://h/?key=${secret}%zz`,
      `https://h/?verify-key={${secret}`,
    ];
    for (const url of cases) {
      const message = messageOf(() => parseGripUrl(url));
      expect(message).toMatch(/^GRIP_URL /);
      expect(message).not.toContain(secret);
    }
  });
});

describe('parseGripProxies', () => {
  test('reads strings and objects', () => {
    const proxies = parseGripProxies(
      JSON.stringify([
        'http://localhost:5561/',
        { control_uri: 'https://api.fanout.io/realm/r', control_iss: 'r', key: 'base64:AAEC' },
        { controlUri: 'https://x/y', key: 'tok', verify_iss: 'fastly:s' },
      ]),
    );

    expect(proxies.map((p) => p.controlUri)).toEqual([
      'http://localhost:5561',
      'https://api.fanout.io/realm/r',
      'https://x/y',
    ]);
    expect(Buffer.from(proxies[1]!.key!)).toEqual(Buffer.from([0, 1, 2]));
    expect(proxies[1]!.verifyKey?.algorithm).toBe('HS256');
    expect(proxies[2]!.verifyKey?.algorithm).toBe('ES256');
  });

  test('accepts a JWK object as verify_key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [proxy] = parseGripProxies(
      JSON.stringify([{ control_uri: 'https://h/', verify_key: publicKey.export({ format: 'jwk' }) }]),
    );

    expect(proxy!.verifyKey?.algorithm).toBe('ES256');
  });

  test('fails on invalid JSON, a non-list, an unknown field and a missing control_uri', () => {
    expect(() => parseGripProxies('http://h/')).toThrow(/GRIP_PROXIES is not valid JSON/);
    expect(() => parseGripProxies('{"control_uri":"http://h/"}')).toThrow(/must be a JSON list/);
    expect(() => parseGripProxies('[{"control_uri":"http://h/","secret":"x"}]')).toThrow(/unknown field 'secret'/);
    expect(() => parseGripProxies('[{"key":"x"}]')).toThrow(/GRIP_PROXIES\[0\] has no control_uri/);
    expect(() => parseGripProxies('[42]')).toThrow(GripConfigError);
  });
});
