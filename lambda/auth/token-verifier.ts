/**
 * Verifies a connection's token (a JWT from an OIDC issuer: Amazon Cognito user pools, or any provider with a JWKS)
 * with AWS's aws-jwt-verify: signature against the issuer's JWKS, `iss`, `exp` and `nbf` with a bounded clock skew,
 * then the audience (`aud`, or `client_id` for Cognito access tokens) and `token_use` when asked.
 *
 * The algorithm is the key's, never the token's: a token must name exactly the algorithm of the JWK its `kid`
 * points at (the JWK's `alg`, else the one its type and curve imply), so an RSA key cannot be used with another RSA
 * padding or an HMAC secret made of the public key; `none` and symmetric algorithms are never accepted.
 *
 * The JWKS is fetched on first use, kept for the container's life, and fetched again for an unknown `kid` (key
 * rotation) at most once per 10 seconds (aws-jwt-verify's penalty box); concurrent first uses share one fetch.
 */

import {
  FetchError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { containerScoped } from '../core/container';
import { FaasGripError, TimeoutError } from '../core/errors';
import type { AuthSettings, VerifiedUser } from '../core/identity';
import { jwksFetcher } from './jwks-fetcher';

/** A token that cannot be accepted; `reason` says why in the user's terms (never the token itself). */
export class TokenRejectedError extends FaasGripError {
  override name = 'TokenRejectedError';
}

/** The identity provider could not be reached to check a token (JWKS unavailable): the client may retry. */
export class IdentityProviderError extends FaasGripError {
  override name = 'IdentityProviderError';
}

/** Verifies tokens for one configuration. */
export interface TokenVerifier {
  /** The verified user of `token`. @throws TokenRejectedError, IdentityProviderError */
  verify(token: string): Promise<VerifiedUser>;
  /**
   * The verified user of `token` when its key is cached (no I/O, no promise); undefined when the JWKS must be
   * fetched first (then {@link verify}). @throws TokenRejectedError
   */
  verifyCached(token: string): VerifiedUser | undefined;
}

/** Longest token accepted, in characters (Cognito's are 1-2 KB; a bigger one is refused before parsing). */
export const MAX_TOKEN_LENGTH = 16_384;

/** Creates a verifier; its JWKS cache lives as long as it does (keep one per container: {@link tokenVerifier}). */
export function createTokenVerifier(settings: AuthSettings): TokenVerifier {
  const verifier = JwtVerifier.create(
    {
      issuer: settings.issuer,
      jwksUri: settings.jwksUri,
      audience: null,
      graceSeconds: settings.clockSkewSeconds,
      customJwtCheck: ({ header, payload, jwk }) => {
        const expected = keyAlgorithm(jwk as Record<string, unknown>);
        if (header.alg !== expected) {
          throw new TokenRejectedError(`the token names algorithm ${header.alg}, but its key is for ${expected}`);
        }
        if (typeof payload.exp !== 'number') throw new TokenRejectedError('the token has no expiry (exp)');
        if (typeof payload.sub !== 'string' || payload.sub === '') {
          throw new TokenRejectedError('the token has no subject (sub)');
        }
        checkAudience(payload as Record<string, unknown>, settings);
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: jwksFetcher() }) },
  );
  const userOf = (payload: Record<string, unknown>): VerifiedUser => {
    const claims: Record<string, unknown> = {};
    for (const name of settings.claims) if (payload[name] !== undefined) claims[name] = payload[name];
    return { sub: payload.sub as string, issuer: payload.iss as string, expiresAt: payload.exp as number, claims };
  };
  const cached = (token: string): VerifiedUser | undefined => {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new TokenRejectedError('the token is empty or too long');
    }
    try {
      // With the key cached (every check but a container's first and a rotation's), synchronously.
      return userOf(verifier.verifySync(token) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError) return undefined;
      throw rejection(error);
    }
  };
  return {
    verifyCached: cached,
    async verify(token) {
      const user = cached(token);
      if (user !== undefined) return user;
      try {
        return userOf((await verifier.verify(token)) as Record<string, unknown>);
      } catch (error) {
        throw rejection(error);
      }
    },
  };
}

/** The container's verifier (and so its JWKS cache), with the settings it was made for. */
const current = containerScoped<{
  held?: { readonly settings: AuthSettings; readonly key: string; readonly verifier: TokenVerifier };
}>(() => ({}));

/**
 * The container's verifier for `settings`: one JWKS cache per container, kept while the settings say the same (a
 * new one, with a new cache, only when they change).
 */
export function tokenVerifier(settings: AuthSettings): TokenVerifier {
  const slot = current.get();
  if (slot.held?.settings === settings) return slot.held.verifier;
  const key = JSON.stringify(settings);
  if (slot.held?.key !== key) slot.held = { settings, key, verifier: createTokenVerifier(settings) };
  else slot.held = { ...slot.held, settings };
  return slot.held.verifier;
}

/** The algorithm a JWK is for: its `alg`, else the one its key type (and curve) implies. */
function keyAlgorithm(jwk: Record<string, unknown>): string {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[String(jwk.crv)] ?? 'none';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'none';
}

function checkAudience(payload: Record<string, unknown>, settings: AuthSettings): void {
  if (settings.tokenUse !== undefined && payload.token_use !== settings.tokenUse) {
    throw new TokenRejectedError(`the token is not an ${settings.tokenUse} token (token_use)`);
  }
  if (settings.audience.length === 0) return;
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [payload.client_id] : [aud];
  if (!audiences.some((a) => typeof a === 'string' && settings.audience.includes(a))) {
    throw new TokenRejectedError('the token is for another audience (aud / client_id)');
  }
}

/** What a failed verification means: the token's fault, or the provider's (unreachable JWKS). */
function rejection(error: unknown): Error {
  if (error instanceof TokenRejectedError) return error;
  if (error instanceof FetchError || error instanceof TimeoutError || error instanceof JwksValidationError) {
    return new IdentityProviderError(`the issuer's JWKS could not be fetched: ${error.message}`, { cause: error });
  }
  if (error instanceof JwtBaseError) return new TokenRejectedError(reasonOf(error), { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new IdentityProviderError(`the token could not be checked: ${message}`, { cause: error });
}

function reasonOf(error: JwtBaseError): string {
  if (error instanceof JwtExpiredError) return 'the token has expired';
  if (error instanceof JwtNotBeforeError) return 'the token is not valid yet (nbf)';
  if (error instanceof JwtInvalidIssuerError) return 'the token is from another issuer';
  if (error instanceof JwtInvalidSignatureError) return 'the token signature is invalid';
  if (
    error instanceof KidNotFoundInJwksError ||
    error instanceof WaitPeriodNotYetEndedJwkError ||
    error instanceof JwtWithoutValidKidError
  ) {
    return "the token is signed by a key the issuer's JWKS does not have";
  }
  if (error instanceof JwtParseError) return 'the token is not a JWT';
  return `the token is not acceptable (${error.message})`;
}
