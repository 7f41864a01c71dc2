/**
 * Loads a user's handler module for the dev server (`--handler path`): a CommonJS or ES module exporting
 * `handler`. A TypeScript file is bundled first with esbuild when esbuild is installed (it is with
 * `NodejsFunction` users), the way the CDK would bundle it; its packages resolve from the file's own folder.
 */
import { existsSync } from 'node:fs';
import Module from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FaasGripError } from '../../lambda/core/errors';
import type { LambdaHandler } from '../apigw-websocket/lambda-context';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

// tsc compiles `import()` to `require()` under CommonJS; this keeps a real dynamic import for ES modules.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles: Array<{ text: string }> };
}

function findFile(path: string): string {
  const absolute = resolve(path);
  const candidates = [absolute, ...['.js', '.cjs', '.mjs', '.ts'].map((ext) => `${absolute}${ext}`)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new FaasGripError(
      `handler module ${path} not found (looked for ${absolute}); pass the path of a .js or .ts file`,
    );
  }
  return found;
}

function loadTypeScript(file: string): unknown {
  let esbuild: EsbuildLike;
  try {
    esbuild = require('esbuild') as EsbuildLike;
  } catch {
    throw new FaasGripError(
      `handler module ${file} is TypeScript and esbuild is not installed; ` +
        'install it (npm install --save-dev esbuild) or pass the compiled .js file',
    );
  }
  let code: string;
  try {
    const result = esbuild.buildSync({
      entryPoints: [file],
      write: false,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    code = result.outputFiles[0].text;
  } catch (error) {
    throw new FaasGripError(`handler module ${file} failed to build: ${(error as Error).message}`, { cause: error });
  }
  // compiled in place of the source file, so its packages resolve from the user's node_modules
  const module = new Module(file) as Module & { _compile(code: string, filename: string): void };
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  module._compile(code, file);
  return module.exports;
}

async function loadModule(file: string): Promise<unknown> {
  try {
    return require(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
      return importModule(pathToFileURL(file).href);
    }
    throw error;
  }
}

function handlerOf(exports: unknown): unknown {
  const module = exports as { handler?: unknown; default?: { handler?: unknown } } | undefined;
  return module?.handler ?? module?.default?.handler;
}

/**
 * Loads `path` (relative to the working directory) and returns its `handler` export.
 *
 * @throws FaasGripError when the file is missing, cannot be built, or exports no `handler` function.
 */
export async function loadHandlerModule(path: string): Promise<LambdaHandler> {
  const file = findFile(path);
  const exports = TYPESCRIPT.has(extname(file)) ? loadTypeScript(file) : await loadModule(file);
  const handler = handlerOf(exports);
  if (typeof handler !== 'function') {
    throw new FaasGripError(
      `handler module ${path} exports no handler function (found ${typeof handler}); ` +
        'export one: export const handler = async (event) => { ... }',
    );
  }
  return handler as LambdaHandler;
}
