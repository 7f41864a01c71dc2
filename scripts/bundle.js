#!/usr/bin/env node
/**
 * Pre-builds every handler named in lambda/contract.ts `HandlerBundleName` from `lambda/handlers/<name>.ts` into
 * `assets/<name>/index.js` (+ `index.js.map`), so a consumer's `cdk synth` needs neither esbuild nor Docker.
 *
 * Silent on success; prints the failures on stderr and exits non-zero otherwise.
 */

const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

/** The esbuild options of every handler asset (Lambda Node.js, CommonJS, minified, AWS SDK and its @smithy parts external). */
const ASSET_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  external: ['@aws-sdk/*', '@smithy/*'],
  mainFields: ['module', 'main'],
  logLevel: 'silent',
};

/** Loads lambda/contract.ts (no imports, plain constants) without needing a prior tsc run. */
function loadContract() {
  const file = path.join(root, 'lambda', 'contract.ts');
  const { code } = esbuild.transformSync(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs' });
  const mod = new Module(file);
  mod.filename = file;
  mod._compile(code, file);
  return mod.exports;
}

/** Bundles one handler; resolves to an error message, or undefined on success. */
async function bundle(name) {
  const entry = path.join(root, 'lambda', 'handlers', `${name}.ts`);
  if (!fs.existsSync(entry)) {
    return `handler '${name}' has no entry file: expected lambda/handlers/${name}.ts`;
  }
  try {
    await esbuild.build({
      ...ASSET_OPTIONS,
      entryPoints: [entry],
      outfile: path.join(root, 'assets', name, 'index.js'),
    });
    return undefined;
  } catch (err) {
    const messages = (err.errors ?? []).map((e) => {
      const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : '';
      return `  ${where}${e.text}`;
    });
    return `handler '${name}' failed to bundle:\n${messages.join('\n') || `  ${err.message}`}`;
  }
}

async function main() {
  const { HandlerBundleName } = loadContract();
  const failures = (await Promise.all(Object.values(HandlerBundleName).map((name) => bundle(name)))).filter(Boolean);
  if (failures.length > 0) {
    process.stderr.write(`${failures.map((f) => `bundle: ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bundle: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  });
}

module.exports = { ASSET_OPTIONS };
