#!/usr/bin/env node
/**
 * `npm run load`: the full load runs of the reliability suite against the compiled runtime (dist/), with the
 * chat handler (test/helpers/reliability-load*.ts is the same code the bounded jest runs use):
 *
 * - GRIP: 1,000 clients through a real Pushpin in 10 rooms of 100, 10 messages each = 10^6 deliveries, paced at
 *   5,000 deliveries/s (this 2-vCPU class of machine tops out near 10,000/s through Pushpin);
 * - native: 200 clients through the API Gateway WebSocket emulator and dynalite in 4 rooms of 50, 10 messages each =
 *   10^5 deliveries.
 *
 * - storm: the reconnect storm on durable channels (test/helpers/reliability-storm.ts): 500 clients of the client
 *   library over both transports (250 through Pushpin, 250 through the emulator), each behind its own fault-injecting
 *   TCP proxy and cut at random three times, follow 5 channels while 10,000 messages are published.
 *
 * Each run rewrites its own section of RELIABILITY.md (load-grip, load-native, load-storm). Exits non-zero when a
 * delivery was lost, duplicated or misrouted, or (GRIP, storm) arrived out of order.
 *
 * Usage: node scripts/load.js [--only grip|native|storm] [--clients N] [--room-size N] [--messages N] [--rate N]
 *        [--no-report]   (--clients/--room-size/--messages/--rate apply to the runs selected; storm: --clients
 *        is split between the transports, --messages is the whole run's)
 */

const report = require('./reliability-report');

const FULL = {
  grip: { clients: 1000, roomSize: 100, messages: 10, deliveriesPerSecond: 5000 },
  native: { clients: 200, roomSize: 50, messages: 10, deliveriesPerSecond: 250 },
  storm: { clients: 500, channels: 5, messages: 10_000, cutsPerClient: 3 },
};

function stormMarkdown(r, context) {
  const ok = r.lost === 0 && r.duplicated === 0 && r.outOfOrder === 0 && r.wrongData === 0;
  return [
    '## Load: reconnect storm on durable channels (`npm run load`)',
    '',
    `${context}. ${n(r.clients)} clients of \`faas-grip-cdk/client\`, half through Pushpin and half through the API ` +
      `Gateway WebSocket emulator, each behind its own fault-injecting TCP proxy, follow ${r.channels} durable ` +
      `channels while ${n(r.messages)} messages are published round-robin; each client is cut (TCP reset, no close ` +
      `frame) at ${r.cutsPerClient} random moments and kept offline up to 2 s. ` +
      `Result: **${ok ? 'nothing lost, nothing duplicated, offset order kept' : 'FAILED'}**.`,
    '',
    report.table(
      [
        'expected',
        'delivered',
        'lost',
        'duplicated',
        'out of order',
        'wrong data',
        'not recovered',
        'cuts',
        'reconnects',
      ],
      [
        [
          n(r.expected),
          n(r.delivered),
          n(r.lost),
          n(r.duplicated),
          n(r.outOfOrder),
          n(r.wrongData),
          n(r.notRecovered),
          n(r.cuts),
          n(r.reconnects),
        ],
      ],
    ),
    '',
    `Published in ${s(r.publishMs)}; every client complete ${s(r.totalMs)} after the first publish.`,
    ...(r.samples.length > 0 ? ['', 'First lines seen:', '', '```', ...r.samples, '```'] : []),
  ].join('\n');
}

