/**
 * Token verification against a real OIDC issuer on loopback (oidc-provider, its own JWKS): the tokens it issues are
 * accepted; every kind of token it would never issue is refused, by the library's checks and by ours (the
 * algorithm pinned to the key, audience, token_use, exp and sub required).
 */
import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createTokenVerifier, IdentityProviderError, TokenRejectedError } from '../../../lambda/auth/token-verifier';
import { type AuthSettings, parseAuthSettings } from '../../../lambda/core/identity';
import { newSigningKey } from '../../../local/identity/dev-issuer';
import { type DevIssuerProcess, startDevIssuerProcess } from '../../helpers/dev-issuer';

jest.setTimeout(60_000);

let idp: DevIssuerProcess;
let settings: AuthSettings;

beforeAll(async () => {
  idp = await startDevIssuerProcess();
  settings = parseAuthSettings({
    FAAS_GRIP_AUTH_ISSUER: idp.issuer,
    FAAS_GRIP_AUTH_AUDIENCE: idp.clientId,
  }) as AuthSettings;
});
afterAll(() => idp?.stop());

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const refusal = async (token: string, s: AuthSettings = settings) => {
  const error = await createTokenVerifier(s)
    .verify(token)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(TokenRejectedError);
  return (error as Error).message;
};

describe('accepts', () => {
  it('an ID token the issuer signed in through its own flow, with the kept claims', async () => {
    const user = await createTokenVerifier(settings).verify(await idp.signIn('bob'));
    expect(user).toMatchObject({ sub: 'bob', issuer: idp.issuer, claims: { name: 'bob', preferred_username: 'bob' } });
    expect(user.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('a token expired less than the clock skew ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(createTokenVerifier(settings).verify(idp.craft({ exp: now - 10 }))).resolves.toMatchObject({
      sub: 'alice',
    });
  });

  it('a Cognito-style access token: no aud, client_id and token_use checked', async () => {
    const s = { ...settings, tokenUse: 'access' as const };
    const token = idp.craft({ aud: undefined, client_id: idp.clientId, token_use: 'access' });
    await expect(createTokenVerifier(s).verify(token)).resolves.toMatchObject({ sub: 'alice' });
    expect(await refusal(idp.craft({ aud: undefined, client_id: idp.clientId, token_use: 'id' }), s)).toMatch(
      /token_use/,
    );
    expect(await refusal(idp.craft({ aud: undefined, client_id: 'other', token_use: 'access' }), s)).toMatch(
      /audience/,
    );
  });
});

describe('refuses', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('a forged token: payload changed, signature kept', async () => {
    const [h, , s] = idp.craft({ sub: 'alice' }).split('.');
    const forged = `${h}.${b64({ iss: idp.issuer, aud: idp.clientId, sub: 'admin', exp: now() + 600 })}.${s}`;
    expect(await refusal(forged)).toMatch(/signature is invalid/);
  });

  it('a token signed by another key under the issuer key id', async () => {
    expect(await refusal(idp.craft({}, { key: newSigningKey('x'), kid: idp.keys[0].kid }))).toMatch(
      /signature is invalid/,
    );
  });

  it('a token signed by a key the JWKS does not have (unknown kid)', async () => {
    expect(await refusal(idp.craft({}, { key: newSigningKey('unknown-kid') }))).toMatch(
      /key the issuer's JWKS does not have/,
    );
  });

  it('an expired token, and one not valid yet', async () => {
    expect(await refusal(idp.craft({ exp: now() - 120 }))).toMatch(/expired/);
    expect(await refusal(idp.craft({ nbf: now() + 120 }))).toMatch(/not valid yet/);
  });

  it('a token for another audience, and one from another issuer', async () => {
    expect(await refusal(idp.craft({ aud: 'someone-else' }))).toMatch(/audience/);
    expect(await refusal(idp.craft({ iss: 'https://evil.example.com' }))).toMatch(/issuer/);
  });

  it('alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT', kid: idp.keys[0].kid })}.${b64({ iss: idp.issuer, aud: idp.clientId, sub: 'alice', exp: now() + 600 })}.`;
    await refusal(token);
  });

  it('HS256 signed with the public key as the secret', async () => {
    const publicPem = createPublicKey({ key: idp.keys[0] as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const token = jwt.sign({ iss: idp.issuer, aud: idp.clientId, sub: 'admin', exp: now() + 600 }, publicPem, {
      algorithm: 'HS256',
      keyid: idp.keys[0].kid,
    });
    await refusal(token);
  });

  it('an algorithm the key is not for (RS384 with an RS256 key)', async () => {
    const pem = require('node:crypto')
      .createPrivateKey({ key: idp.keys[0], format: 'jwk' })
      .export({ type: 'pkcs8', format: 'pem' });
    const token = jwt.sign({ iss: idp.issuer, aud: idp.clientId, sub: 'alice', exp: now() + 600 }, pem, {
      algorithm: 'RS384',
      keyid: idp.keys[0].kid,
    });
    expect(await refusal(token)).toMatch(/RS384.*RS256/);
  });

  it('a token without expiry or subject, garbage, and one over the length limit', async () => {
    expect(await refusal(idp.craft({ exp: undefined }))).toMatch(/expiry|exp/);
    expect(await refusal(idp.craft({ sub: undefined }))).toMatch(/subject|sub/);
    expect(await refusal('not-a-jwt')).toMatch(/not a JWT|not acceptable/);
    expect(await refusal('a'.repeat(20_000))).toMatch(/too long/);
  });
});

describe('the JWKS', () => {
  it('is fetched once for 1,000 concurrent first verifications, and not again for a known key', async () => {
    const before = await idp.jwksCount();
    const verifier = createTokenVerifier(settings);
    const token = idp.craft();
    const users = await Promise.all(Array.from({ length: 1000 }, () => verifier.verify(token)));
    expect(users.every((u) => u.sub === 'alice')).toBe(true);
    await verifier.verify(idp.craft({ sub: 'carol' }));
    expect((await idp.jwksCount()) - before).toBe(1);
  });

  it('is fetched again at most once per wait period for unknown key ids', async () => {
    const verifier = createTokenVerifier(settings);
    await verifier.verify(idp.craft());
    const before = await idp.jwksCount();
    const rogue = newSigningKey('rogue');
    for (let i = 0; i < 20; i++) {
      await expect(verifier.verify(idp.craft({}, { key: rogue, kid: `rogue-${i}` }))).rejects.toBeInstanceOf(
        TokenRejectedError,
      );
    }
    expect((await idp.jwksCount()) - before).toBe(1);
  });

  it('is fetched again when the issuer rotates to a new key', async () => {
    const port = Number(new URL(idp.issuer).port);
    const verifier = createTokenVerifier(settings);
    await verifier.verify(idp.craft());
    const oldKey = idp.keys[0];
    await idp.stop();
    const k2 = newSigningKey('k2');
    idp = await startDevIssuerProcess({ keys: [k2, oldKey], port });
    const user = await verifier.verify(idp.craft({ sub: 'dave' }, { key: k2 }));
    expect(user.sub).toBe('dave');
    expect(await idp.jwksCount()).toBe(1);
    // The old key still verifies (it is still published), without another fetch.
    await verifier.verify(idp.craft({}, { key: oldKey }));
    expect(await idp.jwksCount()).toBe(1);
  });

  it('unreachable: IdentityProviderError, not a refusal of the token', async () => {
    const s = { ...settings, jwksUri: 'http://127.0.0.1:9/.well-known/jwks.json' };
    await expect(createTokenVerifier(s).verify(idp.craft())).rejects.toBeInstanceOf(IdentityProviderError);
  });
});
