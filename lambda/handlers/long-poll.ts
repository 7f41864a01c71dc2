/** Bundle entry of the long-poll example (lambda/examples/long-poll.ts). */
export { handler } from '../examples/long-poll';
