/**
 * The pipeline's identity step, run before the user's function on every WebSocket event when verified identity is
 * on (FAAS_GRIP_AUTH_ISSUER): an opening handshake must carry a valid token (checked by ../auth, behind its door);
 * a later event runs only while the connection's token is valid, else the connection is closed with 4401 (with
 * FAAS_GRIP_AUTH_EXPIRY=close, the default) and the client library gets a fresh token and reconnects. A closing
 * event always reaches the function, so its clean-up runs.
 */
import { loadAuth, peekAuth } from '../auth-loader';
import { MetricName } from '../contract';
import { GripConfigError } from './errors';
import {
  AUTH_EXPIRED_CLOSE_CODE,
  AUTH_EXPIRED_CLOSE_REASON,
  type AuthSettings,
  isExpired,
  tokenExpiredFrame,
} from './identity';
import { logger } from './logger';
import { countMetric } from './metrics';
import { runtimeSettings } from './settings';
import type { WebSocketContext } from './websocket-context';

/**
 * True when the user's function may run for `ws`; false when the step answered instead (handshake rejected with
 * 401/503, or connection closed with 4401): the caller then answers with the context as it is. When identity
 * cannot be checked here (settings that cannot be used, unsigned GRIP requests, a bundle without the auth module)
 * it fails closed: the handshake is refused with 500 (an open connection closed with 1011) and the cause logged.
 */
export function authenticate(ws: WebSocketContext<unknown>, signed = true): boolean | Promise<boolean> {
  // Synchronous unless the auth module or the issuer's keys must be loaded: no promise on the common path.
  try {
    const outcome = check(ws, signed);
    return outcome instanceof Promise ? outcome.catch((error: unknown) => failClosed(ws, error)) : outcome;
  } catch (error) {
    return failClosed(ws, error);
  }
}

/** Refuses the connection when identity cannot be checked here; rethrows anything else. */
function failClosed(ws: WebSocketContext<unknown>, error: unknown): boolean {
  if (!(error instanceof GripConfigError)) throw error;
  logger.error('verified identity cannot be checked: refusing the connection', { error });
  if (ws.isOpening()) ws.reject(500, 'server configuration error: see the function logs\n');
  else if (!ws.disconnected && ws.peerClose === undefined) ws.close(1011, 'server configuration error');
  return false;
}

/** `signed`: false for a GRIP request whose `Grip-Sig` was not verified (GRIP_SIG_VERIFY=off). */
function check(ws: WebSocketContext<unknown>, signed: boolean): boolean | Promise<boolean> {
  const settings = runtimeSettings().auth;
  if (settings === undefined) return true;
  if (!signed) {
    throw new GripConfigError(
      'verified identity needs Grip-Sig verification on GRIP (with GRIP_SIG_VERIFY=off anyone reaching the ' +
        'function could pose as the proxy and name any user): configure the verify key',
    );
  }
  if (ws.isOpening()) {
    const auth = peekAuth();
    if (auth !== undefined) return auth.checkHandshake(ws, ws.handshake, settings);
    return loadAuth().then((loaded) => loaded.checkHandshake(ws, ws.handshake, settings));
  }
  return stillValid(ws, settings);
}

function stillValid(ws: WebSocketContext<unknown>, settings: AuthSettings): boolean {
  // The connection is ending: its clean-up runs whatever the token says.
  if (ws.disconnected || ws.peerClose !== undefined) return true;
  const user = ws.user;
  if (user !== undefined && (settings.expiry === 'keep' || !isExpired(user, settings.clockSkewSeconds))) return true;
  countMetric(MetricName.AUTH_REJECTED);
  logger.info('connection closed: its token expired', { connectionId: ws.id, sub: user?.sub });
  const reason = user === undefined ? 'not authenticated' : AUTH_EXPIRED_CLOSE_REASON;
  // API Gateway closes a connection without a code of our choosing (DeleteConnection): the frame says why.
  if (ws.transport.name === 'native') ws.send(tokenExpiredFrame(reason));
  ws.close(AUTH_EXPIRED_CLOSE_CODE, reason);
  return false;
}
