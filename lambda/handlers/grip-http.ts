/**
 * Shared by the HTTP hold examples (stream, long-poll): read the event, verify `Grip-Sig`, pick the channel, and
 * shape the answer for the event's format.
 */
import type { HoldResult } from '../grip/hold';
import {
  EventVersion,
  type HttpRequest,
  type HttpResult,
  parseHttpEvent,
  plainTextResult,
  toHttpResult,
} from '../grip/http-event';
import { logger } from '../logger';
import { flushMetrics } from '../metrics';
import { verifyGripRequest } from '../verify-grip-request';
import { CHANNEL_NAME_RULE, isValidChannel } from './channel-name';

/** A verified GET request and the channel (prefix included) it asks for. */
export interface HoldRequest {
  readonly request: HttpRequest;
  /** `?channel=`, else the last path segment, else `fallback`; with GRIP_PREFIX added. */
  readonly channel: string;
}

/**
 * Wraps a hold builder into a Lambda handler: 401 for a bad `Grip-Sig` (counted as `SignatureRejected`), 405 for
 * methods other than GET, 400 for an invalid channel name, 500 for an unusable configuration.
 */
export function gripHoldHandler(
  fallback: string,
  build: (hold: HoldRequest) => HoldResult,
): (event: unknown) => Promise<HttpResult> {
  return async (event) => {
    try {
      return await answer(event, fallback, build);
    } finally {
      flushMetrics();
    }
  };
}

async function answer(event: unknown, fallback: string, build: (hold: HoldRequest) => HoldResult): Promise<HttpResult> {
  let request: HttpRequest;
  try {
    request = parseHttpEvent(event);
  } catch (error) {
    logger.warn('not an HTTP event', { error });
    return plainTextResult(EventVersion.REST_V1, 400, 'not an HTTP request\n');
  }
  const verification = await verifyGripRequest(request);
  if (!verification.ok) return verification.refusal;
  if (request.method !== 'GET') {
    const refusal = plainTextResult(request.version, 405, `method ${request.method} not allowed: use GET\n`);
    return { ...refusal, headers: { ...refusal.headers, Allow: 'GET' } };
  }
  const segments = request.path.split('/').filter((s) => s !== '');
  const name = request.query.channel || segments[segments.length - 1] || fallback;
  if (!isValidChannel(name)) {
    return plainTextResult(request.version, 400, `invalid channel name: use ${CHANNEL_NAME_RULE}\n`);
  }
  const hold = build({ request, channel: verification.config.prefix + name });
  return toHttpResult(request.version, hold);
}
