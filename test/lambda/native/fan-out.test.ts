import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PresenceStore } from '../../../lambda/channels/presence';
import { CONNECTION_TTL_SECONDS, Env } from '../../../lambda/contract';
import { forEachBounded } from '../../../lambda/core/backoff';
import { resetContainer } from '../../../lambda/core/container';
import { GripConfigError, OutputLimitError, PublishError } from '../../../lambda/core/errors';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import {
  fanOut,
  fanOutConcurrency,
  MAX_NATIVE_MESSAGE_BYTES,
  MAX_REPORTED_FAILURES,
  sendToConnection,
} from '../../../lambda/native/fan-out';
import type { NativeDeps } from '../../../lambda/native/native-deps';
import { createPresenceTable } from '../../../local/stack/local-dynamo';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { setEnv } from '../../helpers/grip-events';
import { LocalManagementServer } from '../../helpers/local-management-server';

let restoreEnv: () => void;
let dynamo: LocalDynamo;
let api: LocalManagementServer;
let tables = 0;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  // The default management sender reads region and credentials from the environment, as in Lambda.
  restoreEnv = setEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    [Env.MANAGEMENT_ENDPOINT]: process.env[Env.MANAGEMENT_ENDPOINT],
  });
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
  restoreEnv();
});

beforeEach(async () => {
  api = await LocalManagementServer.start();
});

afterEach(async () => {
  await api.stop();
});

interface Tables {
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
  readonly minuteAgo: number;
  /** Reads and writes now. */
  readonly store: ConnectionStore;
  /** Writes as if the connections had opened a minute ago. */
  readonly seed: ConnectionStore;
}

/** A fresh connection table. */
async function newTables(pageSize?: number): Promise<Tables> {
  const tableName = `fan-out-${++tables}`;
  await dynamo.createConnectionTable(tableName);
  const client = dynamo.newDocumentClient();
  const minuteAgo = Date.now() - 60_000;
  return {
    tableName,
    client,
    minuteAgo,
    store: new ConnectionStore({ tableName, client, pageSize }),
    seed: new ConnectionStore({ tableName, client, now: () => minuteAgo }),
  };
}

/**
 * Opens `count` connections in `channels`, as if a minute ago: memberships written in bulk (25 per
 * BatchWriteItem, the table's key schema), connection items through the store for the gone ones and
 * the first few live ones. Registers each on the management API as open or gone.
 */
async function seedConnections(
  t: Tables,
  count: number,
  channels: (i: number) => string[],
  stateOf: (i: number) => 'open' | 'gone' = () => 'open',
): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `conn-${i}=`);
  const expiresAt = Math.floor(t.minuteAgo / 1000) + CONNECTION_TTL_SECONDS;
  const puts = ids.flatMap((id, i) =>
    channels(i).map((channel) => ({ PutRequest: { Item: { pk: `CHAN#${channel}`, sk: `CONN#${id}`, expiresAt } } })),
  );
  const chunks = Array.from({ length: Math.ceil(puts.length / 25) }, (_, i) => puts.slice(i * 25, i * 25 + 25));
  await forEachBounded(chunks, 8, async (chunk) => {
    await t.client.send(new BatchWriteCommand({ RequestItems: { [t.tableName]: chunk } }));
  });
  const withItems = ids.filter((_, i) => stateOf(i) === 'gone' || i < 10);
  await forEachBounded(withItems, 8, async (id) => {
    await t.seed.putConnection(id, { meta: { n: id } });
  });
  for (const [i, id] of ids.entries()) {
    if (stateOf(i) === 'open') api.addConnection(id);
    else api.markGone(id);
  }
  return ids;
}

async function memberIds(store: ConnectionStore, channel: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of store.members(channel)) for (const m of page) ids.add(m.connectionId);
  return ids;
}

function depsFor(store: ConnectionStore, extra: Partial<NativeDeps> = {}): NativeDeps {
  return { store, managementEndpoint: api.endpoint, logger: quiet, postRetry: { retryBaseMs: 1 }, ...extra };
}

