/**
 * The token check of a request that opens something: a WebSocket handshake, or an HTTP hold (stream, SSE,
 * long-poll). Finds the token where the settings say and verifies it: the user, or a refusal (401 for a missing or
 * unacceptable token, 503 when the issuer's keys cannot be fetched). Runs before any user code; the token is never
 * logged.
 */
import { MetricName } from '../contract';
import { type AuthSettings, findToken, type Handshake, UNAUTHORIZED_STATUS, type VerifiedUser } from '../core/identity';
import { logger } from '../core/logger';
import { countMetric } from '../core/metrics';
import { recordVerifiedUser, type WebSocketContext } from '../core/websocket-context';
import { IdentityProviderError, TokenRejectedError, tokenVerifier } from './token-verifier';

/** A request's check: its user (the token, where it was, the subprotocol to answer with), or how to refuse it. */
export type RequestCheck =
  | { readonly user: VerifiedUser; readonly token: string; readonly source: string; readonly protocol?: string }
  | { readonly refusal: { readonly status: number; readonly text: string } };

/**
 * Checks the token of `request`; `what` names it in the logs (a connection id, a channel). Answers synchronously
 * when the issuer's key is cached, with a promise when the JWKS must be fetched first.
 */
export function checkRequest(
  request: Handshake,
  settings: AuthSettings,
  what: Readonly<Record<string, string>>,
): RequestCheck | Promise<RequestCheck> {
  const found = findToken(request, settings.tokenFrom, settings.origins);
  if (found === undefined) {
    return unauthorized('no token', `no token in the request (looked in: ${sourcesText(settings)})`, what);
  }
  const verified = (user: VerifiedUser): RequestCheck => ({
    user,
    token: found.token,
    source: found.source,
    ...(found.protocol === undefined ? {} : { protocol: found.protocol }),
  });
  const verifier = tokenVerifier(settings);
  try {
    const user = verifier.verifyCached(found.token);
    if (user !== undefined) return verified(user);
  } catch (error) {
    return refused(error, found.source, what);
  }
  return verifier.verify(found.token).then(verified, (error: unknown) => refused(error, found.source, what));
}

/**
 * True when the handshake carries a valid token (the user is then on `ws.user`); else `ws` is rejected. Answers
 * synchronously when the issuer's key is cached, with a promise when the JWKS must be fetched first.
 */
export function checkHandshake(
  ws: WebSocketContext<unknown>,
  handshake: Handshake,
  settings: AuthSettings,
): boolean | Promise<boolean> {
  const apply = (check: RequestCheck): boolean => {
    if ('refusal' in check) {
      ws.reject(check.refusal.status, check.refusal.text);
      return false;
    }
    recordVerifiedUser(ws, check.user, check.protocol);
    return true;
  };
  const check = checkRequest(handshake, settings, { connectionId: ws.id });
  return check instanceof Promise ? check.then(apply) : apply(check);
}

/** The refusal for a failed check: 401 for the token's fault, 503 for the provider's; anything else is thrown. */
function refused(error: unknown, source: string, what: Readonly<Record<string, string>>): RequestCheck {
  if (error instanceof TokenRejectedError)
    return unauthorized(error.message, `${error.message} (from ${source})`, what);
  if (error instanceof IdentityProviderError) {
    logger.error('request refused: the identity provider could not be reached', { ...what, error });
    return { refusal: { status: 503, text: 'identity provider unavailable: try again\n' } };
  }
  throw error;
}

function unauthorized(reason: string, logged: string, what: Readonly<Record<string, string>>): RequestCheck {
  countMetric(MetricName.AUTH_REJECTED);
  logger.warn('request refused: unauthorized', { ...what, reason: logged });
  return { refusal: { status: UNAUTHORIZED_STATUS, text: `unauthorized: ${reason}\n` } };
}

function sourcesText(settings: AuthSettings): string {
  return settings.tokenFrom.map((s) => ('name' in s ? `${s.kind}:${s.name}` : s.kind)).join(', ');
}
