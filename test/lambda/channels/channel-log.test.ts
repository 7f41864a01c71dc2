/**
 * The durable channel log against dynalite, with the real SDK clients: offsets, epochs, retention, pages, resume,
 * and publishers racing in one process and in several.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ChannelLog, MAX_BLOCK_BYTES, MAX_BLOCK_MESSAGES, MAX_FROM_LENGTH } from '../../../lambda/channels/channel-log';
import { messageFrame } from '../../../lambda/channels/envelope';
import { ChannelLogSchema } from '../../../lambda/contract';
import { resetContainer } from '../../../lambda/core/container';
import { ChannelBusyError, GripConfigError, InvalidValueError } from '../../../lambda/core/errors';
import { createChannelLogTable } from '../../../local/stack/local-dynamo';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';

const run = promisify(execFile);
const TABLE = 'channel-log';
const ROOT = path.resolve(__dirname, '..', '..', '..');

let dynamo: LocalDynamo;
let channelCount = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createChannelLogTable(dynamo.endpoint, TABLE);
});

afterAll(() => dynamo.stop());

beforeEach(() => resetContainer());

/** A log on the test table; each test its own channel. */
function logOf(options: { maxCount?: number; maxAttempts?: number; maxAgeSeconds?: number } = {}) {
  return new ChannelLog({ tableName: TABLE, client: dynamo.newDocumentClient(), ...options });
}

function freshChannel(): string {
  channelCount += 1;
  return `room-${channelCount}`;
}

test('appends get offsets 1, 2, 3... in one epoch, and the head follows', async () => {
  const log = logOf();
  const channel = freshChannel();

  expect(await log.head(channel)).toEqual({ offset: 0, epoch: '' });
  const appended = [];
  for (const text of ['a', 'b', 'c']) appended.push(await log.append(channel, text));

  expect(appended.map((m) => m.offset)).toEqual([1, 2, 3]);
  expect(new Set(appended.map((m) => m.epoch)).size).toBe(1);
  expect(await log.head(channel)).toEqual({ offset: 3, epoch: appended[0].epoch });
  const bytes = await log.append(channel, new Uint8Array([0, 255]));
  const page = await log.read(channel, { limit: 10 });
  expect(page.messages.map((m) => m.data)).toEqual(['a', 'b', 'c', new Uint8Array([0, 255])]);
  expect(bytes.offset).toBe(4);
});

test('keeps who published a message when the publisher says, and refuses an over-long one', async () => {
  const log = logOf();
  const channel = freshChannel();
  const signed = await log.append(channel, 'hello', 'alice');
  await log.appendAll(channel, ['plain', { data: new Uint8Array([1]), from: 'bob' }]);
  expect(signed.from).toBe('alice');
  const page = await log.read(channel, { limit: 10 });
  expect(page.messages.map((m) => m.from)).toEqual(['alice', undefined, 'bob']);
  expect(messageFrame(page.messages[0])).toContain('"from":"alice"');
  expect(messageFrame(page.messages[1])).not.toContain('"from"');
  await expect(log.append(channel, 'x', 'a'.repeat(MAX_FROM_LENGTH + 1))).rejects.toThrow(InvalidValueError);
});

test('racing publishers in one process get unique, contiguous offsets', async () => {
  const channel = freshChannel();
  const logs = Array.from({ length: 5 }, () => logOf({ maxAttempts: 100 }));

  const appended = await Promise.all(
    Array.from({ length: 40 }, (_, i) => logs[i % logs.length].append(channel, `m${i}`)),
  );

  const offsets = appended.map((m) => m.offset).sort((a, b) => a - b);
  expect(offsets).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(new Set(appended.map((m) => m.epoch)).size).toBe(1);
});

