/**
 * Presence bench, ratios against anchors measured in the same run on the same local DynamoDB (dynalite, in this
 * process): `presenceStats` of a 10,000-member channel vs one bare GetItem (target <= 2x), and a `presence` page of
 * 100 members vs one bare Query page of the same items (target <= 1.5x).
 */
'use strict';

const { startBenchDynamo, dist } = require('./lib/local-dynamo');
const { median, timed, fmt, ratio } = require('./lib/stats');

const MEMBERS = 10_000;

async function run(ctx) {
  const reps = ctx.args.reps ?? (ctx.quick ? 100 : 400);
  const dynamo = await startBenchDynamo();
  const table = await dynamo.localDynamo.createPresenceTable(dynamo.endpoint, 'bench-presence');
  process.env.FAAS_GRIP_PRESENCE_TABLE = table;
  const { presence, presenceStats } = require(dist('lambda/channels/presence.js'));
  const { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } = require('@aws-sdk/lib-dynamodb');
  const { client } = dynamo;
  try {
    // A 10,000-member channel, written directly (the reads do not depend on how the items got there).
    const now = Date.now();
    const item = (i) => ({
      pk: 'big',
      sk: `m#conn-${String(i).padStart(5, '0')}`,
      transport: i % 2 ? 'grip' : 'native',
      user: `user-${i}`,
      info: { nick: `user-${i}` },
      joinedAt: now,
      seenAt: now,
      expiresAt: Math.ceil(now / 1000) + 180,
    });
    for (let i = 0; i < MEMBERS; i += 25) {
      const requests = Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: item(i + j) } }));
      await client.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    }
    await client.send(
      new PutCommand({ TableName: table, Item: { pk: 'big', sk: '#stats', members: MEMBERS, users: MEMBERS } }),
    );

    const stats = [];
    const get = [];
    const page = [];
    const query = [];
    for (let i = 0; i < 20; i++) await presenceStats('big');
    for (let i = 0; i < reps; i++) {
      stats.push(
        await timed(async () => {
          if ((await presenceStats('big')).members !== MEMBERS) throw new Error('wrong count');
        }),
      );
      get.push(await timed(() => client.send(new GetCommand({ TableName: table, Key: { pk: 'big', sk: '#stats' } }))));
      page.push(
        await timed(async () => {
          if ((await presence('big', { limit: 100 })).members.length !== 100) throw new Error('short page');
        }),
      );
      query.push(
        await timed(async () => {
          const out = await client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
              ExpressionAttributeValues: { ':pk': 'big', ':m': 'm#' },
              Limit: 100,
            }),
          );
          if (out.Items.length !== 100) throw new Error('short query');
        }),
      );
    }
    const p = { stats: median(stats), get: median(get), page: median(page), query: median(query) };
    return {
      tables: [
        {
          title: `Presence reads on a ${MEMBERS.toLocaleString('en-US')}-member channel (median of ${reps} each, interleaved)`,
          headers: ['read', 'median ms'],
          rows: [
            ['presenceStats (one GetItem of the counters)', fmt(p.stats, 2)],
            ['bare GetItem of the same item', fmt(p.get, 2)],
            ['presence page of 100 members', fmt(p.page, 2)],
            ['bare Query page of the same 100 items', fmt(p.query, 2)],
          ],
        },
      ],
      targets: [
        {
          what: `presenceStats of a ${MEMBERS.toLocaleString('en-US')}-member channel vs one bare GetItem`,
          target: '<= 2x',
          measured: ratio(p.stats / p.get),
          met: p.stats / p.get <= 2,
        },
        {
          what: 'presence page of 100 members vs a bare Query page',
          target: '<= 1.5x',
          measured: ratio(p.page / p.query),
          met: p.page / p.query <= 1.5,
        },
      ],
      notes: ['Counts are kept in one counter item per channel, so reading them never lists the members.'],
    };
  } finally {
    await dynamo.stop();
  }
}

module.exports = {
  name: 'presence',
  title: 'Presence: counts and member pages vs bare DynamoDB reads',
  usage: '--reps N (reads of each kind; default 400, --quick 100)',
  run,
};
