/**
 * Who may hold a channel (HTTP streams, Server-Sent Events, long-polls): with identity on (FAAS_GRIP_AUTH_ISSUER)
 * the request's token, checked as a WebSocket handshake's is (401, 503; 500 when it cannot be checked here, as
 * without Grip-Sig verification), then the channel rules for its user, or for an anonymous request with identity
 * off (403). A durable stream's next link must carry the token too: the proxy requests it with `Grip-Last` only, so
 * a token that came in a header or a cookie is added to the link's query when the settings read one there.
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

/** The token a hold was allowed with, and the query parameter a next link can carry it in (if the settings read one). */
export interface HoldToken {
  readonly value: string;
  readonly source: string;
  readonly queryName?: string;
}

/** A hold's access: allowed (with the user and its token), or the answer refusing it. */
export type HoldAccess =
  | { readonly ok: true; readonly user?: VerifiedUser; readonly token?: HoldToken }
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
    let token: HoldToken | undefined;
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
      const query = auth.tokenFrom.find((s) => s.kind === 'query');
      token = {
        value: check.token,
        source: check.source,
        ...(query !== undefined && 'name' in query ? { queryName: query.name } : {}),
      };
    }
    if (!(await isAllowed({ user, channel, action: 'subscribe', op: 'hold' }, authorize ?? defaultRules()))) {
      return refuse(403, `forbidden: channel ${channel}\n`);
    }
    return { ok: true, ...(user === undefined ? {} : { user }), ...(token === undefined ? {} : { token }) };
  } catch (error) {
    if (!(error instanceof GripConfigError)) throw error;
    logger.error('the hold cannot be checked here: refusing it', { error });
    return refuse(500, GripRefusalText.CONFIGURATION);
  }
}

/**
 * `hold` with its next link (`Grip-Link: <uri>; rel=next...`), if it has one, carrying `token` when it did not come
 * in the query: the proxy requests the link without the client's headers and cookies.
 */
export function withLinkToken(hold: HoldResult, token: HoldToken | undefined): HoldResult {
  const link = hold.headers['Grip-Link'];
  if (token === undefined || token.source === 'query' || link === undefined) return hold;
  const match = /^<([^>]*)>(.*)$/s.exec(link);
  if (token.queryName === undefined || !match) {
    logger.warn('this stream ends at its first next link: the token cannot go with it', {
      source: token.source,
      fix: 'let FAAS_GRIP_AUTH_TOKEN_FROM read a query parameter (query:access_token)',
    });
    return hold;
  }
  const [path, query = ''] = match[1].split('?', 2);
  const params = new URLSearchParams(query);
  params.set(token.queryName, token.value);
  return { ...hold, headers: { ...hold.headers, 'Grip-Link': `<${path}?${params}>${match[2]}` } };
}
