#!/usr/bin/env node
/**
 * Builds the ES module form of the runtime's public entries (and of the client, `faas-grip-cdk/client`, into
 * dist/esm/client/index.mjs), `faas-grip-cdk/runtime` and
 * `faas-grip-cdk/runtime/native`, `faas-grip-cdk/runtime/channels` and `faas-grip-cdk/runtime/auth`, into
 * dist/esm/runtime/ (`index.mjs`, `native.mjs`, `channels.mjs`, `auth.mjs` and the chunks they share), so a
 * user's bundler keeps only what the handler uses (the CommonJS form in dist/lambda/ cannot be tree-shaken). The two
 * entries share their modules' state through the chunks. Dependencies stay external; the types are dist/lambda's.
 *
 * Silent on success; prints the failure on stderr and exits non-zero otherwise.
 */

const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

async function main() {
  await esbuild.build({
    entryPoints: {
      index: path.join(root, 'lambda', 'index.ts'),
      native: path.join(root, 'lambda', 'native-api.ts'),
      channels: path.join(root, 'lambda', 'channels-api.ts'),
      auth: path.join(root, 'lambda', 'auth-api.ts'),
    },
    outdir: path.join(root, 'dist', 'esm', 'runtime'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
  });
  // The client: one self-contained module for browsers and Node (no dependencies).
  await esbuild.build({
    entryPoints: [path.join(root, 'client', 'index.ts')],
    outfile: path.join(root, 'dist', 'esm', 'client', 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
  });
}

main().catch((err) => {
  const messages = (err.errors ?? []).map(
    (e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`,
  );
  process.stderr.write(`build-esm: ${messages.join('\n') || err.stack || err}\n`);
  process.exitCode = 1;
});
