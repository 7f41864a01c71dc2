/**
 * Durable channels bench, every figure a ratio against an anchor measured in the same run, against dynalite and a
 * local control API (both on loopback, in this process):
 * - durable publish p50 vs a plain publish p50 plus one bare PutItem p50 on the same table (target: the log costs at
 *   most 1.25x one bare write on top of a plain publish);
 * - resuming 1,000 missed messages (ChannelLog.resume) vs reading the same items with paginated Query alone
 *   (target <= 2x);
 * - the client library (`faas-grip-cdk/client`) minified and gzipped (target <= 8 KB).
 */
'use strict';

const http = require('node:http');
const zlib = require('node:zlib');
const esbuild = require('esbuild');
const { startBenchDynamo, dist } = require('./lib/local-dynamo');
const { median, timed, fmt, ratio, kb } = require('./lib/stats');

const MAX_CLIENT_GZIP_BYTES = 8 * 1024;

/** A control API that answers every publish with 200 at once. */
async function startControlApi() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Published\n'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => server.close(r)) };
}

async function run(ctx) {
  const reps = ctx.args.reps ?? (ctx.quick ? 150 : 600);
  const control = await startControlApi();
  const dynamo = await startBenchDynamo({ GRIP_URL: control.url });
  const table = await dynamo.localDynamo.createChannelLogTable(dynamo.endpoint, 'bench-log');
  process.env.FAAS_GRIP_CHANNEL_LOG_TABLE = table;
  const { publish } = require(dist('lambda/core/publish.js'));
  const { WebSocketMessageFormat } = require(dist('lambda/grip/formats.js'));
  const { ChannelLog } = require(dist('lambda/channels/channel-log.js'));
  const { PutCommand, QueryCommand } = require('@aws-sdk/lib-dynamodb');
  const { client } = dynamo;
  try {
    // Publish: the three interleaved, so drift in the machine's speed touches each alike.
    const message = 'x'.repeat(200);
    const plain = [];
    const bare = [];
    const durable = [];
    for (let i = 0; i < 30; i++) {
      await publish('warm', new WebSocketMessageFormat(message));
      await publish('warm', new WebSocketMessageFormat(message), { durable: false });
    }
    for (let i = 0; i < reps; i++) {
      plain.push(await timed(() => publish('plain', new WebSocketMessageFormat(message), { durable: false })));
      bare.push(
        await timed(() =>
          client.send(
            new PutCommand({
              TableName: table,
              Item: {
                channel: 'bare',
                offset: i + 1,
                count: 1,
                epoch: 'e',
                messages: [{ t: message }],
                publishedAt: Date.now(),
                expiresAt: 1,
              },
              ConditionExpression: 'attribute_not_exists(#o)',
              ExpressionAttributeNames: { '#o': 'offset' },
            }),
          ),
        ),
      );
      durable.push(await timed(() => publish('durable', new WebSocketMessageFormat(message))));
    }
    const p = { plain: median(plain), bare: median(bare), durable: median(durable) };
    const logCost = (p.durable - p.plain) / p.bare;

    // Resume: 1,000 messages appended one at a time (1,000 items, the worst case for reads).
    const log = new ChannelLog({ tableName: table });
    let epoch = '';
    for (let i = 1; i <= 1000; i++) epoch = (await log.append('resume', `m${i}`)).epoch;
    const resumeTimes = [];
    const queryTimes = [];
    const resumeReps = ctx.quick ? 5 : 15;
    for (let r = 0; r < resumeReps; r++) {
      resumeTimes.push(
        await timed(async () => {
          const out = await log.resume('resume', { offset: 0, epoch }, 1000);
          if (out.messages.length !== 1000) throw new Error(`resume read ${out.messages.length} messages`);
        }),
      );
      queryTimes.push(
        await timed(async () => {
          let count = 0;
          let start;
          do {
            const out = await client.send(
              new QueryCommand({
                TableName: table,
                KeyConditionExpression: '#c = :c',
                ExpressionAttributeNames: { '#c': 'channel' },
                ExpressionAttributeValues: { ':c': 'resume' },
                ExclusiveStartKey: start,
              }),
            );
            count += out.Items.length;
            start = out.LastEvaluatedKey;
          } while (start);
          if (count !== 1000) throw new Error(`query read ${count} items`);
        }),
      );
    }
    const q = { resume: median(resumeTimes), query: median(queryTimes) };

    // Client size.
    const built = await esbuild.build({
      entryPoints: [dist('esm/client/index.mjs')],
      bundle: true,
      minify: true,
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const minified = built.outputFiles[0].contents;
    const gzipped = zlib.gzipSync(minified, { level: 9 }).length;

    return {
      tables: [
        {
          title: `Durable publish against dynalite and a local control API (p50 of ${reps} each, interleaved)`,
          headers: ['operation', 'p50 ms'],
          rows: [
            ['plain publish (durable: false)', fmt(p.plain, 2)],
            ['one bare conditional PutItem on the log table', fmt(p.bare, 2)],
            ['durable publish (append + message, envelope, SSE and long-poll items)', fmt(p.durable, 2)],
          ],
        },
        {
          title: `Resuming 1,000 missed messages (1,000 items; median of ${resumeReps})`,
          headers: ['read', 'median ms'],
          rows: [
            ['ChannelLog.resume (head + pages, epoch and contiguity checked)', fmt(q.resume, 1)],
            ['paginated Query alone (same items)', fmt(q.query, 1)],
          ],
        },
        {
          title: 'The client library',
          headers: ['form', 'bytes'],
          rows: [
            ['minified', minified.length.toLocaleString('en-US')],
            ['minified + gzip -9', gzipped.toLocaleString('en-US')],
          ],
        },
      ],
      targets: [
        {
          what: 'durable publish: what the log adds to a plain publish, in bare writes',
          target: '<= 1.25x one bare write',
          measured: `${ratio(logCost)} ((${fmt(p.durable, 2)} - ${fmt(p.plain, 2)}) / ${fmt(p.bare, 2)} ms)`,
          met: logCost <= 1.25,
        },
        {
          what: 'resume 1,000 missed messages vs paginated Query alone',
          target: '<= 2x',
          measured: ratio(q.resume / q.query),
          met: q.resume / q.query <= 2,
        },
        {
          what: 'client library, minified and gzipped',
          target: `<= 8 KB (${MAX_CLIENT_GZIP_BYTES.toLocaleString('en-US')} bytes)`,
          measured: `${gzipped.toLocaleString('en-US')} bytes (${kb(gzipped)})`,
          met: gzipped <= MAX_CLIENT_GZIP_BYTES,
        },
      ],
      notes: [
        'A durable publish is one conditional PutItem (the head is cached per container; a Query only after a lost ' +
          'race) and one control request carrying four items: the message, its envelope, its SSE event and its ' +
          'long-poll answer.',
      ],
    };
  } finally {
    await control.stop();
    await dynamo.stop();
  }
}

module.exports = {
  name: 'durable',
  title: 'Durable channels: what the log adds to a publish, what a resume costs, the client size',
  usage: '--reps N (publishes of each kind; default 600, --quick 150)',
  run,
};
