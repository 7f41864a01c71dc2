/**
 * End-to-end bench: clients on one channel, one sends, all receive, through three servers kept up side by side
 * for the whole run and measured interleaved (method of the e2e anchors): the chat handler behind the local REST
 * front door and a real Pushpin; a minimal hand-written WebSocket-over-HTTP backend behind the same Pushpin
 * set-up (the floor Pushpin sets); a plain `ws` broadcast server. Each server runs in its own process, the load
 * generator (bench/e2e-client.js) in another. Offered load stays at 5,000 deliveries/s or less.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/child');
const { explain, publishTable } = require('./lib/e2e-analysis');
const { runClient } = require('./lib/e2e-run');
const { busyText, summarizeProfiles } = require('./lib/profile');
const { probePublish } = require('./lib/publish-probe');
const { median, range, fmt, ratio } = require('./lib/stats');

const TARGET_RATIO = 1.2;
const SERVERS = [
  { key: 'chat', label: 'chat handler + front door + Pushpin', script: 'chat-grip.js' },
  { key: 'minimal', label: 'minimal WS-over-HTTP backend + Pushpin', script: 'minimal-grip.js' },
  { key: 'plain', label: 'plain ws broadcast server', script: 'plain-ws.js' },
];

function shape(clients, quick, args) {
  // at most 5,000 deliveries/s: one message per clients/5 ms
  const intervalMs = Math.max(20, clients / 5);
  const messages = args.messages ?? (clients >= 1000 ? (quick ? 20 : 50) : quick ? 100 : 250);
  const warmup = args.warmup ?? (clients >= 1000 ? 10 : 25);
  return { clients, intervalMs, messages, warmup };
}

function summarize(results) {
  const pick = (k) => median(results.map((r) => r[k]));
  const delivered = results.reduce((s, r) => s + r.delivered, 0);
  const expected = results.reduce((s, r) => s + r.expected, 0);
  const cpuPerDelivery = median(results.map((r) => (r.serverCpuMs * 1000) / Math.max(1, r.delivered)));
  return {
    p50: pick('p50'),
    p99: pick('p99'),
    max: pick('max'),
    rate: pick('deliveriesPerSec'),
    connect: pick('connectMs'),
    retried: results.reduce((s, r) => s + r.retried, 0),
    delivered,
    expected,
    cpuPerDelivery,
    p99s: results.map((r) => r.p99),
  };
}

/** The end-to-end bench. */
async function run(ctx) {
  const quick = ctx.quick;
  const sizes = String(ctx.args.clients ?? '100,1000')
    .split(',')
    .map(Number);
  // repetitions per size: small rooms are cheap to repeat, large ones are not
  const repsFor = (clients) => ctx.args.reps ?? (quick ? 1 : clients >= 1000 ? 3 : 5);
  const reps = Math.max(...sizes.map(repsFor));
  const started = [];
  const profileDir = ctx.args.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-e2e-prof-')) : undefined;
  let stopped = false;
  try {
    for (const s of SERVERS) {
      const nodeArgs = profileDir && s.key === 'chat' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      started.push({ ...s, server: await startServer(s.script, [], { timeoutMs: 60_000, nodeArgs }) });
    }
    const results = new Map();
    const key = (s, n) => `${s}/${n}`;
    // warm-up of every path (at the largest size, the smallest in quick mode), not recorded
    const warm = shape(quick ? Math.min(...sizes) : Math.max(...sizes), true, { messages: 5, warmup: 5 });
    for (const s of started) await runClient(s.server, { url: s.server.info.wsUrl, ...warm });
    for (let rep = 0; rep < reps; rep++) {
      for (const clients of sizes.filter((n) => rep < repsFor(n))) {
        const order = started.map((_, i) => started[(i + rep) % started.length]);
        for (const s of order) {
          const config = { url: s.server.info.wsUrl, ...shape(clients, quick, ctx.args) };
          const r = await runClient(s.server, config);
          ctx.log(
            `  rep ${rep + 1} ${clients} clients ${s.key}: p50 ${fmt(r.p50)} p99 ${fmt(r.p99)} ms, ` +
              `${r.delivered}/${r.expected}, ${fmt(r.deliveriesPerSec, 0)}/s, retried ${r.retried}`,
          );
          if (!results.has(key(s.key, clients))) results.set(key(s.key, clients), []);
          results.get(key(s.key, clients)).push(r);
        }
      }
    }
    const rows = [];
    const targets = [];
    const notes = [];
    for (const clients of sizes) {
      const sum = Object.fromEntries(SERVERS.map((s) => [s.key, summarize(results.get(key(s.key, clients)))]));
      const { intervalMs, messages } = shape(clients, quick, ctx.args);
      for (const s of SERVERS) {
        const m = sum[s.key];
        const [lo, hi] = range(m.p99s);
        rows.push([
          `${clients}`,
          s.label,
          fmt(m.p50),
          `${fmt(m.p99)} (${fmt(lo)}-${fmt(hi)})`,
          fmt(m.max),
          ratio(m.p99 / sum.minimal.p99),
          ratio(m.p99 / sum.plain.p99),
          fmt(m.rate, 0),
          `${m.delivered}/${m.expected}`,
          fmt(m.connect / 1000, 2),
          m.retried,
          fmt(m.cpuPerDelivery, 0),
        ]);
      }
      const chatRatio = sum.chat.p99 / sum.minimal.p99;
      targets.push({
        what: `e2e p99, ${clients} clients, 1 msg / ${intervalMs} ms (${(clients * 1000) / intervalMs} deliveries/s)`,
        target: `<= ${TARGET_RATIO}x the minimal backend's p99`,
        measured:
          `${ratio(chatRatio)} (${fmt(sum.chat.p99)} vs ${fmt(sum.minimal.p99)} ms); ` +
          `${ratio(sum.chat.p99 / sum.plain.p99)} the plain ws server's (${fmt(sum.plain.p99)} ms)`,
        met: chatRatio <= TARGET_RATIO && sum.chat.delivered === sum.chat.expected,
      });
      notes.push(`${clients} clients: ${messages} measured messages per run, one every ${intervalMs} ms.`);
    }
    notes.push(
      `Median over ${sizes.map((n) => `${repsFor(n)} (${n} clients)`).join(', ')} interleaved repetitions ` +
        "(order rotated each time) of each run's percentile; p99 range " +
        "over runs in brackets. Latency is per recipient, from the sender's send to the recipient's message event, " +
        'sender and recipients in one load-generator process (one clock).',
      'Connections ramp in with at most 100 handshakes in flight; refused handshakes (Pushpin 502s) are retried with ' +
        'backoff ("retried"). Every path is warmed up first; every run sends 25 (10 at 1,000 clients) warm-up ' +
        'messages after a probe has reached every client.',
      'The two Pushpin paths use separate Pushpin instances with the same launcher and configuration ' +
        '(local/grip/pushpin.ts, log level 1, no rate limit): one instance routes to one backend. Only the measured path ' +
        'carries traffic at any time. "server CPU" is the whole server side (node process plus Pushpin\'s condure, ' +
        'zurl, proxy and handler) per delivery, from /proc, in the measured window.',
    );
    const minimal = started.find((s) => s.key === 'minimal').server.info;
    const probe = await probePublish(minimal.publishUrl, {
      iss: minimal.publishIss,
      key: minimal.publishKey,
      count: quick ? 50 : 100,
      reps: quick ? 2 : 3,
    });
    const analysis = explain(targets, probe);
    if (profileDir) {
      await Promise.all(started.map((s) => s.server.stop()));
      stopped = true;
      analysis.push(
        `CPU profile of the chat server process (front door + handler, --profile run, busy time): ` +
          `${busyText(summarizeProfiles(profileDir))}.`,
      );
      fs.rmSync(profileDir, { recursive: true, force: true });
    }
    return {
      analysis,
      tables: [
        {
          headers: [
            'clients',
            'server',
            'p50 ms',
            'p99 ms (range)',
            'max ms',
            'p99 vs minimal',
            'p99 vs plain',
            'deliveries/s',
            'delivered',
            'connect s',
            'retried',
            'server CPU µs/delivery',
          ],
          rows,
        },
        publishTable(probe),
      ],
      targets,
      notes,
    };
  } finally {
    if (!stopped) await Promise.all(started.map((s) => s.server.stop()));
  }
}

module.exports = {
  name: 'e2e',
  title: 'End to end: chat through Pushpin vs a minimal backend vs plain ws',
  usage:
    '--clients 100,1000, --messages N, --warmup N, --reps N (default 5 at 100 clients, 3 at 1000, quick 1), --profile (CPU profile the chat server)',
  run,
};
