#!/usr/bin/env node
/**
 * `npm run fuzz`: runs the fuzz targets of the reliability suite (test/helpers/reliability-fuzz*.ts: the
 * WebSocket-over-HTTP codec, meta header encoding, GRIP_URL parsing) for 10^6 cases in total against the compiled
 * runtime in dist/, each target in a worker thread watched for hangs, and writes the result into the `fuzz`
 * section of RELIABILITY.md. Exits non-zero when a property failed or a target hung.
 *
 * Usage: node scripts/fuzz.js [--cases N] [--seed S] [--only <text in a target's name>] [--hang-ms MS] [--no-report]
 * (FUZZ_CASES and FUZZ_SEED work too).
 */

const os = require('node:os');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

function parseArgs(argv) {
  const options = {
    cases: Number(process.env.FUZZ_CASES ?? 1_000_000),
    seed: process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED),
    only: undefined,
    hangMs: 60_000,
    report: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--cases') options.cases = Number(argv[++i]);
    else if (arg === '--seed') options.seed = Number(argv[++i]);
    else if (arg === '--only') options.only = argv[++i];
    else if (arg === '--hang-ms') options.hangMs = Number(argv[++i]);
    else if (arg === '--no-report') options.report = false;
    else throw new Error(`unknown argument ${arg}: use --cases N, --seed S, --only TEXT, --hang-ms MS, --no-report`);
  }
  if (!Number.isInteger(options.cases) || options.cases < 1) throw new Error(`--cases must be a positive integer`);
  return options;
}

/** Worker side: runs one target, reporting progress so the main thread can tell a hang from a slow run. */
function runInWorker() {
  const { bundle, name, numRuns, seed } = workerData;
  const { FUZZ_TARGETS, runFuzzTarget } = require(bundle);
  const target = FUZZ_TARGETS.find((t) => t.name === name);
  const result = runFuzzTarget(target, {
    numRuns,
    seed,
    progressEvery: 1_000,
    onProgress: (runs) => parentPort.postMessage({ progress: runs }),
  });
  parentPort.postMessage({ result });
}

/** Runs one target in a worker; a worker silent for `hangMs` is stopped and reported as a hang. */
function runTarget(bundle, target, numRuns, seed, hangMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    let done = 0;
    const worker = new Worker(__filename, { workerData: { bundle, name: target.name, numRuns, seed } });
    let timer;
    const finish = (result) => {
      clearTimeout(timer);
      resolve(result);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        worker.terminate();
        finish({
          name: target.name,
          runs: done,
          failures: 1,
          seed: seed ?? 0,
          error: `hang: no progress for ${hangMs} ms after ${done} cases (replay with --seed and --only)`,
          outcomes: {},
          durationMs: Date.now() - started,
          maxCallMs: hangMs,
        });
      }, hangMs);
    };
    arm();
    worker.on('message', (message) => {
      if (message.progress !== undefined) {
        done = message.progress;
        arm();
      } else finish(message.result);
    });
    worker.on('error', (error) =>
      finish({
        name: target.name,
        runs: done,
        failures: 1,
        seed: seed ?? 0,
        error: String(error.stack ?? error),
        outcomes: {},
        durationMs: Date.now() - started,
        maxCallMs: 0,
      }),
    );
  });
}

function markdown(results, options, wallMs, context) {
  const { table } = require('./reliability-report');
  const total = results.reduce((sum, r) => sum + r.runs, 0);
  const failures = results.reduce((sum, r) => sum + r.failures, 0);
  const rows = results.map((r) => [
    r.name,
    r.runs.toLocaleString('en-US'),
    String(r.failures),
    String(r.seed),
    `${(r.durationMs / 1000).toFixed(1)} s`,
    `${r.maxCallMs.toFixed(2)} ms`,
    Object.entries(r.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', '),
  ]);
  const failed = results.filter((r) => r.failures > 0);
  return [
    '## Fuzzing (`npm run fuzz`)',
    '',
    `${context}. ${total.toLocaleString('en-US')} cases (asked: ${options.cases.toLocaleString('en-US')}), ` +
      `${failures} failure(s), ${(wallMs / 1000).toFixed(1)} s wall time, against the compiled runtime (dist/).`,
    'Property: every input raises the typed error or decodes/parses to a value that survives a round trip; ' +
      'no other exception; no hang (a target silent for ' +
      `${options.hangMs / 1000} s is stopped). "slowest case" is the slowest single check. Replay: ` +
      '`node scripts/fuzz.js --only "<target>" --seed <seed> --cases <n>`.',
    '',
    table(['target', 'cases', 'failures', 'seed', 'duration', 'slowest case', 'outcomes'], rows),
    ...failed.flatMap((r) => [
      '',
      `**${r.name}** failed (seed ${r.seed}):`,
      '',
      '```',
      `counterexample: ${r.counterexample ?? '-'}`,
      r.error,
      '```',
    ]),
  ].join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const report = require('./reliability-report');
  report.ensureBuilt();
  const bundle = await report.bundleHelper('reliability-fuzz');
  const { FUZZ_TARGETS, casesFor } = require(bundle);
  const targets = FUZZ_TARGETS.filter((t) => options.only === undefined || t.name.includes(options.only));
  if (targets.length === 0) throw new Error(`no fuzz target matches "${options.only}"`);
  const started = Date.now();
  const queue = [...targets];
  const results = new Map();
  const lane = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const numRuns = options.only ? options.cases : casesFor(target, options.cases);
      const result = await runTarget(bundle, target, numRuns, options.seed, options.hangMs);
      results.set(target.name, result);
      const status = result.failures ? `FAILED: ${result.error?.split('\n')[0]}` : 'ok';
      process.stdout.write(
        `${target.name}: ${result.runs} cases, ${(result.durationMs / 1000).toFixed(1)} s, ${status}\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(2, os.cpus().length) }, lane));
  const ordered = targets.map((t) => results.get(t.name));
  const text = markdown(ordered, options, Date.now() - started, report.runContext());
  if (options.report) report.writeSection('fuzz', text);
  process.stdout.write(`\n${text}\n`);
  if (ordered.some((r) => r.failures > 0)) process.exitCode = 1;
}

if (isMainThread) {
  main().catch((error) => {
    process.stderr.write(`fuzz: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
} else {
  runInWorker();
}
