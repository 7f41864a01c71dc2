/**
 * Synth bench: `cdk synth` of the chat app as shipped (bin/chat.ts compiled, handler assets pre-built) against
 * the same app with a `NodejsFunction` that esbuild bundles at synth time (bench/fixtures/synth-nodejs-function-
 * app.js), interleaved, each into a fresh output directory. Also timed with `--no-validation` (aws-cdk-lib's
 * built-in CloudFormation validation off) to show what the common part of the time is.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, nowMs, fmt, ratio } = require('./lib/stats');

const ROOT = path.join(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const TARGET_RATIO = 0.5;
const APPS = {
  prebuilt: { label: 'chat app, pre-built assets (dist/bin/chat.js)', app: 'node dist/bin/chat.js' },
  nodejs: {
    label: 'same app, NodejsFunction bundling at synth',
    app: 'node bench/fixtures/synth-nodejs-function-app.js',
  },
};

/**
 * One `cdk synth` (or, with `mode.direct`, the app alone as the CLI would start it, validation off); resolves
 * { wallMs, cpuMs, outdir }.
 */
function synth(app, mode) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-synth-'));
  // The chat deploys both transports by default; the NodejsFunction app is its GRIP-only form, so both are GRIP only.
  const args = mode.direct
    ? app.split(' ').slice(1)
    : [CDK, 'synth', '-q', '--no-notices', ...mode.extra, '-c', 'transport=grip', '--app', app, '-o', outdir];
  const env = { CDK_CONTEXT_JSON: JSON.stringify({ transport: 'grip' }) };
  return timed(args, mode.direct ? { ...env, CDK_OUTDIR: outdir, CDK_VALIDATION: 'false' } : {}).then((r) => ({
    ...r,
    outdir,
  }));
}

