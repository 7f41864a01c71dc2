/**
 * esbuild helpers of the bundle bench: the options scripts/bundle.js builds the handler assets with, a build
 * of any entry with those options, and a breakdown of a bundle by package from esbuild's metafile.
 */
'use strict';

const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..', '..');

/** The options scripts/bundle.js builds the handler assets with. */
const { ASSET_OPTIONS } = require('../../scripts/bundle.js');

/** Bundles `entry` into `outfile` with the asset options; resolves to esbuild's metafile. */
async function buildLikeAssets(entry, outfile) {
  const result = await esbuild.build({ ...ASSET_OPTIONS, entryPoints: [entry], outfile, metafile: true });
  return result.metafile;
}

/** Bundles `entry` in memory with the asset options; resolves to { bytes, metafile }. */
async function measureBuild(entry) {
  const result = await esbuild.build({
    ...ASSET_OPTIONS,
    entryPoints: [entry],
    outfile: path.join(ROOT, 'node_modules', '.cache', 'faas-grip-bench', 'probe', 'index.js'),
    write: false,
    metafile: true,
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  return { bytes: js.contents.length, metafile: result.metafile };
}

/** The package (or source folder) an input path belongs to. */
function owner(input) {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) {
    const name = parts[at + 1];
    return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
  }
  return parts.slice(0, Math.min(parts.length - 1, 2)).join('/') || input;
}

/** Bytes in the output per package/folder, largest first: [[name, bytes], ...]. */
function breakdown(metafile) {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const totals = new Map();
  for (const [input, info] of Object.entries(output.inputs)) {
    totals.set(owner(input), (totals.get(owner(input)) ?? 0) + info.bytesInOutput);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

module.exports = { ROOT, ASSET_OPTIONS, buildLikeAssets, measureBuild, breakdown };
