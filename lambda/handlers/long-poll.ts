/** Bundle entry of the long-poll example (lambda/examples/long-poll.ts), with durable channels (`after=`). */
import '../channels-api';

export { handler } from '../examples/long-poll';