async function runStormLoad(overrides) {
  const bundle = await report.bundleHelper('reliability-storm');
  const { runStorm } = require(bundle);
  const settings = { ...FULL.storm, ...overrides };
  const gripClients = Math.ceil(settings.clients / 2);
  process.stderr.write(`storm: ${JSON.stringify(settings)}\n`);
  const result = await runStorm({
    gripClients,
    nativeClients: settings.clients - gripClients,
    channels: settings.channels,
    messages: settings.messages,
    cutsPerClient: settings.cutsPerClient,
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  return { ...result, cutsPerClient: settings.cutsPerClient };
}

function parseArgs(argv) {
  const options = { only: undefined, overrides: {}, report: true };
  const number = (name, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') options.only = argv[++i];
    else if (arg === '--clients') options.overrides.clients = number(arg, argv[++i]);
    else if (arg === '--room-size') options.overrides.roomSize = number(arg, argv[++i]);
    else if (arg === '--messages') options.overrides.messages = number(arg, argv[++i]);
    else if (arg === '--rate') options.overrides.deliveriesPerSecond = number(arg, argv[++i]);
    else if (arg === '--no-report') options.report = false;
    else throw new Error(`unknown argument ${arg}: see the usage at the top of scripts/load.js`);
  }
  if (options.only !== undefined && !(options.only in FULL)) throw new Error(`--only takes grip or native`);
  return options;
}

const n = (value) => value.toLocaleString('en-US');
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;

function markdown(r, context) {
  const title = r.transport === 'grip' ? 'GRIP through Pushpin' : 'native, API Gateway WebSocket emulator + dynalite';
  const ordered = r.transport === 'grip' ? 'asserted' : 'not asserted (API Gateway promises no order)';
  const ok = r.lost === 0 && r.duplicated === 0 && r.misrouted === 0 && (r.transport !== 'grip' || r.outOfOrder === 0);
  const refused = Object.entries(r.pool.refused).map(
    ([status, count]) => `${count} x ${status === '0' ? 'network error' : `HTTP ${status}`}`,
  );
  return [
    `## Load: ${title} (\`npm run load\`)`,
    '',
    `${context}. ${n(r.clients)} clients in ${r.rooms} rooms of ${r.roomSize}, ${r.messagesPerClient} messages each, ` +
      `paced at ${n(r.pacedDeliveriesPerSecond)} deliveries/s (achieved ${n(r.achievedDeliveriesPerSecond)}/s). ` +
      `Result: **${ok ? 'nothing lost, nothing duplicated' : 'FAILED'}**. Per-sender order ${ordered}.`,
    '',
    report.table(
      ['expected', 'delivered', 'lost', 'duplicated', 'out of order', 'misrouted'],
      [[n(r.expected), n(r.delivered), n(r.lost), n(r.duplicated), n(r.outOfOrder), n(r.misrouted)]],
    ),
    '',
    report.table(
      [
        'handshake retries',
        'refused handshakes',
        'connect failures',
        'join failures',
        'chat errors',
        'failed invocations',
        'runtime warnings',
      ],
      [
        [
          n(r.pool.handshakeRetries),
          refused.join(', ') || '0',
          n(r.pool.connectFailures),
          n(r.pool.joinFailures),
          n(r.pool.chatErrors),
          n(r.invocationErrors),
          n(r.loggedWarnings),
        ],
      ],
    ),
    '',
    `Phases: start ${s(r.phasesMs.start)}, connect and join (<= 100 handshakes in flight) ${s(r.phasesMs.connect)}, ` +
      `probe until every subscription is live ${s(r.phasesMs.probe)} (${r.pool.probes} probes), ` +
      `send ${s(r.phasesMs.send)}, ` +
      `drain ${s(r.phasesMs.drain)}, close ${s(r.phasesMs.close)}.` +
      (r.leftoverItems === undefined
        ? ''
        : ` Connection table items left once every client closed: ${n(r.leftoverItems)}.`),
    ...(r.pool.samples.length + r.logSamples.length > 0
      ? ['', 'First lines seen:', '', '```', ...r.pool.samples, ...r.logSamples, '```']
      : []),
  ].join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  report.ensureBuilt();
  const bundle = await report.bundleHelper('reliability-load');
  const { runLoad } = require(bundle);
  const runs = options.only ? [options.only] : ['grip', 'native', 'storm'];
  const transports = runs.filter((run) => run !== 'storm');
  let failed = false;
  if (runs.includes('storm')) {
    const result = await runStormLoad(options.overrides);
    const text = stormMarkdown(result, report.runContext());
    if (options.report) report.writeSection('load-storm', text);
    process.stdout.write(`\n${text}\n`);
    failed ||= result.lost > 0 || result.duplicated > 0 || result.outOfOrder > 0 || result.wrongData > 0;
  }
  for (const transport of transports) {
    const settings = { ...FULL[transport], ...options.overrides };
    process.stderr.write(`${transport}: ${JSON.stringify(settings)}\n`);
    const result = await runLoad({ transport, ...settings, onProgress: (line) => process.stderr.write(`${line}\n`) });
    const text = markdown(result, report.runContext());
    if (options.report) report.writeSection(`load-${transport}`, text);
    process.stdout.write(`\n${text}\n`);
    const ordered = transport !== 'grip' || result.outOfOrder === 0;
    failed ||= result.lost > 0 || result.duplicated > 0 || result.misrouted > 0 || !ordered || result.leftoverItems > 0;
  }
  if (failed) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`load: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
