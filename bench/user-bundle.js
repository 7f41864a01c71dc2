/**
 * User handler bundle bench: the README's handler (`faas-grip-cdk/runtime` only) bundled as users bundle it
 * (bench/lib/user-bundle.js), beside the same handler importing `faas-grip-cdk/runtime/native`. Target: the README
 * handler at most 80 KB with no module of the native transport inside.
 */
'use strict';

const { bundleUserHandler, README_HANDLER, NATIVE_HANDLER } = require('./lib/user-bundle');
const { kb } = require('./lib/stats');

const MAX_USER_HANDLER_BYTES = 80_000;

async function run() {
  const grip = await bundleUserHandler(README_HANDLER, 'readme');
  const native = await bundleUserHandler(NATIVE_HANDLER, 'native');
  const line = (b) => [`${b.bytes.toLocaleString('en-US')} bytes`, String(b.nativeModules.length)];
  return {
    tables: [
      {
        title: 'A user handler bundled as users do (esbuild, minified, node, CommonJS, AWS SDK external)',
        headers: ['handler', 'size', 'native transport modules inside'],
        rows: [
          ['README handler (`faas-grip-cdk/runtime`)', ...line(grip)],
          ["same + `import 'faas-grip-cdk/runtime/native'`", ...line(native)],
        ],
      },
    ],
    targets: [
      {
        what: 'README handler bundle: size, and no native transport module inside',
        target: `<= 80 KB (${MAX_USER_HANDLER_BYTES.toLocaleString('en-US')} bytes), 0 native modules`,
        measured: `${grip.bytes.toLocaleString('en-US')} bytes (${kb(grip.bytes)}), ${grip.nativeModules.length} native modules`,
        met: grip.bytes <= MAX_USER_HANDLER_BYTES && grip.nativeModules.length === 0,
      },
    ],
    notes: [
      '`faas-grip-cdk/...` resolves through package.json "exports" to dist/, as from an installed copy; the native ' +
        'transport enters a bundle only through `faas-grip-cdk/runtime/native` (lambda/native-loader.ts).',
    ],
  };
}

module.exports = {
  name: 'user-bundle',
  title: "A user's handler bundle: size, and the native transport left out",
  usage: '(no options)',
  run,
};