describe('fanOut', () => {
  test('3,000 members, 10% gone, 5% failing once: every live one receives exactly once, gone ones removed', async () => {
    const t = await newTables(400);
    const gone = (i: number) => i % 10 === 3;
    const ids = await seedConnections(
      t,
      3000,
      (i) => (gone(i) ? ['room', 'side', 'other'] : i % 2 ? ['room', 'side'] : ['room']),
      (i) => (gone(i) ? 'gone' : 'open'),
    );
    const flaky = new Set(ids.filter((_, i) => i % 20 === 7));
    api.fault = (call) => (flaky.has(call.connectionId) && call.attempt === 1 ? 500 : undefined);

    const result = await fanOut('room', 'hello room', depsFor(t.store));

    expect(result).toEqual({
      delivered: 2700,
      gone: 300,
      failed: 0,
      unknown: 0,
      opening: 0,
      removalFailed: 0,
      shards: 0,
      complete: true,
      errors: [],
    });
    expect(api.faults).toBe(150);
    expect(api.requests.POST).toBe(3000 + 150);
    ids.forEach((id, i) => {
      expect(api.texts(id)).toEqual(gone(i) ? [] : ['hello room']);
    });
    const room = await memberIds(t.store, 'room');
    const side = await memberIds(t.store, 'side');
    expect(room.size).toBe(2700);
    expect(await memberIds(t.store, 'other')).toEqual(new Set());
    for (const [i, id] of ids.entries()) {
      expect(room.has(id)).toBe(!gone(i));
      expect(side.has(id)).toBe(!gone(i) && i % 2 === 1);
    }
    const goneIds = ids.filter((_, i) => gone(i));
    for (const id of goneIds.slice(0, 30)) {
      expect(await t.store.getConnection(id)).toBeUndefined();
      expect(await t.store.channelsOf(id)).toEqual([]);
    }
    expect(await t.store.getConnection(ids[0])).toBeDefined();
  }, 180_000);

  test('5% of posts failing for good with 500 are retried, then counted and reported', async () => {
    const t = await newTables();
    const ids = await seedConnections(t, 400, () => ['room']);
    const broken = new Set(ids.filter((_, i) => i % 20 === 11));
    api.fault = (call) => (broken.has(call.connectionId) ? 500 : undefined);

    const result = await fanOut('room', 'y', depsFor(t.store, { postRetry: { attempts: 3, retryBaseMs: 1 } }));

    expect(result).toMatchObject({ delivered: 380, failed: 20, gone: 0 });
    expect(result.errors.map((e) => e.connectionId).sort()).toEqual([...broken].sort());
    for (const failure of result.errors) expect(failure.error.name).not.toBe('GoneException');
    expect(api.faults).toBe(20 * 3);
    for (const id of ids) expect(api.texts(id)).toEqual(broken.has(id) ? [] : ['y']);
    expect((await memberIds(t.store, 'room')).size).toBe(400);
  }, 120_000);

  test('failures are all counted, and reported up to MAX_REPORTED_FAILURES', async () => {
    const t = await newTables();
    await seedConnections(t, MAX_REPORTED_FAILURES + 20, () => ['room']);
    api.fault = () => 400;

    const result = await fanOut('room', 'refused', depsFor(t.store));

    expect(result).toMatchObject({ delivered: 0, failed: MAX_REPORTED_FAILURES + 20, gone: 0 });
    expect(result.errors.length).toBe(MAX_REPORTED_FAILURES);
    expect(api.faults).toBe(MAX_REPORTED_FAILURES + 20);
  }, 60_000);

  test('LimitExceededException (429) is retried with backoff', async () => {
    const t = await newTables();
    const ids = await seedConnections(t, 20, () => ['room']);
    api.fault = (call) => (call.attempt <= 2 ? 429 : undefined);

    const result = await fanOut('room', 'z', depsFor(t.store));

    expect(result).toMatchObject({ delivered: 20, failed: 0 });
    expect(api.faults).toBe(40);
    for (const id of ids) expect(api.texts(id)).toEqual(['z']);
  });

  test('parallelism stays within the concurrency bound', async () => {
    const t = await newTables(10);
    await seedConnections(t, 48, () => ['room']);
    api.latencyMs = 100;

    const result = await fanOut('room', 'p', depsFor(t.store, { concurrency: 8 }));

    expect(result.delivered).toBe(48);
    expect(api.maxInFlight).toBeLessThanOrEqual(8);
    expect(api.maxInFlight).toBeGreaterThan(1);
  });

  test('a connection that just opened and answers 410 is kept and counted as opening, not as a failure', async () => {
    const t = await newTables();
    await t.store.putConnection('fresh', { channels: ['room'] });

    const result = await fanOut('room', 'early', depsFor(t.store));

    expect(result).toMatchObject({ delivered: 0, gone: 0, failed: 0, opening: 1, complete: true });
    expect(await t.store.getConnection('fresh')).toBeDefined();
  });

  test('binary data arrives byte for byte', async () => {
    const t = await newTables();
    const [id] = await seedConnections(t, 1, () => ['bin']);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);

    await fanOut('bin', bytes, depsFor(t.store));

    expect(api.payloads(id)).toEqual([Buffer.from(bytes)]);
  });

  test('fails early on a message over 128 KB, before any post', async () => {
    const t = await newTables();
    await seedConnections(t, 3, () => ['room']);

    const big = 'a'.repeat(MAX_NATIVE_MESSAGE_BYTES + 1);

    await expect(fanOut('room', big, depsFor(t.store))).rejects.toThrow(OutputLimitError);
    await expect(fanOut('room', big, depsFor(t.store))).rejects.toThrow(/131073 bytes .* 131072-byte limit/);
    expect(api.requests.POST).toBe(0);
  });

  test('an empty channel delivers nothing', async () => {
    const t = await newTables();

    expect(await fanOut('nobody-here', 'x', depsFor(t.store))).toEqual({
      delivered: 0,
      gone: 0,
      failed: 0,
      unknown: 0,
      opening: 0,
      removalFailed: 0,
      shards: 0,
      complete: true,
      errors: [],
    });
  });

  test('fails without a management endpoint, and on a bad concurrency', async () => {
    const t = await newTables();
    delete process.env[Env.MANAGEMENT_ENDPOINT];

    await expect(fanOut('room', 'x', { store: t.store })).rejects.toThrow(GripConfigError);
    await expect(fanOut('room', 'x', { store: t.store })).rejects.toThrow(/FAAS_GRIP_MANAGEMENT_ENDPOINT/);
    expect(() => fanOutConcurrency({ concurrency: 0 })).toThrow(/"0" is not a positive integer/);
    expect(fanOutConcurrency({})).toBe(50);
  });

  test('the endpoint is read from FAAS_GRIP_MANAGEMENT_ENDPOINT', async () => {
    const t = await newTables();
    const [id] = await seedConnections(t, 1, () => ['room']);
    process.env[Env.MANAGEMENT_ENDPOINT] = api.endpoint;

    const result = await fanOut('room', 'via env', { store: t.store, logger: quiet });

    expect(result.delivered).toBe(1);
    expect(api.texts(id)).toEqual(['via env']);
  });
});

