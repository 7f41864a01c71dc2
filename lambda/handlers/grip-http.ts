/**
 * Shared by the HTTP hold examples (stream, long-poll): read the event, verify `Grip-Sig`, pick the channel, and
 * shape the answer for the event's format.
 */
import { MetricName } from '../contract';
import { GripSignatureError } from '../errors';
import { loadGripConfig } from '../grip/grip-config';
import { verifyGripSignature } from '../grip/grip-sig';
import type { HoldResult } from '../grip/hold';
import { EventVersion, type HttpRequest, type HttpResult, parseHttpEvent, toHttpResult } from '../grip/http-event';
import { logger } from '../logger';
import { countMetric, flushMetrics } from '../metrics';

/** A verified GET request and the channel (prefix included) it asks for. */
export interface HoldRequest {
  readonly request: HttpRequest;
  /** `?channel=`, else the last path segment, else `fallback`; with GRIP_PREFIX added. */
  readonly channel: string;
}

const CHANNEL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

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
    return plain(EventVersion.REST_V1, 400, 'not an HTTP request\n');
  }
  let prefix: string;
  try {
    const config = await loadGripConfig();
    verifyGripSignature(request.headers['grip-sig'], config.verify);
    prefix = config.prefix;
  } catch (error) {
    if (error instanceof GripSignatureError) {
      countMetric(MetricName.SIGNATURE_REJECTED);
      logger.warn('request refused: Grip-Sig missing or invalid', { reason: error.message, path: request.path });
      return plain(request.version, 401, 'Grip-Sig missing or invalid: only the GRIP proxy may call this function\n');
    }
    logger.error('GRIP configuration cannot be used', { error });
    return plain(request.version, 500, 'server configuration error: see the function logs\n');
  }
  if (request.method !== 'GET') {
    return { ...plain(request.version, 405, `method ${request.method} not allowed: use GET\n`), headers: allowGet() };
  }
  const segments = request.path.split('/').filter((s) => s !== '');
  const name = request.query.channel || segments[segments.length - 1] || fallback;
  if (!CHANNEL_NAME.test(name)) {
    return plain(request.version, 400, "invalid channel name: use 1 to 64 letters, digits, '-', '_' or '.'\n");
  }
  const hold = build({ request, channel: prefix + name });
  return toHttpResult(request.version, hold);
}

function allowGet(): Record<string, string> {
  return { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET' };
}

function plain(version: EventVersion, statusCode: number, body: string): HttpResult {
  return toHttpResult(version, { statusCode, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body });
}
