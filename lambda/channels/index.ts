/**
 * The durable channels' module as the core loads it (../channels-loader.ts): the durable half of publish().
 */
export { appendTurn, type Deliver, type DurableQueued } from './durable-publish';
export { connectionClosed } from './presence-events';
