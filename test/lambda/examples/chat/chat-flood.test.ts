/**
 * A request of 12,800 queued messages (what Pushpin batches from a client that floods) through the chat handler,
 * with the invocation's remaining time given by a fake Lambda context the code must honour. The outcome is either
 * every message published in order, or the connection closed with the stated code: never an answer after the
 * deadline.
 */
import { Env } from '../../../../lambda/contract';
import { RATE_LIMIT_CLOSE_CODE } from '../../../../lambda/core/inbound-limits';
import { handler } from '../../../../lambda/examples/chat/chat-handler';
import type { WebSocketEventInput } from '../../../../lambda/grip/websocket-events';
import { ControlEndpoint } from '../../../helpers/control-endpoint';
import { decodeResult, setEnv, useGripEnv, wohEvent } from '../../../helpers/grip-events';

const FLOOD = 12_800;
/** The fake invocation's remaining time when the request arrives. */
const REMAINING_MS = 20_000;

let endpoint: ControlEndpoint;

beforeAll(async () => {
  endpoint = await ControlEndpoint.start();
});

afterAll(async () => {
  await endpoint.stop();
});

useGripEnv(() => `${endpoint.uri}/?iss=backend&key=publish-secret&verify-iss=pushpin&verify-key=changeme`);

let restore: () => void = () => {};
beforeEach(() => {
  endpoint.published.length = 0;
  endpoint.statuses.length = 0;
  endpoint.received = 0;
  jest.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => restore());

/** A Lambda context whose deadline is `remainingMs` from now; records the time left when the handler answered. */
function fakeContext(remainingMs: number) {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), deadline };
}

const flood = (count: number): WebSocketEventInput[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'TEXT' as const, content: `m${i}` }));

async function invoke(events: WebSocketEventInput[], remainingMs: number) {
  const context = fakeContext(remainingMs);
  const event = wohEvent('rest-v1', { events, connectionId: 'flooder' });
  const result = decodeResult(await handler(event, context));
  return { result, leftMs: context.deadline - Date.now() };
}

test('with the rate limit off, 12,800 messages are all published in order, in a few control requests, in time', async () => {
  restore = setEnv({ [Env.MESSAGE_RATE]: 'off' });

  const { result, leftMs } = await invoke(flood(FLOOD), REMAINING_MS);

  expect(result.statusCode).toBe(200);
  expect(result.events).toEqual([]);
  expect(endpoint.wsMessages('room')).toEqual(flood(FLOOD).map((e) => `anonymous: ${e.content}`));
  // Batched: a publish body holds thousands of items, instead of one request per message.
  expect(endpoint.received).toBeLessThanOrEqual(3);
  expect(leftMs).toBeGreaterThan(0);
});

test('with the default rate, the first 500 are published in order and the flooder is closed with 1008', async () => {
  restore = setEnv({ [Env.MESSAGE_RATE]: undefined, [Env.MESSAGE_BURST]: undefined });

  const { result, leftMs } = await invoke(flood(FLOOD), REMAINING_MS);

  expect(result.events).toEqual([`CLOSE:${RATE_LIMIT_CLOSE_CODE}:message rate limit exceeded`]);
  expect(endpoint.wsMessages('room')).toEqual(flood(500).map((e) => `anonymous: ${e.content}`));
  expect(leftMs).toBeGreaterThan(0);
});
