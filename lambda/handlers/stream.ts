/** Bundle entry of the HTTP streaming example (lambda/examples/stream.ts). */
export { handler, SSE_KEEP_ALIVE_SECONDS } from '../examples/stream';
