/**
 * Who may hold a channel (HTTP streams, Server-Sent Events, long-polls): with identity on (FAAS_GRIP_AUTH_ISSUER)
 * the request's token, checked as a WebSocket handshake's is (401, 503; 500 when it cannot be checked here, as
 * without Grip-Sig verification), then the channel rules for its user, or for an anonymous request with identity
 * off (403). A durable stream's next link must carry the token too: the proxy requests it with `Grip-Last` only, so
 * a token that came in a header or a cookie goes into the query of the request the hold is built from (the link is
 * that request's URL) when the settings read one there.
 */
import { loadAuth, peekAuth } from '../auth-loader';
import { type AuthorizeFunction, defaultRules, isAllowed } from '../core/channel-rules';
import { GripConfigError } from '../core/errors';
import type { VerifiedUser } from '../core/identity';
import { logger } from '../core/logger';
import { runtimeSettings } from '../core/settings';
import type { HoldResult } from '../grip/hold';
import type { GripConfig } from '../grip/io/grip-config';
import { GripRefusalText } from '../grip/io/read-grip-request';
import { type HttpRequest, type HttpResult, plainTextResult } from './http-event';

/**
 * A hold's access: allowed, with the user and the request the hold is built from (its query carrying a token that
 * came in a header or cookie, when the settings read one from the query: a durable stream's next link is that
 * request's URL), or the answer refusing it. `linkless`: the token cannot go in a link (the settings read none
 * from the query).
 */
export type HoldAccess =
  | { readonly ok: true; readonly user?: VerifiedUser; readonly request: HttpRequest; readonly linkless: boolean }
  | { readonly ok: false; readonly refusal: HttpResult };

/** Checks whether `request` may hold `channel` (its name without the GRIP prefix). */
export async function holdAccess(
  request: HttpRequest,
  config: GripConfig,
  channel: string,
  authorize: AuthorizeFunction | undefined,
): Promise<HoldAccess> {
  const refuse = (status: number, text: string): HoldAccess => ({
    ok: false,
    refusal: plainTextResult(request.version, status, text),
  });
  try {
    const auth = runtimeSettings().auth;
    let user: VerifiedUser | undefined;
    let held = request;
    let linkless = false;
    if (auth !== undefined) {
      if (!config.verify.enabled) {
        throw new GripConfigError(
          'verified identity needs Grip-Sig verification on GRIP (with GRIP_SIG_VERIFY=off anyone reaching the ' +
            'function could pose as the proxy): configure the verify key',
        );
      }
      const check = await (peekAuth() ?? (await loadAuth())).checkRequest(request, auth, { channel });
      if ('refusal' in check) return refuse(check.refusal.status, check.refusal.text);
      user = check.user;
      if (check.source !== 'query') {
        const query = auth.tokenFrom.find((s) => s.kind === 'query');
        if (query !== undefined && 'name' in query) {
          held = { ...request, query: { ...request.query, [query.name]: check.token } };
        } else linkless = true;
      }
    }
    if (!(await isAllowed({ user, channel, action: 'subscribe', op: 'hold' }, authorize ?? defaultRules()))) {
      return refuse(403, `forbidden: channel ${channel}\n`);
    }
    return { ok: true, ...(user === undefined ? {} : { user }), request: held, linkless };
  } catch (error) {
    if (!(error instanceof GripConfigError)) throw error;
    logger.error('the hold cannot be checked here: refusing it', { error });
    return refuse(500, GripRefusalText.CONFIGURATION);
  }
}

/** Warns when `hold` has a next link its token cannot go with (the stream then ends at that link). */
export function checkLink(hold: HoldResult, access: { readonly linkless: boolean }): void {
  if (!access.linkless || hold.headers['Grip-Link'] === undefined) return;
  logger.warn('this stream ends at its first next link: the token cannot go with it', {
    fix: 'let FAAS_GRIP_AUTH_TOKEN_FROM read a query parameter (query:access_token)',
  });
}
