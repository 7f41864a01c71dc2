/**
 * The check every GRIP-facing handler makes before it runs: load the GRIP configuration and verify the request's
 * `Grip-Sig`, answering 401 (counted as `SignatureRejected`) or 500 when that fails.
 */
import { MetricName } from './contract';
import { GripSignatureError } from './errors';
import { type GripConfig, loadGripConfig } from './grip/grip-config';
import { verifyGripSignature } from './grip/grip-sig';
import { type HttpRequest, type HttpResult, plainTextResult } from './grip/http-event';
import { logger } from './logger';
import { countMetric } from './metrics';

/** The outcome of {@link verifyGripRequest}: the loaded configuration, or the answer refusing the request. */
export type GripRequestVerification =
  | { readonly ok: true; readonly config: GripConfig }
  | { readonly ok: false; readonly refusal: HttpResult };

/**
 * Loads the GRIP configuration (GRIP_URL, GRIP_PROXIES or GRIP_SECRET_ARN) and verifies the request's `Grip-Sig`.
 * A missing or invalid signature is logged, counted (`SignatureRejected`) and refused with 401; an unusable
 * configuration is logged and answered with 500, whose body tells the caller nothing about it.
 */
export async function verifyGripRequest(req: HttpRequest): Promise<GripRequestVerification> {
  try {
    const config = await loadGripConfig();
    verifyGripSignature(req.headers['grip-sig'], config.verify);
    return { ok: true, config };
  } catch (error) {
    if (error instanceof GripSignatureError) {
      countMetric(MetricName.SIGNATURE_REJECTED);
      logger.warn('request refused: Grip-Sig missing or invalid', { reason: error.message, path: req.path });
      return {
        ok: false,
        refusal: plainTextResult(
          req.version,
          401,
          'Grip-Sig missing or invalid: only the GRIP proxy may call this function\n',
        ),
      };
    }
    logger.error('GRIP configuration cannot be used', { error });
    return {
      ok: false,
      refusal: plainTextResult(req.version, 500, 'server configuration error: see the function logs\n'),
    };
  }
}
