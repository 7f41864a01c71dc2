#!/usr/bin/env node
/**
 * Runs the benchmarks and writes BENCHMARKS.md.
 *
 *   npm run bench                      build, then every bench at full size
 *   node bench/run.js codec --quick    one bench (or several), small sizes (each fits in about a minute)
 *   node bench/run.js e2e --clients 100 --messages 50 --reps 2
 *   node bench/run.js --list           the benches and their options
 *
 * Common options: --quick, --reps N, --no-write (print only). Each bench reads its own options (see --list).
 * Needs `npm run build` first (dist/ and assets/); `npm run bench` does that.
 */
'use strict';

const os = require('node:os');
const path = require('node:path');
const { writeReport, machine, table } = require('./lib/report');
const { nowMs } = require('./lib/stats');

const NAMES = [
  'codec',
  'bundles',
  'user-bundle',
  'fan-out',
  'fan-out-shards',
  'durable',
  'presence',
  'identity',
  'dev',
  'e2e',
  'synth',
];
const load = (name) => require(`./${name}`);
const REPORT = path.join(__dirname, '..', 'BENCHMARKS.md');

/** `--key value`, `--key=value` and bare `--flag`; numbers become numbers; the rest are bench names. */
function parseArgs(argv) {
  const args = {};
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      names.push(arg);
      continue;
    }
    let [key, value] = arg.slice(2).split(/=(.*)/s);
    if (value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--') && !NAMES.includes(next)) {
        value = next;
        i++;
      } else {
        value = true;
      }
    }
    const camel = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    args[camel] = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return { args, names };
}

function commandLine(argv) {
  const shown = argv.map((a) => (/^[\w./=,:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${shown ? ` -- ${shown}` : ''}`;
  return `node bench/run.js${shown ? ` ${shown}` : ''}`;
}

async function main() {
  const argv = process.argv.slice(2);
  const { args, names } = parseArgs(argv);
  if (args.list || args.help) {
    for (const b of NAMES.map(load)) console.log(`${b.name.padEnd(8)} ${b.title}\n         ${b.usage}`);
    return;
  }
  const unknown = names.filter((n) => !NAMES.includes(n));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}: use ${NAMES.join(', ')}`);
  const selected = NAMES.filter((n) => names.length === 0 || names.includes(n)).map(load);
  const quick = Boolean(args.quick);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const loadAverage = os.loadavg()[0];
  console.log(`bench: ${machine()}; load average ${loadAverage.toFixed(2)}`);
  const outcomes = new Map();
  for (const bench of selected) {
    console.log(`\n== ${bench.name}: ${bench.title}${quick ? ' (quick)' : ''}`);
    const started = nowMs();
    const ctx = { quick, args, log: (line) => console.log(line) };
    try {
      const result = await bench.run(ctx);
      outcomes.set(bench.name, { result });
      for (const t of result.tables ?? [])
        console.log(`\n${t.title ? `${t.title}\n` : ''}${table(t.headers, t.rows)}\n`);
      for (const line of result.analysis ?? []) console.log(`  ${line}`);
      for (const t of result.targets ?? []) {
        console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.what}: ${t.measured} (wanted ${t.target})`);
      }
    } catch (error) {
      process.exitCode = 1;
      outcomes.set(bench.name, { error });
      console.error(`  ${bench.name} failed: ${error.stack ?? error}`);
    }
    console.log(`  (${((nowMs() - started) / 1000).toFixed(1)} s)`);
  }
  if (args.write === false || args.noWrite) return;
  writeReport(REPORT, NAMES, selected, outcomes, { command: commandLine(argv), date, loadAverage });
  console.log(`\nwrote ${path.relative(process.cwd(), REPORT) || REPORT}`);
}

main().then(
  () => {
    // servers and clients are all stopped by the benches; exit even if a stray handle lingers
    setImmediate(() => process.exit(process.exitCode ?? 0));
  },
  (error) => {
    console.error(`bench: ${error.message ?? error}`);
    process.exit(1);
  },
);
