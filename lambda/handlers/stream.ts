/** Bundle entry of the HTTP streaming example (lambda/examples/stream.ts), with durable channels (SSE recovery). */
import '../channels-api';

export { handler, SSE_KEEP_ALIVE_SECONDS } from '../examples/stream';
