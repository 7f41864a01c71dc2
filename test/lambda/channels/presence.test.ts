/**
 * Presence against dynalite with the real SDK clients: join and leave counted exactly (also 200 at once on one
 * channel), distinct users, a connection's channels left when it closes, refresh and sweep of stale members,
 * pages with tokens that cannot be altered, and the refusals.
 */
import { PresenceStore } from '../../../lambda/channels/presence';
import { resetContainer } from '../../../lambda/core/container';
import { GripConfigError, InvalidValueError } from '../../../lambda/core/errors';
import { createPresenceTable } from '../../../local/stack/local-dynamo';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { setEnv } from '../../helpers/grip-events';

const TABLE = 'presence';
let dynamo: LocalDynamo;
let channels = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createPresenceTable(dynamo.endpoint, TABLE);
});
afterAll(() => dynamo.stop());
beforeEach(() => resetContainer());

const storeOf = (timeoutSeconds = 45) =>
  new PresenceStore({ tableName: TABLE, client: dynamo.newDocumentClient(), timeoutSeconds });
const fresh = () => `presence-${++channels}`;
const member = (id: string, user = id) => ({ connectionId: id, transport: 'grip', user, info: { nick: user } });

async function allMembers(store: PresenceStore, channel: string) {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.list(channel, { limit: 7, pageToken: token });
    ids.push(...page.members.map((m) => m.connectionId));
    token = page.next ?? undefined;
  } while (token !== undefined);
  return ids.sort();
}

test('join and leave: members listed with what the handler stored, counts of members and distinct users', async () => {
  const store = storeOf();
  const channel = fresh();

  expect(await store.join(channel, member('c1', 'ann'))).toBe(true);
  expect(await store.join(channel, member('c2', 'ann'))).toBe(true);
  expect(await store.join(channel, { ...member('c3', 'bob'), transport: 'native' })).toBe(true);
  expect(await store.join(channel, member('c1', 'ann'))).toBe(false); // already a member: refreshed

  expect(await store.stats(channel)).toEqual({ channel, members: 3, users: 2 });
  const page = await store.list(channel);
  expect(page.members.map((m) => [m.connectionId, m.transport, m.user, m.info.nick])).toEqual([
    ['c1', 'grip', 'ann', 'ann'],
    ['c2', 'grip', 'ann', 'ann'],
    ['c3', 'native', 'bob', 'bob'],
  ]);

  expect((await store.leave(channel, 'c1'))?.user).toBe('ann');
  expect(await store.leave(channel, 'c1')).toBeUndefined(); // twice: counted once
  expect(await store.stats(channel)).toEqual({ channel, members: 2, users: 2 });
  await store.leave(channel, 'c2');
  expect(await store.stats(channel)).toEqual({ channel, members: 1, users: 1 });
  expect(await store.stats('never-used')).toEqual({ channel: 'never-used', members: 0, users: 0 });
});

test('200 joins and leaves at once on one channel leave the counts exact', async () => {
  const stores = Array.from({ length: 4 }, () => storeOf());
  const channel = fresh();
  const ids = Array.from({ length: 200 }, (_, i) => `k${i}`);

  await Promise.all(ids.map((id, i) => stores[i % 4].join(channel, member(id, `user${i % 50}`))));
  expect(await stores[0].stats(channel)).toEqual({ channel, members: 200, users: 50 });

  // Half leave while the other half join again (already members), all at once, each twice.
  await Promise.all([
    ...ids.slice(0, 100).flatMap((id, i) => [stores[i % 4].leave(channel, id), stores[(i + 1) % 4].leave(channel, id)]),
    ...ids.slice(100).map((id, i) => stores[i % 4].join(channel, member(id, `user${(i + 100) % 50}`))),
  ]);

  expect(await stores[0].stats(channel)).toEqual({ channel, members: 100, users: 50 });
  expect(await allMembers(stores[0], channel)).toEqual(ids.slice(100).sort());
});

