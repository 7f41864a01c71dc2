import * as fs from 'node:fs';
import * as path from 'node:path';

/** The npm package name this library is published under. */
export const PACKAGE_NAME = 'faas-grip-cdk';

/**
 * Finds the root of the faas-grip-cdk package by walking up from `start` to the `package.json` that names it.
 *
 * Works from `lib/` (sources under ts-jest), from `dist/lib/` (the build) and from an installed copy in
 * `node_modules/faas-grip-cdk/dist/lib/`.
 */
export function findPackageRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && readName(manifest) === PACKAGE_NAME) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${start}: is the package installed whole?`);
    }
    dir = parent;
  }
}

/**
 * The directory of a pre-built handler bundle (`assets/<name>/`), checked to hold `index.js`.
 *
 * @throws Error naming the missing file and the command that builds it.
 */
export function bundledAssetDir(name: string, root: string = findPackageRoot()): string {
  const dir = path.join(root, 'assets', name);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(
      `the '${name}' handler bundle is missing (${path.join('assets', name, 'index.js')} under ${root}): ` +
        'run `npm run build` in the faas-grip-cdk package to build the handler bundles',
    );
  }
  return dir;
}

function readName(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