test('publishers in several processes at once: offsets unique and contiguous, every message once', async () => {
  const compiled = path.join(ROOT, 'dist', 'lambda', 'channels', 'channel-log.js');
  if (!fs.existsSync(compiled)) throw new Error('run `npm run build` first: this test runs the compiled log');
  const channel = freshChannel();
  const script = `
    const { ChannelLog } = require(${JSON.stringify(compiled)});
    const [tag, count] = process.argv.slice(1);
    const log = new ChannelLog({ tableName: ${JSON.stringify(TABLE)}, maxAttempts: 200 });
    (async () => {
      const out = [];
      for (let i = 0; i < Number(count); i++) out.push((await log.append(${JSON.stringify(channel)}, tag + '-' + i)).offset);
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  };

  const outputs = await Promise.all(
    ['p1', 'p2', 'p3', 'p4'].map((tag) => run(process.execPath, ['-e', script, tag, '30'], { env })),
  );

  const offsets = outputs.flatMap((o) => JSON.parse(o.stdout) as number[]).sort((a, b) => a - b);
  expect(offsets).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  const page = await logOf().read(channel, { limit: 200 });
  expect(page.messages.map((m) => m.offset)).toEqual(offsets);
  expect(new Set(page.messages.map((m) => m.data)).size).toBe(120);
}, 60_000);

test('a lost race beyond maxAttempts is a retryable ChannelBusyError, and nothing is appended', async () => {
  const channel = freshChannel();
  const log = logOf({ maxAttempts: 1 });
  const first = await log.append(channel, 'first');
  // Another container appends offset 2 behind this container's back.
  await dynamo.newDocumentClient().send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        [ChannelLogSchema.partitionKey]: channel,
        [ChannelLogSchema.sortKey]: 2,
        count: 1,
        epoch: first.epoch,
        messages: [{ t: 'other' }],
        publishedAt: Date.now(),
      },
    }),
  );

  const error = await log.append(channel, 'mine').catch((e: Error) => e);

  expect(error).toBeInstanceOf(ChannelBusyError);
  expect((error as ChannelBusyError).retryable).toBe(true);
  expect((await log.read(channel, { limit: 10 })).messages.map((m) => m.data)).toEqual(['first', 'other']);
  expect((await log.append(channel, 'mine')).offset).toBe(3);
});

test('pages: oldest or newest first, with the offset to continue from', async () => {
  const log = logOf();
  const channel = freshChannel();
  for (let i = 1; i <= 7; i++) await log.append(channel, `m${i}`);

  const first = await log.read(channel, { limit: 3 });
  expect(first.messages.map((m) => m.offset)).toEqual([1, 2, 3]);
  expect(first.next).toBe(3);
  const second = await log.read(channel, { after: first.next as number, limit: 10 });
  expect(second.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7]);
  expect(second.next).toBeNull();

  const newest = await log.read(channel, { newestFirst: true, limit: 2 });
  expect(newest.messages.map((m) => m.offset)).toEqual([7, 6]);
  const older = await log.read(channel, { newestFirst: true, before: newest.next as number, limit: 10 });
  expect(older.messages.map((m) => m.offset)).toEqual([5, 4, 3, 2, 1]);
});

test('retention by count: offsets more than maxCount behind the head are gone to readers', async () => {
  const log = logOf({ maxCount: 3 });
  const channel = freshChannel();
  for (let i = 1; i <= 5; i++) await log.append(channel, `m${i}`);

  expect((await log.read(channel, { limit: 10 })).messages.map((m) => m.offset)).toEqual([3, 4, 5]);
});

test('resume: every message after a position of the current epoch, or recovered false with the head', async () => {
  const log = logOf({ maxCount: 5 });
  const channel = freshChannel();
  const appended = [];
  for (let i = 1; i <= 8; i++) appended.push(await log.append(channel, `m${i}`));
  const epoch = appended[0].epoch;
  const head = { offset: 8, epoch };

  const resumed = await log.resume(channel, { offset: 5, epoch });
  expect(resumed).toMatchObject({ recovered: true, head });
  expect(resumed.messages.map((m) => m.data)).toEqual(['m6', 'm7', 'm8']);
  expect(await log.resume(channel, { offset: 8, epoch })).toEqual({ recovered: true, head, messages: [] });

  // Older than retention (offsets 1-3 are gone), another epoch, or ahead of the head: not recovered.
  expect(await log.resume(channel, { offset: 1, epoch })).toEqual({ recovered: false, head, messages: [] });
  expect(await log.resume(channel, { offset: 6, epoch: 'another' })).toEqual({ recovered: false, head, messages: [] });
  expect(await log.resume(channel, { offset: 9, epoch })).toEqual({ recovered: false, head, messages: [] });
});

test('a log that starts again empty (lost, reset, expired) has a new epoch, past the offsets old items still hold', async () => {
  const channel = freshChannel();
  const before = await logOf({ maxAgeSeconds: 1 }).append(channel, 'old');
  // Expired (its TTL attribute passed), though still in the table: TTL deletion lags.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  resetContainer();
  expect(await logOf().head(channel)).toEqual({ offset: 0, epoch: '' });

  const after = await logOf().append(channel, 'new');

  expect(after.epoch).not.toBe(before.epoch);
  expect(after.offset).toBe(2);
  expect(await logOf().resume(channel, { offset: 1, epoch: before.epoch })).toMatchObject({ recovered: false });
});

test('bad positions and a missing table setting are typed errors', async () => {
  const log = logOf();
  for (const position of [
    { offset: -1, epoch: 'e' },
    { offset: 1.5, epoch: 'e' },
    { offset: Number.NaN, epoch: 'e' },
    { offset: 1, epoch: 7 as unknown as string },
  ]) {
    await expect(log.resume('room', position)).rejects.toThrow(InvalidValueError);
  }
  expect(() => new ChannelLog({ tableName: undefined })).toThrow(GripConfigError);
});

test('appendAll writes one block per 100 messages, and reads and resumes cross block bounds', async () => {
  const log = logOf();
  const channel = freshChannel();
  await log.append(channel, 'm1');
  const texts = Array.from({ length: 250 }, (_, i) => `m${i + 2}`);

  const appended = await log.appendAll(channel, texts);

  expect(appended.map((m) => m.offset)).toEqual(Array.from({ length: 250 }, (_, i) => i + 2));
  const items = await dynamo.newDocumentClient().send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: '#c = :c',
      ExpressionAttributeNames: { '#c': ChannelLogSchema.partitionKey },
      ExpressionAttributeValues: { ':c': channel },
    }),
  );
  expect(items.Items?.map((i) => [i[ChannelLogSchema.sortKey], i.count])).toEqual([
    [1, 1],
    [2, MAX_BLOCK_MESSAGES],
    [102, MAX_BLOCK_MESSAGES],
    [202, 50],
  ]);
  const middle = await log.read(channel, { after: 99, limit: 5 });
  expect(middle.messages.map((m) => m.data)).toEqual(['m100', 'm101', 'm102', 'm103', 'm104']);
  const newest = await log.read(channel, { newestFirst: true, before: 104, limit: 4 });
  expect(newest.messages.map((m) => m.offset)).toEqual([103, 102, 101, 100]);
  const resumed = await log.resume(channel, { offset: 150, epoch: appended[0].epoch }, 40);
  expect(resumed.recovered).toBe(true);
  expect(resumed.messages.map((m) => m.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i + 151));
  expect(resumed.head.offset).toBe(251);
});

test('a message larger than a block is refused before anything is written', async () => {
  const log = logOf();
  const channel = freshChannel();

  await expect(log.appendAll(channel, ['ok', 'x'.repeat(MAX_BLOCK_BYTES + 1)])).rejects.toThrow(InvalidValueError);
  expect(await log.head(channel)).toEqual({ offset: 0, epoch: '' });
});

test('the registry lists every channel that has had a message; names starting with ~ cannot be durable', async () => {
  const table = 'registry-log';
  await createChannelLogTable(dynamo.endpoint, table);
  const log = new ChannelLog({ tableName: table, client: dynamo.newDocumentClient() });
  expect(await log.channels()).toEqual([]);

  await log.append('zeta', 'z');
  await log.append('alpha', 'a');
  await log.append('alpha', 'b');

  expect(await log.channels()).toEqual(['alpha', 'zeta']);
  await expect(log.append('~channels', 'x')).rejects.toThrow(InvalidValueError);
});
