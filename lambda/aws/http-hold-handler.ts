/**
 * `httpHoldHandler()`: the entry point for GRIP HTTP holds (streams, Server-Sent Events, long-polls), next to
 * `webSocketHandler()`. The request goes through the one GRIP pipeline (read, configuration, `Grip-Sig`), then the
 * channel is picked, the request's user verified when identity is on (FAAS_GRIP_AUTH_ISSUER, the same settings as
 * WebSocket handshakes), the channel rules asked whether that user (or an anonymous request) may read the channel,
 * and the builder's hold is answered in the shape of the event.
 */

import { CHANNEL_NAME_RULE, isValidChannel } from '../core/channel-name';
import type { AuthorizeFunction } from '../core/channel-rules';
import { InvalidValueError } from '../core/errors';
import type { VerifiedUser } from '../core/identity';
import { flushMetrics } from '../core/metrics';
import { withSettingsScope } from '../core/settings';
import type { HoldResult } from '../grip/hold';
import { GripRefusalText, readGripRequest } from '../grip/io/read-grip-request';
import { checkLink, holdAccess } from './hold-access';
import { type HttpRequest, type HttpResult, plainTextResult, toHttpResult } from './http-event';

/** A verified GET request and the channel (prefix included) it asks for. */
export interface HoldRequest {
  readonly request: HttpRequest;
  /** `?channel=`, else the last path segment, else the handler's fallback; with GRIP_PREFIX added. */
  readonly channel: string;
  /** The channel's name without the GRIP prefix (as publish() and the channel log name it). */
  readonly name: string;
  /** The GRIP prefix of the configuration. */
  readonly prefix: string;
  /** The request's verified user (identity on), else undefined. */
  readonly user?: VerifiedUser;
}

/** Options of {@link httpHoldHandler}. */
export interface HoldHandlerOptions {
  /**
   * Who may hold which channel, asked with `action: 'subscribe'` and `op: 'hold'` before the builder runs; a
   * refusal is a 403.
   * @default - the built-in rules (private channels, `user:<sub>` channels; FAAS_GRIP_PRIVATE_CHANNELS)
   */
  readonly authorize?: AuthorizeFunction;
}

/**
 * Builds the hold of a verified request: `holdStream`, `holdEventStream` or `holdResponse` (or, on durable
 * channels, `durableEventStream` and `durableLongPoll`, which read the log first). InvalidValueError → 400.
 */
export type HoldBuilder = (hold: HoldRequest) => HoldResult | Promise<HoldResult>;

/**
 * Wraps a hold builder into a Lambda handler: 401 for a bad `Grip-Sig` (counted as `SignatureRejected`), 405 for
 * methods other than GET, 400 for an invalid channel name, 500 for an unusable configuration. With identity on, 401
 * for a request without a valid token (503 when the issuer's keys cannot be fetched); a channel the rules do not
 * open to the request's user (or to anyone, identity off) is a 403. The token is looked for where the settings say
 * (FAAS_GRIP_AUTH_TOKEN_FROM): a browser's EventSource can send neither headers nor subprotocols, so SSE gives it as
 * a query parameter (kept in a durable stream's next link, so the proxy's gap-filling requests carry it too; once
 * it expires they are refused and the proxy ends the stream) or a cookie from a listed origin.
 *
 * @param fallback the channel when the request names none (no `?channel=`, no path segment).
 * @example
 * export const handler = httpHoldHandler('news', ({ channel }) => holdStream({ channels: [channel] }));
 */
export function httpHoldHandler(
  fallback: string,
  build: HoldBuilder,
  options: HoldHandlerOptions = {},
): (event: unknown) => Promise<HttpResult> {
  // The settings are read once per invocation (the identity check, the rules and the builder all ask for them).
  return (event) =>
    withSettingsScope(async () => {
      try {
        return await answer(event, fallback, build, options);
      } finally {
        flushMetrics();
      }
    });
}

async function answer(
  event: unknown,
  fallback: string,
  build: HoldBuilder,
  options: HoldHandlerOptions,
): Promise<HttpResult> {
  const read = await readGripRequest(event, GripRefusalText.NOT_HTTP);
  if (!read.ok) return read.refusal;
  const { request, config } = read;
  if (request.method !== 'GET') {
    const refusal = plainTextResult(request.version, 405, `method ${request.method} not allowed: use GET\n`);
    return { ...refusal, headers: { ...refusal.headers, Allow: 'GET' } };
  }
  const segments = request.path.split('/').filter((s) => s !== '');
  const name = request.query.channel || segments[segments.length - 1] || fallback;
  if (!isValidChannel(name)) {
    return plainTextResult(request.version, 400, `invalid channel name: use ${CHANNEL_NAME_RULE}\n`);
  }
  const access = await holdAccess(request, config, name, options.authorize);
  if (!access.ok) return access.refusal;
  try {
    const hold = await build({
      request: access.request,
      channel: config.prefix + name,
      name,
      prefix: config.prefix,
      user: access.user,
    });
    checkLink(hold, access);
    return toHttpResult(request.version, hold);
  } catch (error) {
    if (!(error instanceof InvalidValueError)) throw error;
    return plainTextResult(request.version, 400, `${error.message}\n`);
  }
}
