/**
 * The verified-identity module as the core loads it (../auth-loader.ts): the token check of opening handshakes
 * and of HTTP holds.
 */
export { checkHandshake, checkRequest, type RequestCheck } from './request-check';
export { createTokenVerifier, tokenVerifier } from './token-verifier';
