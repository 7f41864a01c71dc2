/**
 * Native fan-out bench: `fanOut()` (lambda/native/fan-out.ts) to N channel members stored in the local
 * DynamoDB (dynalite, own process), posting through the local management API (own process) that waits a fixed
 * latency before answering each call. Compared with the ideal N x latency / parallelism, and with a sequential
 * PostToConnection loop over the same client (timed on a sample, extrapolated to N).
 */
'use strict';

const path = require('node:path');
const { startServer } = require('./lib/child');
const { barePosts, postCount, seedMembers } = require('./lib/fan-out-helpers');
const { busyText, profileInProcess } = require('./lib/profile');
const { median, nowMs, fmt, ratio } = require('./lib/stats');

const dist = (...p) => require(path.join(__dirname, '..', 'dist', ...p));
const TARGET_RATIO = 1.2;
const SDK_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** The fan-out bench. */
async function run(ctx) {
  const members = ctx.args.members ?? (ctx.quick ? 2000 : 10_000);
  const latencyMs = ctx.args.latency ?? 10;
  const concurrency = ctx.args.concurrency ?? 50;
  const reps = ctx.args.reps ?? (ctx.quick ? 2 : 3);
  const sample = ctx.args.sample ?? (ctx.quick ? 100 : 200);
  const saved = Object.fromEntries(Object.keys(SDK_ENV).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(SDK_ENV)) process.env[k] ??= v;
  const dynamo = await startServer('dynamo.js');
  const mgmt = await startServer('management.js', [String(latencyMs), 'bench']);
  const { localDynamoClient } = dist('local', 'stack', 'local-dynamo.js');
  const client = localDynamoClient(dynamo.info.endpoint);
  try {
    const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
    const doc = DynamoDBDocumentClient.from(client);
    const { ConnectionStore } = dist('lambda', 'native', 'connection-store.js');
    const { fanOut } = dist('lambda', 'native', 'fan-out.js');
    const { managementApi } = dist('lambda', 'native', 'management.js');
    const { ApiGatewayManagementApiClient } = require('@aws-sdk/client-apigatewaymanagementapi');
    const store = new ConnectionStore({ tableName: dynamo.info.tableName, client: doc });
    const channel = 'bench-room';
    let t = nowMs();
    await seedMembers(doc, dynamo.info.tableName, channel, members);
    ctx.log(`  seeded ${members} members in ${((nowMs() - t) / 1000).toFixed(1)} s`);
    const deps = { store, managementEndpoint: mgmt.info.endpoint, concurrency };
    const api = managementApi(mgmt.info.endpoint);
    // The same fan-out through an SDK v3 client (the `managementClient` option), as the runtime sent before.
    const sdkClient = new ApiGatewayManagementApiClient({
      endpoint: mgmt.info.endpoint,
      maxAttempts: 1,
      cacheMiddleware: true,
    });
    const sdkDeps = { ...deps, managementClient: sdkClient };
    // warm-up: SDK loading, JIT, sockets, dynalite's first queries
    await seedMembers(doc, dynamo.info.tableName, 'warm-room', Math.min(1000, members));
    await fanOut('warm-room', 'warm', deps);
    await fanOut('warm-room', 'warm', sdkDeps);
    for (let i = 0; i < 20; i++) await api.post(`warm${i}`, Buffer.from('x'));
    const listing = [];
    const runs = [];
    const seqPerCall = [];
    const cpuPerPost = [];
    const bare = [];
    const viaSdk = [];
    const sdkCpuPerPost = [];
    /** One checked fanOut() to every member: wall ms and CPU ms per post of this process. */
    const timedFanOut = async (message, fanOutDeps, what) => {
      const before = await postCount(mgmt.info.port);
      const start = nowMs();
      const cpu0 = process.cpuUsage();
      const result = await fanOut(channel, message, fanOutDeps);
      const ms = nowMs() - start;
      const cpu = process.cpuUsage(cpu0);
      const posted = (await postCount(mgmt.info.port)) - before;
      if (result.delivered !== members || posted !== members) {
        throw new Error(
          `${what} delivered ${result.delivered} (server saw ${posted}) of ${members}; failed ${result.failed}`,
        );
      }
      return { ms, cpuPerPost: (cpu.user + cpu.system) / 1000 / members };
    };
    for (let rep = 0; rep < reps; rep++) {
      t = nowMs();
      let listed = 0;
      for await (const page of store.members(channel)) listed += page.length;
      listing.push(nowMs() - t);
      if (listed !== members) throw new Error(`listed ${listed} members, seeded ${members}`);
      const own = await timedFanOut(`hello ${rep}`, deps, 'fan-out');
      runs.push(own.ms);
      cpuPerPost.push(own.cpuPerPost);
      t = nowMs();
      for (let i = 0; i < sample; i++) await api.post(`bench${String(i).padStart(7, '0')}=`, Buffer.from(`seq ${rep}`));
      seqPerCall.push((nowMs() - t) / sample);
      bare.push(await barePosts(mgmt.info.endpoint, members, concurrency));
      const sdk = await timedFanOut(`sdk ${rep}`, sdkDeps, 'fan-out through the SDK client');
      viaSdk.push(sdk.ms);
      sdkCpuPerPost.push(sdk.cpuPerPost);
      ctx.log(
        `  rep ${rep + 1}: fan-out ${fmt(runs.at(-1))} ms (CPU ${fmt(cpuPerPost.at(-1), 3)} ms/post), ` +
          `listing ${fmt(listing.at(-1))} ms, sequential ${fmt(seqPerCall.at(-1), 2)} ms/call, ` +
          `through the SDK client ${fmt(viaSdk.at(-1))} ms (CPU ${fmt(sdkCpuPerPost.at(-1), 3)} ms/post)`,
      );
    }
    const fan = median(runs);
    const ideal = (members * latencyMs) / concurrency;
    const perCall = median(seqPerCall);
    const sequential = perCall * members;
    const idealMeasured = (members * perCall) / concurrency;
    const rows = [
      [
        `fanOut(), ${concurrency} in flight`,
        fmt(fan),
        ratio(fan / ideal),
        ratio(fan / sequential),
        fmt((members / fan) * 1000, 0),
      ],
      [
        `ideal: N x ${latencyMs} ms / ${concurrency}`,
        fmt(ideal),
        '1.00x',
        ratio(ideal / sequential),
        fmt((members / ideal) * 1000, 0),
      ],
      [
        `sequential loop (${sample} calls timed, x N)`,
        fmt(sequential),
        ratio(sequential / ideal),
        '1.00x',
        fmt(1000 / perCall, 0),
      ],
      [
        `fanOut() through an SDK v3 client (managementClient option), ${concurrency} in flight`,
        fmt(median(viaSdk)),
        ratio(median(viaSdk) / ideal),
        ratio(median(viaSdk) / sequential),
        fmt((members / median(viaSdk)) * 1000, 0),
      ],
      [
        `bare node:http POSTs, ${concurrency} in flight (unsigned)`,
        fmt(median(bare)),
        ratio(median(bare) / ideal),
        ratio(median(bare) / sequential),
        fmt((members / median(bare)) * 1000, 0),
      ],
      ['listing the members alone (Query pages)', fmt(median(listing)), ratio(median(listing) / ideal), '', ''],
    ];
    const fanRatio = fan / ideal;
    const analysis = [];
    const cpu = median(cpuPerPost);
    const sdkCpu = median(sdkCpuPerPost);
    const sdkSentence =
      `The same fan-out through an AWS SDK v3 client (the \`managementClient\` option, how the runtime sent before) ` +
      `takes ${fmt(median(viaSdk))} ms (${ratio(median(viaSdk) / ideal)} the ideal) at ${fmt(sdkCpu, 3)} ms of CPU per ` +
      'post: its middleware stack (endpoint rules, serde, retry and user-agent bookkeeping) made the fan-out ' +
      'CPU-bound, so the runtime signs and sends PostToConnection itself (lambda/native/management.ts).';
    if (fanRatio > TARGET_RATIO) {
      analysis.push(
        `What limits it: the publishing process's CPU. fanOut() spends ${fmt(cpu, 3)} ms of CPU per post, so ` +
          `${members.toLocaleString('en-US')} posts need about ${fmt((cpu * members) / 1000, 1)} s of one core against ` +
          `an ideal of ${fmt(ideal / 1000, 1)} s: at ${concurrency} in flight the event loop, not the ${latencyMs} ms ` +
          'latency, sets the pace. Unsigned bare node:http POSTs with the same parallelism take ' +
          `${fmt(median(bare))} ms (${ratio(median(bare) / ideal)}): that is node:http's own cost per request here ` +
          '(ClientRequest, agent, one writev per post). What fanOut() adds is SigV4 signing (two SHA-256 and one ' +
          'HMAC per post), reading the member pages (Query, ' +
          `${fmt(median(listing))} ms in all, read one page ahead) and its bookkeeping. ${sdkSentence}`,
      );
    } else {
      analysis.push(
        `fanOut() spends ${fmt(cpu, 3)} ms of CPU per post; unsigned bare node:http POSTs take ${fmt(median(bare))} ms ` +
          `(${ratio(median(bare) / ideal)}), the floor node:http sets here. ${sdkSentence}`,
      );
    }
    if (ctx.args.profile) {
      const { summary } = await profileInProcess(() => fanOut(channel, 'profiled', deps));
      analysis.push(`CPU profile of one fanOut() run (--profile, busy time): ${busyText(summary, 12)}.`);
    }
    return {
      analysis,
      tables: [{ headers: ['what', 'ms (median)', 'vs ideal', 'vs sequential', 'posts/s'], rows }],
      targets: [
        {
          what: `native fan-out to ${members.toLocaleString('en-US')} members, ${latencyMs} ms per call`,
          target: `<= ${TARGET_RATIO}x ideal`,
          measured: `${ratio(fanRatio)} (${fmt(fan)} ms vs ${fmt(ideal)} ms; runs ${fmt(Math.min(...runs))}-${fmt(Math.max(...runs))} ms)`,
          met: fanRatio <= TARGET_RATIO,
        },
      ],
      notes: [
        `${members.toLocaleString('en-US')} members in dynalite (own process); the management API of local/ in its own ` +
          `process, ${latencyMs} ms injected before each call; the runtime's default sender (SigV4-signed keep-alive ` +
          'node:http; credentials, region and exception classes from the AWS SDK v3); median of ' +
          `${reps} runs, each checked: every member posted once.`,
        `A sequential call costs ${fmt(perCall, 2)} ms here (the ${latencyMs} ms plus HTTP, SDK and timer overhead), ` +
          `so even a perfect ${concurrency}-way fan-out would take ${fmt(idealMeasured)} ms ` +
          `(${ratio(idealMeasured / ideal)} the nominal ideal); the target is against the nominal ideal.`,
        `CPU of the publishing process during fanOut(): ${fmt(median(cpuPerPost), 3)} ms per post (median); ` +
          `through the SDK client: ${fmt(median(sdkCpuPerPost), 3)} ms.`,
      ],
    };
  } finally {
    client.destroy();
    await Promise.all([dynamo.stop(), mgmt.stop()]);
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  }
}

module.exports = {
  name: 'fan-out',
  title: 'Native fan-out through the management API',
  usage:
    '--members N (default 10000, quick 2000), --latency ms (10), --concurrency N (50), --reps N, --sample N, ' +
    '--profile (CPU profile of one extra run)',
  run,
};
