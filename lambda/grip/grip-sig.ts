/**
 * `Grip-Sig` verification. The proxy signs every request it forwards with a JWT; a backend reachable
 * without the proxy must check it before trusting `Meta-*` or `Connection-Id`. The algorithm comes from
 * the configured key, never from the token; `exp` is required; `iss` is pinned when configured.
 */
import jwt from 'jsonwebtoken';
import { GripConfigError, GripSignatureError } from '../errors';
import type { VerifyKey } from './keys';

/** One trusted signer: a verify key and, when known, the issuer its tokens must carry. */
export interface TrustedKey {
  /** The key (and thereby the algorithm) that verifies the token. */
  readonly key: VerifyKey;
  /** The required `iss` claim; any issuer is accepted when absent. */
  readonly iss?: string;
}

/** How incoming `Grip-Sig` tokens are checked. A token is valid when any trusted key verifies it. */
export interface SignatureVerification {
  /** `false` only when explicitly turned off (GRIP_SIG_VERIFY=off). */
  readonly enabled: boolean;
  /** One entry per proxy with a verify key (plus GRIP_VERIFY_KEY when no proxy is configured). */
  readonly keys: readonly TrustedKey[];
}

/** Tolerated clock difference between the proxy and the function when checking `exp` and `nbf`. */
export const CLOCK_SKEW_SECONDS = 30;

/** Longest `Grip-Sig` accepted; proxies send a few hundred bytes. */
const MAX_TOKEN_LENGTH = 8192;

let warnedDisabled = false;

/**
 * Checks a `Grip-Sig` header value against the configured keys.
 *
 * @param token the header value, `undefined` when the request has none.
 * @param verify the verification settings (from {@link loadGripConfig}).
 * @throws GripSignatureError when the token is missing or no trusted key verifies it (the token is never shown).
 * @throws GripConfigError when verification is on but no verify key is configured.
 */
export function verifyGripSignature(token: string | undefined, verify: SignatureVerification): void {
  if (!verify.enabled) {
    if (!warnedDisabled) {
      warnedDisabled = true;
      console.warn('Grip-Sig verification is off (GRIP_SIG_VERIFY=off): any caller can forge Meta-* headers');
    }
    return;
  }
  if (verify.keys.length === 0) {
    throw new GripConfigError(
      'Grip-Sig verification is on but no verify key is configured: add verify-key=... (or iss and key) to ' +
        'GRIP_URL, set GRIP_VERIFY_KEY, or set GRIP_SIG_VERIFY=off when only the proxy can reach this function',
    );
  }
  if (token === undefined || token.trim() === '') {
    throw new GripSignatureError('request has no Grip-Sig header: only requests from the GRIP proxy are accepted');
  }
  if (token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) {
    throw new GripSignatureError('Grip-Sig is not a JWT: only requests from the GRIP proxy are accepted');
  }
  const reasons = verify.keys.map((trusted) => check(token.trim(), trusted));
  if (reasons.includes(undefined)) {
    return;
  }
  // A reason found after the signature matched (expired, issuer) says more than "signature mismatch".
  const best = reasons.find((r) => r?.signatureMatched) ?? reasons[0]!;
  throw new GripSignatureError(`Grip-Sig rejected: ${best.message}`);
}

interface Rejection {
  readonly message: string;
  readonly signatureMatched: boolean;
}

function check(token: string, trusted: TrustedKey): Rejection | undefined {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, trusted.key.keyObject, {
      algorithms: [trusted.key.algorithm],
      clockTolerance: CLOCK_SKEW_SECONDS,
      ...(trusted.iss === undefined ? {} : { issuer: trusted.iss }),
    });
  } catch (error) {
    return describe(error, trusted);
  }
  if (typeof payload === 'string' || typeof payload.exp !== 'number') {
    return { message: 'the token has no exp claim (the GRIP spec requires one)', signatureMatched: true };
  }
  return undefined;
}

function describe(error: unknown, trusted: TrustedKey): Rejection {
  if (error instanceof jwt.TokenExpiredError) {
    return { message: 'the token has expired (check the clocks of proxy and function)', signatureMatched: true };
  }
  if (error instanceof jwt.NotBeforeError) {
    return { message: 'the token is not valid yet (nbf in the future)', signatureMatched: true };
  }
  const text = error instanceof Error ? error.message : '';
  if (text.startsWith('jwt issuer invalid')) {
    return { message: `the issuer is not the configured '${trusted.iss}'`, signatureMatched: true };
  }
  if (text === 'invalid algorithm' || text.includes('must be a symmetric key') || text.includes('asymmetric key')) {
    return { message: `the token's algorithm is not ${trusted.key.algorithm}`, signatureMatched: false };
  }
  if (text === 'invalid signature') {
    return { message: 'the signature does not match any configured verify key', signatureMatched: false };
  }
  return { message: 'the token is malformed or unsigned', signatureMatched: false };
}
