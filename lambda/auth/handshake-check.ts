/**
 * The opening handshake's check: find the token where the settings say, verify it, and either record the user on
 * the context (with the subprotocol to answer) or refuse the handshake: 401 for a missing or unacceptable token,
 * 503 when the issuer's keys cannot be fetched. Runs before any user code; the token is never logged.
 */
import { MetricName } from '../contract';
import { type AuthSettings, findToken, type Handshake, UNAUTHORIZED_STATUS } from '../core/identity';
import { logger } from '../core/logger';
import { countMetric } from '../core/metrics';
import { recordVerifiedUser, type WebSocketContext } from '../core/websocket-context';
import { IdentityProviderError, TokenRejectedError, tokenVerifier } from './token-verifier';

/**
 * True when the handshake carries a valid token (the user is then on `ws.user`); else `ws` is rejected. Answers
 * synchronously when the issuer's key is cached, with a promise when the JWKS must be fetched first.
 */
export function checkHandshake(
  ws: WebSocketContext<unknown>,
  handshake: Handshake,
  settings: AuthSettings,
): boolean | Promise<boolean> {
  const found = findToken(handshake, settings.tokenFrom, settings.origins);
  if (found === undefined) {
    refuse(ws, 'no token', `no token in the handshake (looked in: ${sourcesText(settings)})`);
    return false;
  }
  const verifier = tokenVerifier(settings);
  try {
    const user = verifier.verifyCached(found.token);
    if (user !== undefined) {
      recordVerifiedUser(ws, user, found.protocol);
      return true;
    }
  } catch (error) {
    return refused(ws, error, found.source);
  }
  return verifier.verify(found.token).then(
    (user) => {
      recordVerifiedUser(ws, user, found.protocol);
      return true;
    },
    (error: unknown) => refused(ws, error, found.source),
  );
}

/** Rejects `ws` for a failed check: 401 for the token's fault, 503 for the provider's; anything else is thrown. */
function refused(ws: WebSocketContext<unknown>, error: unknown, source: string): boolean {
  if (error instanceof TokenRejectedError) {
    refuse(ws, error.message, `${error.message} (from ${source})`);
    return false;
  }
  if (error instanceof IdentityProviderError) {
    logger.error('connection refused: the identity provider could not be reached', { error });
    ws.reject(503, 'identity provider unavailable: try again\n');
    return false;
  }
  throw error;
}

function refuse(ws: WebSocketContext<unknown>, reason: string, logged: string): void {
  countMetric(MetricName.AUTH_REJECTED);
  logger.warn('connection refused: unauthorized', { connectionId: ws.id, reason: logged });
  ws.reject(UNAUTHORIZED_STATUS, `unauthorized: ${reason}\n`);
}

function sourcesText(settings: AuthSettings): string {
  return settings.tokenFrom.map((s) => ('name' in s ? `${s.kind}:${s.name}` : s.kind)).join(', ');
}
