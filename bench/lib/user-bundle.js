/**
 * A user's own handler bundled the way users bundle it (esbuild, minified, node platform, CommonJS, the AWS SDK
 * external: what NodejsFunction does), importing this package by its public name: `faas-grip-cdk/...` resolves
 * through package.json "exports" to the compiled dist/ files, as from an installed copy.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(ROOT, 'node_modules', '.cache', 'faas-grip-bench', 'user-handler');

/** The README's handler: GRIP through `faas-grip-cdk/runtime` only. */
const README_HANDLER = `
import { publish, webSocketHandler, WebSocketMessageFormat } from 'faas-grip-cdk/runtime';

export const handler = webSocketHandler(async (ws) => {
  if (ws.isOpening()) { ws.accept(); ws.subscribe('room'); }
  while (ws.canRecv()) {
    const message = ws.recv();
    if (message === null) break;
    await publish('room', new WebSocketMessageFormat(message));
  }
});
`;

/** The same handler serving (and publishing to) API Gateway WebSocket connections too. */
const NATIVE_HANDLER = `import 'faas-grip-cdk/runtime/native';\n${README_HANDLER}`;

/** Resolves `faas-grip-cdk` and its subpaths through the package's own "exports" map. */
function selfByName() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return {
    name: 'faas-grip-cdk-by-name',
    setup(build) {
      build.onResolve({ filter: /^faas-grip-cdk(\/.*)?$/ }, (args) => {
        const subpath = `.${args.path.slice('faas-grip-cdk'.length)}`;
        const target = pkg.exports[subpath];
        if (target === undefined) return { errors: [{ text: `faas-grip-cdk does not export ${subpath}` }] };
        const file = args.kind === 'import-statement' ? (target.import ?? target.default) : target.default;
        return { path: path.join(ROOT, file) };
      });
    },
  };
}

/**
 * Bundles `source` (an ES module's text) as a user would; resolves to { file, bytes, nativeModules } where
 * nativeModules lists the inputs from the native transport (dist/lambda/native/).
 */
async function bundleUserHandler(source, name) {
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, 'handler.mjs');
  fs.writeFileSync(entry, source);
  const file = path.join(dir, 'index.js');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    external: ['@aws-sdk/*', '@smithy/*'],
    metafile: true,
    sourcemap: 'external',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [selfByName()],
  });
  // The inputs' own source maps are followed, so the sources name the runtime's modules in either build.
  const { sources } = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'));
  const nativeModules = [...Object.keys(result.metafile.inputs), ...sources]
    .map((input) => input.split(path.sep).join('/'))
    .filter((input) => /(^|\/)lambda\/native\/[^/]+\.(ts|js)$/.test(input))
    .map((input) => input.replace(/^.*lambda\/native\//, '').replace(/\.(ts|js)$/, ''));
  return { file, bytes: fs.statSync(file).size, nativeModules: [...new Set(nativeModules)] };
}

module.exports = { bundleUserHandler, README_HANDLER, NATIVE_HANDLER };
