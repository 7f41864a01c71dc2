/**
 * The check every GRIP-facing handler makes before it runs: load the GRIP configuration and verify the request's
 * `Grip-Sig`, answering 401 (counted as `SignatureRejected`) or 500 when that fails.
 */
import { MetricName } from './contract';
import { GripSignatureError } from './errors';
import { type GripConfig, loadGripConfig, reloadAfterRejectedSignature } from './grip/grip-config';
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
    return { ok: true, config: await verifiedConfig(req.headers['grip-sig']) };
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
