/**
 * `faas-grip-cdk/runtime/auth`: verified identity at connect and for HTTP holds (OIDC / Amazon Cognito JWTs checked against the
 * issuer's JWKS). Import it in a handler whose function has FAAS_GRIP_AUTH_ISSUER set (the constructs' `auth` prop
 * sets it); importing it is what puts JWT verification in a bundle.
 *
 * @example
 * import 'faas-grip-cdk/runtime/auth';
 * export const handler = webSocketHandler(async (ws) => {
 *   if (ws.isOpening()) ws.accept(); // only reached with a valid token; ws.user.sub is its subject
 * });
 */
import * as auth from './auth';
import { registerAuth } from './auth-loader';

registerAuth(auth);

export { createTokenVerifier, tokenVerifier } from './auth';
export { IdentityProviderError, MAX_TOKEN_LENGTH, TokenRejectedError, type TokenVerifier } from './auth/token-verifier';
