/**
 * Bundle entry of the HTTP streaming example (lambda/examples/stream.ts), with durable channels (SSE recovery), and
 * verified identity (a token checked when FAAS_GRIP_AUTH_ISSUER is set).
 */
import '../auth-api';
import '../channels-api';

export { handler, SSE_KEEP_ALIVE_SECONDS } from '../examples/stream';
