/**
 * `httpHoldHandler()`: the entry point for GRIP HTTP holds (streams, Server-Sent Events, long-polls), next to
 * `webSocketHandler()`. The request goes through the one GRIP pipeline (read, configuration, `Grip-Sig`), then the
 * channel is picked and the builder's hold is answered in the shape of the event.
 */

import { CHANNEL_NAME_RULE, isValidChannel } from '../core/channel-name';
import { InvalidValueError } from '../core/errors';
import { flushMetrics } from '../core/metrics';
import type { HoldResult } from '../grip/hold';
import { GripRefusalText, readGripRequest } from '../grip/io/read-grip-request';
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
}

/**
 * Builds the hold of a verified request: `holdStream`, `holdEventStream` or `holdResponse` (or, on durable
 * channels, `durableEventStream` and `durableLongPoll`, which read the log first). InvalidValueError → 400.
 */
export type HoldBuilder = (hold: HoldRequest) => HoldResult | Promise<HoldResult>;

/**
 * Wraps a hold builder into a Lambda handler: 401 for a bad `Grip-Sig` (counted as `SignatureRejected`), 405 for
 * methods other than GET, 400 for an invalid channel name, 500 for an unusable configuration.
 *
 * @param fallback the channel when the request names none (no `?channel=`, no path segment).
 * @example
 * export const handler = httpHoldHandler('news', ({ channel }) => holdStream({ channels: [channel] }));
 */
export function httpHoldHandler(fallback: string, build: HoldBuilder): (event: unknown) => Promise<HttpResult> {
  return async (event) => {
    try {
      return await answer(event, fallback, build);
    } finally {
      flushMetrics();
    }
  };
}

async function answer(event: unknown, fallback: string, build: HoldBuilder): Promise<HttpResult> {
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
  try {
    const hold = await build({ request, channel: config.prefix + name, name, prefix: config.prefix });
    return toHttpResult(request.version, hold);
  } catch (error) {
    if (!(error instanceof InvalidValueError)) throw error;
    return plainTextResult(request.version, 400, `${error.message}\n`);
  }
}
