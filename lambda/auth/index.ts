/**
 * The verified-identity module as the core loads it (../auth-loader.ts): the token check of opening handshakes.
 */
export { checkHandshake } from './handshake-check';
export { createTokenVerifier, tokenVerifier } from './token-verifier';
