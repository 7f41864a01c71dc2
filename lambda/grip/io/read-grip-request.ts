/**
 * The GRIP entry pipeline, written once for every GRIP caller (webSocketHandler, lambdaGetWebSocket, getWebSocket,
 * httpHoldHandler): read the HTTP event, load the GRIP configuration, verify the request's `Grip-Sig`, and, for
 * WebSocket-over-HTTP, build the context. Each step's refusal (400, 401, 500) and its text live here.
 */

import {
  EventVersion,
  type GripWebSocketContext,
  getGripWebSocketContext,
  type HttpRequest,
  type HttpResult,
  parseHttpEvent,
  plainTextResult,
} from '../../aws/http-event';
import { MetricName } from '../../contract';
import { GripSignatureError, NotWebSocketOverHttpError, WebSocketEventDecodeError } from '../../core/errors';
import { logger } from '../../core/logger';
import { countMetric } from '../../core/metrics';
import { verifyGripSignature } from '../grip-sig';
import { type GripConfig, loadGripConfig, loadGripConfigSync, reloadAfterRejectedSignature } from './grip-config';

/** The texts of the refusals the GRIP entry points answer with. */
export const GripRefusalText = {
  /** 400 to an event or request that is not WebSocket-over-HTTP (the seed's answer). */
  NOT_WEBSOCKET_OVER_HTTP: 'Not a WebSocket-over-HTTP request\n',
  /** 400 to an event that is not an HTTP request at all (HTTP holds). */
  NOT_HTTP: 'not an HTTP request\n',
  /** 401 to a missing or invalid `Grip-Sig`. */
  BAD_SIGNATURE: 'Grip-Sig missing or invalid: only the GRIP proxy may call this function\n',
  /** 500 to an unusable configuration; the body tells the caller nothing about it. */
  CONFIGURATION: 'server configuration error: see the function logs\n',
} as const;

/** A GRIP request that passed the checks: the request and the configuration its `Grip-Sig` verified with. */
export interface GripRequest {
  readonly request: HttpRequest;
  readonly config: GripConfig;
}

/** The outcome of {@link readGripRequest}: the verified request, or the answer refusing it. */
export type GripRequestRead =
  | ({ readonly ok: true } & GripRequest)
  | { readonly ok: false; readonly refusal: HttpResult };

/** The outcome of {@link verifyGripRequest}: the loaded configuration, or the answer refusing the request. */
export type GripRequestVerification =
  | { readonly ok: true; readonly config: GripConfig }
  | { readonly ok: false; readonly refusal: HttpResult };

/**
 * Reads a GRIP request from an HTTP Lambda event, loads the configuration (GRIP_URL, GRIP_PROXIES or
 * GRIP_SECRET_ARN) and verifies `Grip-Sig`, answering instead of throwing: 400 (`notHttpText`) for an event that is
 * not HTTP, 401 for a missing or invalid signature (logged, counted as `SignatureRejected`), 500 for an unusable
 * configuration (logged).
 */
export async function readGripRequest(
  event: unknown,
  notHttpText: string = GripRefusalText.NOT_WEBSOCKET_OVER_HTTP,
): Promise<GripRequestRead> {
  let request: HttpRequest;
  try {
    request = parseHttpEvent(event);
  } catch (error) {
    logger.warn('event is not an HTTP request', { error });
    return { ok: false, refusal: plainTextResult(EventVersion.REST_V1, 400, notHttpText) };
  }
  const verification = await verifyGripRequest(request);
  return verification.ok ? { ok: true, request, config: verification.config } : verification;
}

/**
 * Loads the configuration and verifies the request's `Grip-Sig`, answering instead of throwing (see
 * {@link readGripRequest}).
 */
export async function verifyGripRequest(req: HttpRequest): Promise<GripRequestVerification> {
  try {
    return { ok: true, config: await verifiedConfig(req.headers['grip-sig']) };
  } catch (error) {
    return { ok: false, refusal: refusalOf(error, req) };
  }
}

/**
 * {@link readGripRequest} for callers that handle errors themselves (getWebSocket).
 *
 * @throws NotWebSocketOverHttpError for an event that is not HTTP.
 * @throws GripSignatureError for a missing or invalid `Grip-Sig`.
 * @throws GripConfigError for an unusable configuration, or verification on without a verify key.
 */
export async function readGripRequestOrThrow(event: unknown): Promise<GripRequest> {
  const request = parseHttpEvent(event);
  return { request, config: await verifiedConfig(request.headers['grip-sig']) };
}

/**
 * {@link readGripRequestOrThrow} from the environment only, synchronously (lambdaGetWebSocket); a secret cannot be
 * read this way (GripConfigError).
 */
export function readGripRequestSync(event: unknown): GripRequest {
  const request = parseHttpEvent(event);
  const config = loadGripConfigSync();
  verifyGripSignature(request.headers['grip-sig'], config.verify);
  return { request, config };
}

/** The outcome of {@link openGripWebSocket}. */
export type GripWebSocketOpening =
  | { readonly ok: true; readonly ws: GripWebSocketContext }
  | { readonly ok: false; readonly refusal: HttpResult };

/** The context of a verified WebSocket-over-HTTP request, or the 400 refusing a request that is not one. */
export function openGripWebSocket({ request, config }: GripRequest): GripWebSocketOpening {
  try {
    return { ok: true, ws: getGripWebSocketContext(request, { prefix: config.prefix }) };
  } catch (error) {
    if (!(error instanceof NotWebSocketOverHttpError) && !(error instanceof WebSocketEventDecodeError)) throw error;
    return { ok: false, refusal: refusalOf(error, request) };
  }
}

/** The answer to a request refused with `error`, logged (and counted for a bad signature). */
function refusalOf(error: unknown, req: HttpRequest): HttpResult {
  if (error instanceof GripSignatureError) {
    countMetric(MetricName.SIGNATURE_REJECTED);
    logger.warn('request refused: Grip-Sig missing or invalid', { reason: error.message, path: req.path });
    return plainTextResult(req.version, 401, GripRefusalText.BAD_SIGNATURE);
  }
  if (error instanceof NotWebSocketOverHttpError) {
    logger.warn('not a WebSocket-over-HTTP request', { reason: error.message, path: req.path });
    return plainTextResult(req.version, 400, GripRefusalText.NOT_WEBSOCKET_OVER_HTTP);
  }
  if (error instanceof WebSocketEventDecodeError) {
    logger.warn('malformed WebSocket-over-HTTP request', { error });
    return plainTextResult(req.version, 400, `${error.message}\n`);
  }
  logger.error('GRIP configuration cannot be used', { error });
  return plainTextResult(req.version, 500, GripRefusalText.CONFIGURATION);
}

/**
 * The configuration, once the token verifies with it. A token that does not verify against a configuration read
 * from a secret is checked once more against the secret read again (rate-limited), so a rotated key works at once.
 */
async function verifiedConfig(token: string | undefined): Promise<GripConfig> {
  const config = await loadGripConfig();
  try {
    verifyGripSignature(token, config.verify);
    return config;
  } catch (error) {
    // A request without a token is refused as it is: only a token that might be signed with a new key reloads.
    const rejectedToken = error instanceof GripSignatureError && token !== undefined && token.trim() !== '';
    const reloaded = rejectedToken ? reloadAfterRejectedSignature() : undefined;
    if (reloaded === undefined) throw error;
    const fresh = await reloaded;
    verifyGripSignature(token, fresh.verify);
    return fresh;
  }
}
