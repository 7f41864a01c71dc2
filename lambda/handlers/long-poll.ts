/**
 * Bundle entry of the long-poll example (lambda/examples/long-poll.ts), with durable channels (`after=`), and
 * verified identity (a token checked when FAAS_GRIP_AUTH_ISSUER is set).
 */
import '../auth-api';
import '../channels-api';

export { handler } from '../examples/long-poll';