/** Runs `node ...args` under /usr/bin/time; resolves { wallMs, cpuMs }. */
function timed(args, env) {
  const argv = TIME ? [TIME, '-f', '@cpu %U %S', process.execPath, ...args] : [process.execPath, ...args];
  const app = args.join(' ');
  return new Promise((resolve, reject) => {
    const t = nowMs();
    const child = spawn(argv[0], argv.slice(1), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.once('exit', (code) => {
      const wallMs = nowMs() - t;
      if (code !== 0) return reject(new Error(`'node ${app}' failed (${code}): ${output.slice(-2000)}`));
      const m = /@cpu ([\d.]+) ([\d.]+)/.exec(output);
      resolve({ wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN });
    });
  });
}

/** Resource types and counts of the synthesized stack, e.g. `AWS::Lambda::Function x1`. */
function resourceShape(outdir) {
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'FaasGripChat.template.json'), 'utf8'));
  const counts = {};
  for (const r of Object.values(template.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return Object.entries(counts)
    .sort()
    .map(([t, n]) => `${t} x${n}`)
    .join(', ');
}

function bundledAssetOk(outdir) {
  return fs
    .readdirSync(outdir)
    .filter((d) => d.startsWith('asset.'))
    .some((d) => fs.existsSync(path.join(outdir, d, 'index.js')));
}

/** The synth bench. */
async function run(ctx) {
  const reps = ctx.args.reps ?? (ctx.quick ? 1 : 3);
  const modes = [{ key: 'default', label: 'cdk synth', extra: [] }];
  if (!ctx.quick || ctx.args.noValidation) {
    modes.push({ key: 'novalidation', label: 'cdk synth --no-validation', extra: ['--no-validation'] });
    modes.push({ key: 'apponly', label: 'the app alone, no CLI, validation off', extra: [], direct: true });
  }
  const cliStart = [];
  const samples = {};
  let checked = false;
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of modes) {
      const order = rep % 2 ? ['nodejs', 'prebuilt'] : ['prebuilt', 'nodejs'];
      const outs = {};
      for (const key of order) {
        const r = await synth(APPS[key].app, mode);
        outs[key] = r.outdir;
        const id = `${mode.key}/${key}`;
        samples[id] ??= { wall: [], cpu: [] };
        samples[id].wall.push(r.wallMs);
        samples[id].cpu.push(r.cpuMs);
        ctx.log(`  ${mode.label} ${key}: ${fmt(r.wallMs / 1000, 2)} s (CPU ${fmt(r.cpuMs / 1000, 2)} s)`);
      }
      if (!checked) {
        const a = resourceShape(outs.prebuilt);
        const b = resourceShape(outs.nodejs);
        if (a !== b) throw new Error(`the two apps differ:\n  pre-built: ${a}\n  NodejsFunction: ${b}`);
        if (!bundledAssetOk(outs.nodejs)) throw new Error('the NodejsFunction app produced no bundled index.js');
        checked = true;
      }
      for (const dir of Object.values(outs)) fs.rmSync(dir, { recursive: true, force: true });
    }
    if (modes.length > 1) cliStart.push((await timed([CDK, '--version'], {})).wallMs);
  }
  const rows = [];
  const ratios = {};
  for (const mode of modes) {
    const pre = samples[`${mode.key}/prebuilt`];
    const njs = samples[`${mode.key}/nodejs`];
    ratios[mode.key] = median(pre.wall) / median(njs.wall);
    const cpuRatio = median(pre.cpu) / median(njs.cpu);
    rows.push([
      mode.label,
      APPS.prebuilt.label,
      fmt(median(pre.wall) / 1000, 2),
      fmt(median(pre.cpu) / 1000, 2),
      ratio(ratios[mode.key]),
      ratio(cpuRatio),
    ]);
    rows.push([
      mode.label,
      APPS.nodejs.label,
      fmt(median(njs.wall) / 1000, 2),
      fmt(median(njs.cpu) / 1000, 2),
      '1.00x',
      '1.00x',
    ]);
  }
  const pre = samples['default/prebuilt'];
  const njs = samples['default/nodejs'];
  const saved = median(njs.cpu) - median(pre.cpu);
  const analysis = [];
  if (ratios.default > TARGET_RATIO) {
    const nv = samples['novalidation/prebuilt'];
    const direct = samples['apponly/prebuilt'];
    const parts = [];
    if (cliStart.length > 0)
      parts.push(`the CDK CLI's own start-up (\`cdk --version\`: ${fmt(median(cliStart) / 1000, 2)} s wall)`);
    if (nv) {
      parts.push(
        `aws-cdk-lib's built-in CloudFormation validation (${fmt((median(pre.wall) - median(nv.wall)) / 1000, 2)} s wall, ` +
          'the --no-validation rows: a WebAssembly engine and the resource schemas loaded on every synth)',
      );
    }
    analysis.push(
      'What limits it: bundling is a small part of a synth. Pre-built assets remove the esbuild run ' +
        `(${fmt(saved / 1000, 2)} s of CPU here), but both apps pay the same fixed costs: ${parts.join(' and ') || 'the CLI and aws-cdk-lib'}. ` +
        "Neither depends on the app, so half the NodejsFunction app's time cannot be reached by how the app is packaged." +
        (direct
          ? ` The app alone (what the CLI runs, validation off) takes ${fmt(median(direct.wall) / 1000, 2)} s against ` +
            `${fmt(median(samples['apponly/nodejs'].wall) / 1000, 2)} s: ${ratio(ratios.apponly)}; its time is loading ` +
            'aws-cdk-lib and building the tree, our constructs included.'
          : ''),
    );
  }
  return {
    analysis,
    tables: [
      { headers: ['command', 'app', 'wall s', 'CPU s', 'wall vs NodejsFunction', 'CPU vs NodejsFunction'], rows },
    ],
    targets: [
      {
        what: 'cdk synth of the chat app with pre-built assets vs NodejsFunction bundling',
        target: `<= ${TARGET_RATIO}x its time`,
        measured: `${ratio(ratios.default)} (${fmt(median(pre.wall) / 1000, 2)} s vs ${fmt(median(njs.wall) / 1000, 2)} s)`,
        met: ratios.default <= TARGET_RATIO,
      },
    ],
    notes: [
      `Median of ${reps} interleaved runs per app and command, each into a fresh output directory; the CDK CLI of ` +
        'the repository (node_modules/aws-cdk), offline, no credentials. CPU is user+system of the CLI and everything ' +
        'it waited for (the app, esbuild), from /usr/bin/time.',
      'Both apps synthesize the same resources (resource types and counts compared on the first run); the ' +
        'NodejsFunction one bundles lambda/handlers/chat.ts with the options of scripts/bundle.js.',
      `Pre-built assets save ${fmt(saved / 1000, 2)} s of CPU per synth here (the esbuild run and its set-up).`,
    ],
  };
}

module.exports = {
  name: 'synth',
  title: 'cdk synth: pre-built assets vs NodejsFunction bundling',
  usage: '--reps N (default 3, quick 1); quick runs only the default command unless --no-validation is given',
  run,
};
