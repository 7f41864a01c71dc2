/**
 * How the JWKS is downloaded: the runtime's own HTTP call (keep-alive agent, one timeout for the whole call), so the
 * fetch ends within the running invocation's deadline, and plain http is reached on loopback for local development.
 */

import { NonRetryableFetchError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { callTimeout } from '../core/deadline';
import { httpCall, targetOf } from '../core/http-call';

/** Longest a JWKS download may take, within the invocation's deadline. */
export const JWKS_TIMEOUT_MS = 3000;

/** A Fetcher for aws-jwt-verify's JWKS cache: GET with a deadline; anything but a 200 is not retried. */
export function jwksFetcher(timeoutMs: number = JWKS_TIMEOUT_MS): Fetcher {
  return {
    async fetch(uri: string): Promise<ArrayBuffer> {
      const answer = await httpCall({
        method: 'GET',
        target: targetOf(new URL(uri)),
        headers: { accept: 'application/json' },
        body: '',
        timeoutMs: callTimeout(undefined, timeoutMs),
      });
      if (answer.status !== 200) {
        throw new NonRetryableFetchError(uri, `the JWKS answered HTTP ${answer.status}`);
      }
      const bytes = Buffer.from(answer.body, 'utf8');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}
