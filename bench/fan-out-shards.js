/**
 * Sharded fan-out bench: one publish to a room of N members (100,000 by default) beyond one invocation. The
 * publishing invocation posts to the first members and hands the rest to shard invocations through the emulator's
 * Lambda Invoke API (Event invocations, in this process), which post through a management API answering each
 * post after 20 ms (its own process), members in the local DynamoDB (dynalite, its own process). The anchor is the
 * ideal for the configured concurrency: N x 20 ms / (shards in flight x posts in flight per shard).
 */
'use strict';

const path = require('node:path');
const crypto = require('node:crypto');
const { startServer } = require('./lib/child');
const { postCount, seedMembers } = require('./lib/fan-out-helpers');
const { nowMs, fmt, ratio } = require('./lib/stats');

const dist = (...p) => require(path.join(__dirname, '..', 'dist', ...p));
const TARGET_RATIO = 1.3;

/** Ids shaped like API Gateway's: random base64, so key ranges spread evenly. */
const idOf = (j) => `${crypto.createHash('sha256').update(`member-${j}`).digest('base64').slice(0, 15)}=`;

async function run(ctx) {
  const members = ctx.args.members ?? (ctx.quick ? 20_000 : 100_000);
  const latencyMs = ctx.args.latency ?? 20;
  const shards = ctx.args.shards ?? 5;
  const concurrency = ctx.args.concurrency ?? 20;
  const shardSize = ctx.args.shardSize ?? Math.ceil(members / shards / 2);
  const threshold = ctx.args.threshold ?? 1000;
  const saved = { ...process.env };
  const dynamo = await startServer('dynamo.js');
  const mgmt = await startServer('management.js', [String(latencyMs), 'bench']);
  const { localDynamoClient } = dist('local', 'stack', 'local-dynamo.js');
  const { startWebSocketEmulator, runCredentials } = dist('local', 'apigw-websocket', 'websocket-emulator.js');
  const credentials = runCredentials();
  let emulator;
  try {
    const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
    const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamo.info.endpoint));
    let t = nowMs();
    await seedMembers(doc, dynamo.info.tableName, 'big-room', members, idOf);
    ctx.log(`  seeded ${members} members in ${((nowMs() - t) / 1000).toFixed(1)} s`);
    let handler;
    emulator = await startWebSocketEmulator({
      handler: (event, context) => handler(event, context),
      functionName: 'bench-shards',
      credentials,
      onError: (error) => ctx.log(`  handler error: ${error.message}`),
    });
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.info.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: emulator.lambdaEndpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'bench-shards',
      FAAS_GRIP_CONNECTION_TABLE: dynamo.info.tableName,
      FAAS_GRIP_MANAGEMENT_ENDPOINT: mgmt.info.endpoint,
      FAAS_GRIP_FANOUT_THRESHOLD: String(threshold),
      FAAS_GRIP_FANOUT_SHARDS: String(shards),
      FAAS_GRIP_FANOUT_SHARD_SIZE: String(shardSize),
      FAAS_GRIP_FANOUT_CONCURRENCY: String(concurrency),
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_LAMBDA_LOG_LEVEL: 'error',
    });
    dist('lambda', 'core', 'container.js').resetContainer();
    handler = dist('lambda', 'aws', 'websocket-handler.js').webSocketHandler(async () => {});
    const { fanOut } = dist('lambda', 'native', 'fan-out.js');
    // warm-up: SDK loading, sockets, a small sharded publish
    await seedMembers(doc, dynamo.info.tableName, 'warm-room', 3000, idOf);
    await fanOut('warm-room', 'warm');
    await emulator.asyncIdle();

    const before = await postCount(mgmt.info.port);
    t = nowMs();
    const result = await fanOut('big-room', 'hello everyone');
    const inline = nowMs() - t;
    await emulator.asyncIdle();
    const total = nowMs() - t;
    const posted = (await postCount(mgmt.info.port)) - before;
    if (posted < members) throw new Error(`only ${posted} posts for ${members} members`);
    if (emulator.failedInvocations.length > 0) throw new Error(`${emulator.failedInvocations.length} shards failed`);
    const ideal = (members * latencyMs) / (shards * concurrency);
    ctx.log(
      `  publisher ${fmt(inline)} ms (${result.delivered} posts, ${result.shards} shards); last delivery ${fmt(total)} ms`,
    );
    return {
      tables: [
        {
          title: `One publish to ${members.toLocaleString('en-US')} members, sharded (${latencyMs} ms per post)`,
          headers: ['what', 'ms', 'vs ideal'],
          rows: [
            [
              `time to the last delivery (${shards} shards x ${concurrency} posts in flight)`,
              fmt(total),
              ratio(total / ideal),
            ],
            [`ideal: N x ${latencyMs} ms / (${shards} x ${concurrency})`, fmt(ideal), '1.00x'],
            [
              `the publishing invocation (its ${result.delivered} members, then the shards queued)`,
              fmt(inline),
              ratio(inline / ideal),
            ],
          ],
        },
      ],
      targets: [
        {
          what: `${members.toLocaleString('en-US')}-member room: time to the last delivery vs the ideal`,
          target: `<= ${TARGET_RATIO}x`,
          measured: ratio(total / ideal),
          met: total / ideal <= TARGET_RATIO,
        },
      ],
      notes: [
        `Posts: ${posted} for ${members} members (more only where a shard was retried). Shard size ${shardSize}, ` +
          `threshold ${threshold}. Every invocation runs in this one process (Lambda would run them in separate ` +
          'containers), so the CPU of all posts in flight is this one process.',
      ],
    };
  } finally {
    await emulator?.stop();
    await mgmt.stop();
    await dynamo.stop();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

module.exports = {
  name: 'fan-out-shards',
  title: 'Sharded fan-out: a room beyond one invocation vs the ideal for its concurrency',
  usage: '--members N (default 100000, --quick 20000) --shards K (5) --concurrency P (20) --latency ms (20)',
  run,
};
