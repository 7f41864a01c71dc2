/**
 * `Grip-Sig` verification. The proxy signs every request it forwards with a JWT; a backend reachable
 * without the proxy must check it before trusting `Meta-*` or `Connection-Id`. The algorithm comes from
 * the configured key, never from the token; `exp` is required; `iss` is pinned when configured.
 */
import jws from 'jws';
import { GripConfigError, GripSignatureError } from '../core/errors';
import type { VerifyKey } from './keys';

/** One trusted signer: a verify key and, when known, the issuer its tokens must carry. */
export interface TrustedKey {
  /** The key (and thereby the algorithm) that verifies the token. */
  readonly key: VerifyKey;
  /** The required `iss` claim; any issuer is accepted when absent. */
  readonly iss?: string;
  /**
   * An issuer whose tokens are refused even when the signature matches: the publish issuer of a proxy whose shared
   * key also signs this function's publishes, so a publish token never passes as a Grip-Sig.
   */
  readonly refusedIss?: string;
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
  const trimmed = token.trim();
  const decoded = decodeToken(trimmed);
  if (decoded === undefined) {
    throw new GripSignatureError(`Grip-Sig rejected: ${MALFORMED.message}`);
  }
  const reasons = verify.keys.map((trusted) => check(trimmed, decoded, trusted));
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

const MALFORMED: Rejection = { message: 'the token is malformed or unsigned', signatureMatched: false };

/** A token's header and claims, decoded once however many keys are tried. */
interface DecodedToken {
  readonly alg: unknown;
  /** `undefined` when the payload is not a JSON object. */
  readonly claims: Record<string, unknown> | undefined;
}

/** Decodes header and payload; `undefined` when the header is not a JSON object. */
function decodeToken(token: string): DecodedToken | undefined {
  // Header and payload only: the signature is not JSON (parsing it threw, and caught, on every request).
  const [header, payload] = token.split('.', 2).map(jsonObject);
  return header === undefined ? undefined : { alg: header.alg, claims: payload };
}

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies the signature with the algorithm of the key (jws), never the token's, then checks the claims strictly.
 * jws (jwa) takes a KeyObject wherever its typings say string or Buffer.
 */
function check(token: string, decoded: DecodedToken, trusted: TrustedKey): Rejection | undefined {
  const algorithm = trusted.key.algorithm;
  if (decoded.alg !== algorithm) {
    return { message: `the token's algorithm is not ${algorithm}`, signatureMatched: false };
  }
  let valid: boolean;
  try {
    valid = jws.verify(token, algorithm, trusted.key.keyObject as unknown as Buffer);
  } catch {
    return MALFORMED;
  }
  if (!valid) {
    return { message: 'the signature does not match any configured verify key', signatureMatched: false };
  }
  return checkClaims(decoded.claims, trusted);
}

function checkClaims(claims: Record<string, unknown> | undefined, trusted: TrustedKey): Rejection | undefined {
  if (claims === undefined) {
    return { message: 'the token has no JSON claims', signatureMatched: true };
  }
  if (typeof claims.exp !== 'number') {
    return { message: 'the token has no exp claim (the GRIP spec requires one)', signatureMatched: true };
  }
  const now = Date.now() / 1000;
  if (now > claims.exp + CLOCK_SKEW_SECONDS) {
    return { message: 'the token has expired (check the clocks of proxy and function)', signatureMatched: true };
  }
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now + CLOCK_SKEW_SECONDS < claims.nbf)) {
    return { message: 'the token is not valid yet (nbf in the future)', signatureMatched: true };
  }
  if (trusted.refusedIss !== undefined && claims.iss === trusted.refusedIss) {
    return {
      message: `the issuer is the publish issuer '${trusted.refusedIss}': a control API token is not a Grip-Sig`,
      signatureMatched: true,
    };
  }
  if (trusted.iss !== undefined && claims.iss !== trusted.iss) {
    return { message: `the issuer is not the configured '${trusted.iss}'`, signatureMatched: true };
  }
  return undefined;
}
