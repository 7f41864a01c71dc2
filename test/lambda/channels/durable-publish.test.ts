/**
 * Durable publishing and the channel protocol on the GRIP transport, against a recording control API and the
 * channel log in dynalite: what goes to the proxy (the message as it is, with its offset as id/prev-id, and its
 * envelope for protocol subscribers), what a protocol frame gets back, and the refusals.
 */
import { ChannelLog } from '../../../lambda/channels/channel-log';
import { envelopeChannel } from '../../../lambda/channels/envelope';
import { history } from '../../../lambda/channels/history';
import { Env } from '../../../lambda/contract';
import { resetContainer } from '../../../lambda/core/container';
import { GripConfigError, InvalidValueError } from '../../../lambda/core/errors';
import { publish } from '../../../lambda/core/publish';
import { handler } from '../../../lambda/examples/chat/chat-handler';
import { WebSocketMessageFormat } from '../../../lambda/grip/formats';
import { createChannelLogTable, createPresenceTable } from '../../../local/stack/local-dynamo';
import { ControlEndpoint } from '../../helpers/control-endpoint';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { decodeResult, setEnv, useGripEnv, wohEvent } from '../../helpers/grip-events';

const TABLE = 'log';
let endpoint: ControlEndpoint;
let dynamo: LocalDynamo;
let channels = 0;

beforeAll(async () => {
  endpoint = await ControlEndpoint.start();
  dynamo = await startDynalite();
  await createChannelLogTable(dynamo.endpoint, TABLE);
  await createPresenceTable(dynamo.endpoint, 'presence');
});

afterAll(async () => {
  await endpoint.stop();
  await dynamo.stop();
});

useGripEnv(() => `${endpoint.uri}/?iss=backend&key=publish-secret&verify-iss=pushpin&verify-key=changeme`);