describe('sendToConnection', () => {
  function client(): ApiGatewayManagementApiClient {
    return new ApiGatewayManagementApiClient({ ...LOCAL_AWS, endpoint: api.endpoint, maxAttempts: 1 });
  }

  test('delivers to one open connection', async () => {
    const t = await newTables();
    const [id] = await seedConnections(t, 1, () => ['room']);

    expect(await sendToConnection(id, 'direct', { store: t.store, managementClient: client() })).toBe('delivered');
    expect(api.texts(id)).toEqual(['direct']);
  });

  test('a gone connection is removed with its memberships', async () => {
    const t = await newTables();
    const [id] = await seedConnections(
      t,
      1,
      () => ['a', 'b'],
      () => 'gone',
    );

    expect(await sendToConnection(id, 'late', { store: t.store, managementClient: client() })).toBe('gone');
    expect(await t.store.getConnection(id)).toBeUndefined();
    expect(await t.store.channelsOf(id)).toEqual([]);
  });

  test('fails with PublishError after retries', async () => {
    const t = await newTables();
    const [id] = await seedConnections(t, 1, () => ['room']);
    api.fault = () => 503;

    const send = sendToConnection(id, 'x', {
      store: t.store,
      managementClient: client(),
      postRetry: { retryBaseMs: 1 },
    });

    await expect(send).rejects.toThrow(PublishError);
    expect(api.faults).toBe(3);
  });
});

describe('fanOut and presence', () => {
  test('a connection found gone during a fan-out leaves presence too', async () => {
    const t = await newTables();
    await createPresenceTable(dynamo.endpoint, 'fan-out-presence');
    const restore = setEnv({
      [Env.PRESENCE_TABLE]: 'fan-out-presence',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    });
    resetContainer();
    try {
      const store = new PresenceStore({ tableName: 'fan-out-presence', client: dynamo.newDocumentClient() });
      const ids = await seedConnections(
        t,
        4,
        () => ['room'],
        (i) => (i === 1 ? 'gone' : 'open'),
      );
      for (const id of ids) await store.join('room', { connectionId: id, transport: 'native', user: id });

      const result = await fanOut('room', 'hello', depsFor(t.store));

      expect(result.gone).toBe(1);
      const listed = (await store.list('room')).members.map((m) => m.connectionId).sort();
      expect(listed).toEqual([ids[0], ids[2], ids[3]].sort());
      expect(await store.stats('room')).toEqual({ channel: 'room', members: 3, users: 3 });
    } finally {
      restore();
      resetContainer();
    }
  });
});
