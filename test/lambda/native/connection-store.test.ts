import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CONNECTION_TTL_SECONDS, Env } from '../../../lambda/contract';
import { ConnectionStoreError, GripConfigError } from '../../../lambda/core/errors';
import { ConnectionStore, type ConnectionStoreOptions } from '../../../lambda/native/connection-store';
import { injectDynamoFaults, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { setEnv } from '../../helpers/grip-events';

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

/** A store on a fresh table, with its own document client. */
async function newStore(options: Partial<ConnectionStoreOptions> = {}) {
  const tableName = `connections-${++tables}`;
  await dynamo.createConnectionTable(tableName);
  const client = options.client ?? dynamo.newDocumentClient();
  return { store: new ConnectionStore({ tableName, client, retryBaseMs: 1, ...options }), client, tableName };
}

/** Records the name of every command the client sends. */
function recordCommands(client: DynamoDBDocumentClient): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      names.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize' },
  );
  return names;
}

async function pagesOf<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function allMembers(store: ConnectionStore, channel: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of store.members(channel)) ids.push(...page.map((m) => m.connectionId));
  return ids.sort();
}

describe('ConnectionStore', () => {
  test('putConnection writes the connection, its memberships and its expiry', async () => {
    const { store } = await newStore();
    const before = Math.floor(Date.now() / 1000);

    const record = await store.putConnection('c1', { meta: { nick: 'alice' }, channels: ['lobby', 'news'] });

    const read = await store.getConnection('c1');
    expect(read).toEqual(record);
    expect(read?.meta).toEqual({ nick: 'alice' });
    expect(read?.expiresAt).toBeGreaterThanOrEqual(before + CONNECTION_TTL_SECONDS);
    expect(read?.expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + CONNECTION_TTL_SECONDS);
    expect((await store.channelsOf('c1')).sort()).toEqual(['lobby', 'news']);
    const [page] = await pagesOf(store.members('lobby'));
    expect(page).toEqual([{ connectionId: 'c1', expiresAt: record.expiresAt }]);
  });

  test('an unknown connection reads as undefined', async () => {
    const { store } = await newStore();

    expect(await store.getConnection('nobody')).toBeUndefined();
  });

  test('a TTL-expired connection and its memberships are ignored on read', async () => {
    const { store, client, tableName } = await newStore();
    const threeHoursAgo = Date.now() - 3 * 3600 * 1000;
    const past = new ConnectionStore({ tableName, client, now: () => threeHoursAgo });
    await past.putConnection('old', { meta: { nick: 'ghost' }, channels: ['room'] });
    await store.putConnection('new', { channels: ['room'] });

    expect(await store.getConnection('old')).toBeUndefined();
    expect(await allMembers(store, 'room')).toEqual(['new']);
    const raw = await client.send(new GetCommand({ TableName: tableName, Key: { pk: 'CONN#old', sk: 'CONN#old' } }));
    expect(raw.Item).toBeDefined();
  });

  test('members are read by paginated Query, never Scan, each exactly once', async () => {
    const { store, client } = await newStore({ pageSize: 7 });
    const ids = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const id of ids) await store.subscribe(id, ['big']);
    await store.subscribe('other', ['small']);
    const commands = recordCommands(client);

    const pages = await pagesOf(store.members('big'));

    expect(pages.length).toBe(8);
    expect(pages.every((page) => page.length <= 7)).toBe(true);
    expect(
      pages
        .flat()
        .map((m) => m.connectionId)
        .sort(),
    ).toEqual(ids);
    expect(commands).not.toContain('ScanCommand');
    expect(commands.filter((c) => c === 'QueryCommand').length).toBe(8);
  });

  test('deleteConnection removes the connection and every membership, in several batches', async () => {
    const { store, client } = await newStore();
    const channels = Array.from({ length: 60 }, (_, i) => `ch${i}`);
    await store.putConnection('leaver', { channels });
    await store.putConnection('stayer', { channels: ['ch0', 'ch59'] });
    const commands = recordCommands(client);

    await store.deleteConnection('leaver');
    const writes = commands.filter((c) => c === 'BatchWriteItemCommand').length;

    expect(await store.getConnection('leaver')).toBeUndefined();
    expect(await store.channelsOf('leaver')).toEqual([]);
    expect(await allMembers(store, 'ch0')).toEqual(['stayer']);
    expect(await allMembers(store, 'ch30')).toEqual([]);
    expect(writes).toBe(3);
    expect(await store.getConnection('stayer')).toBeDefined();
  });

  test('updateMeta sets and removes keys, and does not resurrect a deleted connection', async () => {
    const { store } = await newStore();
    await store.putConnection('c', { meta: { nick: 'bob', room: 'a', 'odd key.with#chars': '1' } });

    expect(await store.updateMeta('c', { nick: 'bobby', color: 'red' }, ['room', 'odd key.with#chars'])).toBe(true);
    expect((await store.getConnection('c'))?.meta).toEqual({ nick: 'bobby', color: 'red' });

    await store.deleteConnection('c');
    expect(await store.updateMeta('c', { nick: 'zombie' })).toBe(false);
    expect(await store.getConnection('c')).toBeUndefined();
  });

  test('pending messages are taken atomically: concurrent takers get them once', async () => {
    const { store } = await newStore();
    const pending = [
      { kind: 'text', text: 'welcome' },
      { kind: 'binary', bytes: new Uint8Array([0, 1, 255]) },
      { kind: 'close' },
    ] as const;
    await store.putConnection('c', { pending });
    expect((await store.getConnection('c'))?.pendingCount).toBe(3);

    const takes = await Promise.all([store.takePending('c'), store.takePending('c'), store.takePending('c')]);

    const nonEmpty = takes.filter((t) => t.length > 0);
    expect(nonEmpty).toEqual([pending]);
    expect((await store.getConnection('c'))?.pendingCount).toBe(0);
    expect(await store.takePending('c')).toEqual([]);
  });

  test('restorePending puts messages back in front, and refuses a deleted connection', async () => {
    const { store } = await newStore();
    await store.putConnection('c', { pending: [{ kind: 'text', text: 'two' }] });
    const taken = await store.takePending('c');
    await store.putConnection('d', { pending: [{ kind: 'text', text: 'three' }] });

    expect(await store.restorePending('c', [{ kind: 'text', text: 'one' }, ...taken])).toBe(true);
    expect(await store.takePending('c')).toEqual([
      { kind: 'text', text: 'one' },
      { kind: 'text', text: 'two' },
    ]);
    await store.deleteConnection('c');
    expect(await store.restorePending('c', taken)).toBe(false);
    expect(await store.getConnection('c')).toBeUndefined();
  });

  test('DynamoDB throttling is retried by the SDK and the operation succeeds', async () => {
    const { store, client } = await newStore();
    await store.putConnection('c', { meta: { nick: 'carol' } });
    const stats = injectDynamoFaults(client, 1);

    const read = await store.getConnection('c');

    expect(read?.meta).toEqual({ nick: 'carol' });
    expect(stats).toEqual({ sent: 2, faulted: 1 });
  });

  test('throttling that outlasts the SDK retries raises ConnectionStoreError', async () => {
    const { store, client } = await newStore({ client: dynamo.newDocumentClient({ maxAttempts: 2 }) });
    const stats = injectDynamoFaults(client, 100, 'ThrottlingException');

    const failure = store.getConnection('c');

    await expect(failure).rejects.toThrow(ConnectionStoreError);
    await expect(failure).rejects.toThrow(/GetItem .* failed: ThrottlingException/);
    expect(stats).toEqual({ sent: 2, faulted: 2 });
  });

  test('UnprocessedItems of a BatchWriteItem are retried until written', async () => {
    const { store, client, tableName } = await newStore();
    const mock = mockClient(client);
    mock.send.callThrough();
    mock.on(BatchWriteCommand).callsFakeOnce((input) => {
      const [first, ...rest] = input.RequestItems[tableName];
      return client.send(new BatchWriteCommand({ RequestItems: { [tableName]: [first] } })).then(() => ({
        UnprocessedItems: { [tableName]: rest },
      }));
    });
    try {
      await store.subscribe('c', ['a', 'b', 'c']);
    } finally {
      mock.restore();
    }

    expect((await store.channelsOf('c')).sort()).toEqual(['a', 'b', 'c']);
    expect(mock.commandCalls(BatchWriteCommand).length).toBeGreaterThanOrEqual(2);
  });

  test('UnprocessedItems that never clear raise ConnectionStoreError after bounded attempts', async () => {
    const { store, client } = await newStore({ maxBatchAttempts: 4 });
    const mock = mockClient(client);
    mock.send.callThrough();
    mock.on(BatchWriteCommand).callsFake((input) => ({ UnprocessedItems: input.RequestItems }));
    try {
      await expect(store.subscribe('c', ['a', 'b'])).rejects.toThrow(
        /2 of 2 write\(s\) still unprocessed after 4 BatchWriteItem attempts/,
      );
      expect(mock.commandCalls(BatchWriteCommand).length).toBe(4);
    } finally {
      mock.restore();
    }
    expect(await store.channelsOf('c')).toEqual([]);
  });

  test('fails without a table name, and names a missing table', async () => {
    const restore = setEnv({ [Env.CONNECTION_TABLE]: undefined });
    try {
      expect(() => new ConnectionStore()).toThrow(GripConfigError);
      expect(() => new ConnectionStore()).toThrow(/FAAS_GRIP_CONNECTION_TABLE/);
    } finally {
      restore();
    }
    const missing = new ConnectionStore({ tableName: 'no-such-table', client: dynamo.newDocumentClient() });
    await expect(missing.getConnection('c')).rejects.toThrow(/connection table "no-such-table" not found/);
  });

  test('three chat clients: subscribe, unsubscribe and rooms stay isolated', async () => {
    const { store } = await newStore();
    await store.putConnection('alice', { meta: { nick: 'alice' }, channels: ['room:red'] });
    await store.putConnection('bob', { meta: { nick: 'bob' }, channels: ['room:red'] });
    await store.putConnection('carol', { meta: { nick: 'carol' }, channels: ['room:blue'] });

    expect(await allMembers(store, 'room:red')).toEqual(['alice', 'bob']);
    expect(await allMembers(store, 'room:blue')).toEqual(['carol']);

    await store.subscribe('alice', ['room:blue']);
    await store.unsubscribe('bob', ['room:red']);
    await store.updateMeta('bob', { room: 'none' });

    expect(await allMembers(store, 'room:red')).toEqual(['alice']);
    expect(await allMembers(store, 'room:blue')).toEqual(['alice', 'carol']);
    expect((await store.channelsOf('alice')).sort()).toEqual(['room:blue', 'room:red']);
    expect(await store.channelsOf('bob')).toEqual([]);
    expect((await store.getConnection('bob'))?.meta).toEqual({ nick: 'bob', room: 'none' });

    await store.deleteConnection('alice');

    expect(await allMembers(store, 'room:red')).toEqual([]);
    expect(await allMembers(store, 'room:blue')).toEqual(['carol']);
    expect(await store.getConnection('carol')).toBeDefined();
  });
});