let restore: () => void = () => {};
beforeEach(() => {
  restore = setEnv({
    [Env.CHANNEL_LOG_TABLE]: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
  resetContainer();
  endpoint.published.length = 0;
  endpoint.received = 0;
  jest.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => restore());

function fresh(): string {
  channels += 1;
  return `durable-${channels}`;
}

/** One request of frames from a connection, through the chat handler. */
async function request(frames: unknown[], connectionId = 'c1') {
  const events = frames.map((f) => ({ type: 'TEXT' as const, content: typeof f === 'string' ? f : JSON.stringify(f) }));
  return decodeResult(await handler(wohEvent('rest-v1', { events, connectionId }), {}));
}

/** A TEXT event's protocol frame (a message event carries `m:` when the response also has control messages). */
const frame = (event: string) => JSON.parse(event.slice('TEXT:'.length).replace(/^m:/, ''));
const isFrame = (event: string) => /^TEXT:(m:)?\{/.test(event);

test('a turn of durable publishes: one log write, offsets in call order, as ids; envelopes for protocol subscribers', async () => {
  const channel = fresh();

  const results = await Promise.all(['a', 'b', 'c'].map((t) => publish(channel, new WebSocketMessageFormat(t))));

  expect(results.map((r) => r.offset)).toEqual([1, 2, 3]);
  expect(endpoint.received).toBe(1);
  const items = endpoint.items();
  const plain = items.filter((i) => i.channel === channel);
  expect(plain.map((i) => [i.id, i['prev-id']])).toEqual([
    ['1', '0'],
    ['2', '1'],
    ['3', '2'],
  ]);
  expect(endpoint.wsMessages(channel)).toEqual(['a', 'b', 'c']);
  const envelopes = endpoint.wsMessages(envelopeChannel(channel)).map((text) => JSON.parse(text));
  expect(envelopes).toEqual(
    ['a', 'b', 'c'].map((data, i) => ({
      fg: 1,
      type: 'message',
      channel,
      offset: i + 1,
      epoch: results[0].epoch,
      data,
    })),
  );
  const page = await history(channel, { since: 0 });
  expect(page.messages.map((m) => [m.offset, m.data])).toEqual([
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
  ]);
});

test('bytes travel as data64; durable: false publishes as before, with no id and no envelope', async () => {
  const channel = fresh();
  const bytes = new Uint8Array([0, 1, 254, 255]);

  await publish(channel, new WebSocketMessageFormat(bytes));
  await publish(channel, new WebSocketMessageFormat('plain'), { durable: false });

  const envelope = JSON.parse(endpoint.wsMessages(envelopeChannel(channel))[0]);
  expect(Buffer.from(envelope.data64, 'base64')).toEqual(Buffer.from(bytes));
  const plain = endpoint.items().filter((i) => i.channel === channel);
  expect(plain[1].id).toBeUndefined();
  expect(endpoint.wsMessages(envelopeChannel(channel))).toHaveLength(1);
  expect((await history(channel)).messages).toHaveLength(1);
});

test('a durable publish without a log table is a GripConfigError, and nothing is delivered', async () => {
  restore();
  restore = setEnv({ [Env.CHANNEL_LOG_TABLE]: undefined });
  resetContainer();

  await expect(publish('room', new WebSocketMessageFormat('x'), { durable: true })).rejects.toThrow(GripConfigError);
  expect(endpoint.received).toBe(0);
});

test('subscribe with a position: unsubscribed from the plain channel, subscribed to envelopes, the missed replayed', async () => {
  const channel = fresh();
  const first = await publish(channel, new WebSocketMessageFormat('one'));
  await publish(channel, new WebSocketMessageFormat('two'));
  await publish(channel, new WebSocketMessageFormat('three'));

  const result = await request([{ fg: 1, op: 'subscribe', channel, offset: 1, epoch: first.epoch }]);

  const controls = result.events.filter((e) => e.startsWith('TEXT:c:')).map((e) => JSON.parse(e.slice(7)));
  expect(controls).toEqual([
    { type: 'unsubscribe', channel },
    { type: 'subscribe', channel: envelopeChannel(channel) },
  ]);
  const frames = result.events.filter(isFrame).map(frame);
  expect(frames).toEqual([
    { fg: 1, type: 'message', channel, offset: 2, epoch: first.epoch, data: 'two' },
    { fg: 1, type: 'message', channel, offset: 3, epoch: first.epoch, data: 'three' },
    { fg: 1, type: 'subscribed', channel, recovered: true, offset: 3, epoch: first.epoch },
  ]);
});

test('fetch, history and ping answers; a position of another epoch is not recovered', async () => {
  const channel = fresh();
  for (const t of ['m1', 'm2', 'm3', 'm4']) await publish(channel, new WebSocketMessageFormat(t));
  const { epoch } = await new ChannelLog({ tableName: TABLE }).head(channel);

  const result = await request([
    { fg: 1, op: 'fetch', channel, offset: 3, epoch },
    { fg: 1, op: 'fetch', channel, offset: 1, epoch: 'old-epoch' },
    { fg: 1, op: 'history', channel, limit: 2, id: 'h' },
    { fg: 1, op: 'ping' },
  ]);

  expect(result.events.map(frame)).toEqual([
    { fg: 1, type: 'message', channel, offset: 4, epoch, data: 'm4' },
    { fg: 1, type: 'fetched', channel, recovered: true, offset: 4, epoch },
    { fg: 1, type: 'fetched', channel, recovered: false, offset: 4, epoch },
    {
      fg: 1,
      type: 'history',
      id: 'h',
      channel,
      epoch,
      messages: [
        { offset: 4, data: 'm4', publishedAt: expect.any(Number) },
        { offset: 3, data: 'm3', publishedAt: expect.any(Number) },
      ],
      next: 3,
    },
    { fg: 1, type: 'pong' },
  ]);
});

test('bad frames get typed error frames and change nothing; the chat still takes its own messages', async () => {
  const result = await request([
    { fg: 2, op: 'subscribe', channel: 'room' },
    { fg: 1, op: 'dance' },
    { fg: 1, op: 'subscribe', channel: 'bad,name' },
    { fg: 1, op: 'fetch', channel: 'room', offset: -1, epoch: 'e' },
    { fg: 1, op: 'fetch', channel: 'room', offset: 1.5, epoch: 'e' },
    { fg: 1, op: 'fetch', channel: 'room', offset: 1 },
    { fg: 1, op: 'history', channel: 'room', limit: 100_000 },
    { fg: 1, op: 'subscribe', channel: 'room', offset: 1, epoch: 'e', recent: 5 },
    '{"fg":1,"op":',
  ]);

  expect(result.events.slice(0, 8).map((e) => frame(e).code)).toEqual([
    'unsupported-version',
    'unknown-op',
    'invalid-channel',
    'invalid-position',
    'invalid-position',
    'invalid-position',
    'invalid-limit',
    'invalid-position',
  ]);
  expect(result.events.filter((e) => e.startsWith('TEXT:c:'))).toEqual([]);
  // Not JSON: the chat's own message, published as a line.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(endpoint.wsMessages('room')).toEqual(['anonymous: {"fg":1,"op":']);
});

test('history(): pages newest first by default or oldest first after since; bad input is a typed error', async () => {
  const channel = fresh();
  for (let i = 1; i <= 5; i++) await publish(channel, new WebSocketMessageFormat(`m${i}`));

  const newest = await history(channel, { limit: 2 });
  expect(newest.messages.map((m) => m.offset)).toEqual([5, 4]);
  const older = await history(channel, { before: newest.next as number, limit: 10 });
  expect(older.messages.map((m) => m.offset)).toEqual([3, 2, 1]);
  expect(older.next).toBeNull();
  expect((await history(channel, { since: 3 })).messages.map((m) => m.offset)).toEqual([4, 5]);
  expect(await history('never-used')).toEqual({ channel: 'never-used', epoch: '', messages: [], next: null });

  for (const options of [{ limit: 0 }, { limit: 1001 }, { since: -1 }, { before: 1.5 }, { since: 1, before: 3 }]) {
    await expect(history(channel, options)).rejects.toThrow(InvalidValueError);
  }
  await expect(history('bad"name')).rejects.toThrow(InvalidValueError);
});

test('/channels lists the channels with history; without a log table it says why', async () => {
  const channel = fresh();
  await publish(channel, new WebSocketMessageFormat('hi'));

  const listed = await request(['/channels']);
  const line = listed.events[0].slice('TEXT:'.length).replace(/^m:/, '');
  expect(line.startsWith('channels: ')).toBe(true);
  expect(line.slice('channels: '.length).split(', ')).toContain(channel);

  restore();
  restore = setEnv({ [Env.CHANNEL_LOG_TABLE]: undefined });
  resetContainer();
  const refused = (await request(['/channels'])).events.map((e) => e.replace(/^TEXT:(m:)?/, ''));
  expect(refused).toEqual(['error: no channel list here: the chat keeps no history']);
});

test('a subscribe answer replays at most 100 messages; the rest is fetched from where it stopped', async () => {
  const channel = fresh();
  const sent = await Promise.all(
    Array.from({ length: 150 }, (_, i) => publish(channel, new WebSocketMessageFormat(`r${i + 1}`))),
  );
  const { epoch } = sent[0];

  const first = (await request([{ fg: 1, op: 'subscribe', channel, offset: 0, epoch }])).events
    .filter(isFrame)
    .map(frame);
  const replayed = first.filter((f) => f.type === 'message');
  expect(replayed.map((f) => f.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  expect(first.at(-1)).toEqual({ fg: 1, type: 'subscribed', channel, recovered: true, offset: 150, epoch });

  const rest = (await request([{ fg: 1, op: 'fetch', channel, offset: 100, epoch }])).events.map(frame);
  expect(rest.filter((f) => f.type === 'message').map((f) => f.data)).toEqual(
    Array.from({ length: 50 }, (_, i) => `r${i + 101}`),
  );
});

test('presence: a protocol subscriber joins and it is announced; FAAS_GRIP_PRESENCE_EVENTS empty announces nothing', async () => {
  restore();
  restore = setEnv({
    [Env.CHANNEL_LOG_TABLE]: TABLE,
    [Env.PRESENCE_TABLE]: 'presence',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
  resetContainer();
  const channel = fresh();
  const announced = () =>
    endpoint
      .wsMessages(envelopeChannel(channel))
      .map((text) => JSON.parse(text))
      .filter((f) => f.type === 'join');

  const joined = await request([{ fg: 1, op: 'subscribe', channel }], 'pa');
  expect(joined.headers['Set-Meta-fg-presence']).toBe(channel);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(announced().map((f) => f.member.connectionId)).toEqual(['pa']);
  const listed = (await request([{ fg: 1, op: 'presence', channel, id: 'p' }], 'pa')).events.map(frame);
  expect(listed[0]).toMatchObject({
    type: 'presence',
    id: 'p',
    members: [{ connectionId: 'pa' }],
    stats: { members: 1 },
  });

  restore();
  restore = setEnv({
    [Env.CHANNEL_LOG_TABLE]: TABLE,
    [Env.PRESENCE_TABLE]: 'presence',
    [Env.PRESENCE_EVENTS]: '',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
  await request([{ fg: 1, op: 'subscribe', channel }], 'pb');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(announced().map((f) => f.member.connectionId)).toEqual(['pa']);
  const stats = (await request([{ fg: 1, op: 'presence', channel }], 'pb')).events.map(frame)[0];
  expect(stats.stats).toEqual({ members: 2, users: 2 });
});