test('a closed connection leaves every channel it was in', async () => {
  const store = storeOf();
  const [a, b] = [fresh(), fresh()];
  await store.join(a, member('gone'));
  await store.join(b, member('gone'));
  await store.join(b, member('stays'));

  const left = await store.leaveAll('gone');

  expect(left.map((m) => m.channel).sort()).toEqual([a, b].sort());
  expect(await store.stats(a)).toEqual({ channel: a, members: 0, users: 0 });
  expect(await allMembers(store, b)).toEqual(['stays']);
});

test('a member without a liveness signal for the timeout is swept as a leave; a refreshed one stays', async () => {
  const store = storeOf(1);
  const channel = fresh();
  await store.join(channel, member('quiet'));
  await store.join(channel, member('alive'));

  await new Promise((resolve) => setTimeout(resolve, 700));
  await store.refresh('alive', [channel]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const swept = await store.sweep(channel);

  expect(swept.map((m) => m.connectionId)).toEqual(['quiet']);
  expect(await allMembers(store, channel)).toEqual(['alive']);
  expect(await store.stats(channel)).toEqual({ channel, members: 1, users: 1 });
  expect(await store.refresh('never-joined', [channel])).toEqual([channel]);
  expect(await store.refresh('alive', [channel])).toEqual([]);
  expect(await store.stats(channel)).toEqual({ channel, members: 1, users: 1 });
});

test('a heartbeat heals a lost join: a connection listed as a member but without an entry joins again', async () => {
  const { presenceHeartbeat, PRESENCE_META } = await import('../../../lambda/channels/presence-events');
  const { Transport, WebSocketContext } = await import('../../../lambda/core/websocket-context');
  const { createGripFinisher } = await import('../../../lambda/grip/grip-response');
  const restore = setEnv({
    FAAS_GRIP_PRESENCE_TABLE: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  resetContainer();
  try {
    const channel = fresh();
    // The connection's meta says it is a member (its join's store call failed after the meta was written).
    const ws = new WebSocketContext({
      id: 'healed',
      transport: Transport.GRIP,
      meta: { [PRESENCE_META]: channel },
      events: [{ type: 'TEXT', content: Buffer.from('{"fg":1,"op":"ping"}') }],
      finisher: createGripFinisher((r) => r),
    });
    await presenceHeartbeat(ws, (_ws, c) => (c === channel ? { user: 'zoe', info: { nick: 'zoe' } } : undefined));
    expect(await allMembers(storeOf(), channel)).toEqual(['healed']);
    // Without a way to say who it is, a heartbeat cannot join it (it does not invent an identity).
    const other = fresh();
    const anonymous = new WebSocketContext({
      id: 'unnamed',
      transport: Transport.GRIP,
      meta: { [PRESENCE_META]: other },
      events: [],
      finisher: createGripFinisher((r) => r),
    });
    await presenceHeartbeat(anonymous);
    expect(await allMembers(storeOf(), other)).toEqual([]);
  } finally {
    restore();
    resetContainer();
  }
});

test('page tokens: each page once; a changed token, a token of another channel or a bad limit is refused', async () => {
  const store = storeOf();
  const channel = fresh();
  for (let i = 0; i < 10; i++) await store.join(channel, member(`p${i}`));

  const first = await store.list(channel, { limit: 4 });
  expect(first.members).toHaveLength(4);
  const token = first.next as string;
  const second = await store.list(channel, { limit: 4, pageToken: token });
  expect(second.members.map((m) => m.connectionId)).toEqual(['p4', 'p5', 'p6', 'p7']);

  const altered = `${Buffer.from('m#p8').toString('base64url')}.${token.split('.')[1]}`;
  for (const bad of [altered, `${token}x`, 'garbage', `${token}.more`]) {
    await expect(store.list(channel, { pageToken: bad })).rejects.toThrow(InvalidValueError);
  }
  await expect(store.list(fresh(), { pageToken: token })).rejects.toThrow(InvalidValueError);
  await expect(store.list(channel, { limit: 0 })).rejects.toThrow(InvalidValueError);
  await expect(store.list('bad,name')).rejects.toThrow(InvalidValueError);
  await expect(store.join(channel, { ...member('x'), user: '' })).rejects.toThrow(InvalidValueError);
  expect(() => new PresenceStore({ tableName: undefined })).toThrow(GripConfigError);
});
