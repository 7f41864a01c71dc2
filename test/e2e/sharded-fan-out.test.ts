/**
 * Fan-out beyond one invocation, locally on the parts `npm start` runs: dynalite for the connection table, the
 * emulator's Lambda Invoke API (Event invocations with Lambda's two retries and an on-failure destination), and a
 * management API that answers each post after 20 ms. A bounded room (3,000 members, threshold 500, 4 shards of at
 * most 400 posts per invocation):
 * - every live member gets the message exactly once, the publisher posting the first 500 and 4 shards the rest;
 * - a shard made to fail once is retried by the platform and completes; only members of its part get duplicates;
 * - a shard that always fails ends in the on-failure destination with its range, and every member outside that
 *   range still gets the message.
 * The 100,000-member room is `npm run bench`'s (bench/fan-out-shards.js).
 */
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONNECTION_TTL_SECONDS, Env } from '../../lambda/contract';
import { forEachBounded } from '../../lambda/core/backoff';
import { resetContainer } from '../../lambda/core/container';
import type { ShardTask } from '../../lambda/native/fan-out-shards';
import { runCredentials } from '../../local/apigw-websocket/websocket-emulator';
import { localDynamoClient } from '../../local/stack/local-dynamo';
import { type NativeStack, startNativeStack } from '../../local/stack/native-stack';
import { apiGatewayId } from '../../local/support/ids';
import { loadFresh } from '../helpers/e2e-support';
import { setEnv } from '../helpers/grip-events';
import { LocalManagementServer } from '../helpers/local-management-server';

jest.setTimeout(60_000);

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

const MEMBERS = 3000;
const THRESHOLD = 500;

let stack: NativeStack;
let api: LocalManagementServer;
let restore = () => {};
let handler: Handler = async () => undefined;
/** Every shard invocation: its task, and whether it threw. */
const shardRuns: Array<{ task: ShardTask; threw: boolean }> = [];
let ids: string[] = [];

beforeAll(async () => {
  const credentials = runCredentials();
  api = await LocalManagementServer.start('test', credentials);
  api.latencyMs = 20;
  stack = await startNativeStack({
    credentials,
    onError: () => {},
    handler: async (event: unknown, context: unknown) => {
      const task = (event as { faasGripFanOutShard?: ShardTask }).faasGripFanOutShard;
      try {
        const result = await handler(event, context);
        if (task) shardRuns.push({ task, threw: false });
        return result;
      } catch (error) {
        if (task) shardRuns.push({ task, threw: true });
        throw error;
      }
    },
  });
  restore = setEnv({
    ...stack.env,
    [Env.MANAGEMENT_ENDPOINT]: api.endpoint,
    [Env.FANOUT_THRESHOLD]: String(THRESHOLD),
    [Env.FANOUT_SHARDS]: '4',
    [Env.FANOUT_SHARD_SIZE]: '400',
    [Env.FANOUT_CONCURRENCY]: '25',
    [Env.CHANNEL_LOG_TABLE]: undefined,
    [Env.PRESENCE_TABLE]: undefined,
    AWS_REGION: 'us-east-1',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_LAMBDA_LOG_LEVEL: 'error',
  });
  resetContainer();
  handler = loadFresh(() => {
    const { webSocketHandler } =
      require('../../lambda/aws/websocket-handler') as typeof import('../../lambda/aws/websocket-handler');
    return webSocketHandler(async () => {}) as Handler;
  });
  ids = Array.from({ length: MEMBERS }, () => apiGatewayId()).sort();
  const doc = DynamoDBDocumentClient.from(localDynamoClient(stack.dynamo.endpoint));
  const expiresAt = Math.floor(Date.now() / 1000) - 60 + CONNECTION_TTL_SECONDS;
  const puts = ids.map((id) => ({ PutRequest: { Item: { pk: 'CHAN#room', sk: `CONN#${id}`, expiresAt } } }));
  const chunks = Array.from({ length: Math.ceil(puts.length / 25) }, (_, i) => puts.slice(i * 25, i * 25 + 25));
  await forEachBounded(chunks, 8, async (chunk) => {
    await doc.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: chunk } }));
  });
  for (const id of ids) api.addConnection(id);
}, 60_000);

afterAll(async () => {
  restore();
  await stack?.stop();
  await api?.stop();
});

beforeEach(() => {
  shardRuns.length = 0;
  api.fault = undefined;
});

/** Publishes `text` to the room as a function would, and waits for every shard (and retry) to settle. */
async function publishToRoom(text: string) {
  const { fanOut } = loadFresh(
    () => require('../../lambda/native/fan-out') as typeof import('../../lambda/native/fan-out'),
  );
  const result = await fanOut('room', text);
  await stack.emulator.asyncIdle();
  const copies = new Map(ids.map((id) => [id, api.texts(id).filter((t) => t === text).length]));
  return { result, copies };
}

const inRange = (id: string, task: ShardTask) => id >= task.from && (task.to === undefined || id < task.to);

it('reaches every member once: the publisher posts the first ones, 4 shards the rest in bounded parts', async () => {
  const { result, copies } = await publishToRoom('one');
  expect(result).toMatchObject({ delivered: THRESHOLD, failed: 0, complete: true, shards: 4 });
  expect([...copies.values()].filter((n) => n !== 1)).toEqual([]);
  // Each part posted at most 400 members; the parts of a range follow one another.
  expect(shardRuns.length).toBeGreaterThanOrEqual(8);
  expect(shardRuns.every((r) => !r.threw)).toBe(true);
  expect(stack.emulator.failedInvocations).toHaveLength(0);
});

it('retries a shard that failed once: it completes; duplicates only in its part', async () => {
  const victim = ids[2000];
  let posts = 0;
  // Its first 3 posts fail: every attempt of one shard invocation; the platform's retry then gets through.
  api.fault = (call) => (call.connectionId === victim && call.method === 'POST' && ++posts <= 3 ? 500 : undefined);
  const { copies } = await publishToRoom('two');
  expect([...copies.values()].filter((n) => n === 0)).toEqual([]);
  expect(copies.get(victim)).toBe(1);
  const failedRuns = shardRuns.filter((r) => r.threw);
  expect(failedRuns).toHaveLength(1);
  const failedPart = failedRuns[0].task;
  expect(inRange(victim, failedPart)).toBe(true);
  const duplicated = ids.filter((id) => (copies.get(id) ?? 0) > 1);
  expect(duplicated.length).toBeGreaterThan(0);
  expect(duplicated.every((id) => inRange(id, failedPart))).toBe(true);
  expect(stack.emulator.failedInvocations).toHaveLength(0);
});

it('sends a shard that always fails to the on-failure destination with its range; the others all deliver', async () => {
  const victim = ids[2600];
  api.fault = (call) => (call.connectionId === victim && call.method === 'POST' ? 500 : undefined);
  const { copies } = await publishToRoom('three');
  expect(stack.emulator.failedInvocations).toHaveLength(1);
  const dead = stack.emulator.failedInvocations[0];
  expect(dead.attempts).toBe(3);
  const task = (dead.event as { faasGripFanOutShard: ShardTask }).faasGripFanOutShard;
  expect(task).toMatchObject({ channel: 'room', text: 'three' });
  expect(inRange(victim, task)).toBe(true);
  expect(dead.error.message).toMatch(/failing it so Lambda retries the shard/);
  expect(ids.filter((id) => !inRange(id, task) && copies.get(id) === 0)).toEqual([]);
});
