/**
 * The process one function of `faas-grip-cdk dev` runs in (./function-process.ts starts it): loads the function's
 * code (`FAAS_GRIP_DEV_FUNCTION`: its file and export) with the function's environment, and answers each event it
 * is sent over IPC with the handler's result or error, calling the handler as the Lambda Node.js runtime does. As on
 * Lambda's Node.js runtimes, the AWS SDK for JavaScript v3 is available to code that left it out of its bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { invokeHandler, type LambdaHandler } from '../apigw-websocket/lambda-context';

interface Spec {
  readonly file: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly timeoutMs: number;
}

interface Request {
  readonly id: number;
  readonly event: unknown;
}

const spec = JSON.parse(process.env.FAAS_GRIP_DEV_FUNCTION ?? '{}') as Spec;
delete process.env.FAAS_GRIP_DEV_FUNCTION;

// The runtime's modules (the SDK v3 in a node_modules directory of their own, ./function-process.ts's
// runtimeModules): CommonJS code finds them through NODE_PATH, ES modules through a resolution hook that resolves
// from a file beside that node_modules.
Module.register(pathToFileURL(join(__dirname, 'sdk-resolve-hook.js')), {
  data: { sdkParent: pathToFileURL(join(dirname(process.env.NODE_PATH ?? __dirname), 'faas-grip-dev.js')).href },
});

let loaded: Promise<LambdaHandler> | undefined;
async function handler(): Promise<LambdaHandler> {
  const file = require.resolve(spec.file);
  const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;
  let exports: Record<string, unknown>;
  if (isModule(file)) {
    // Imported, not required: the SDK's resolution hook serves imports only.
    exports = (await importModule(pathToFileURL(file).href)) as Record<string, unknown>;
  } else {
    try {
      exports = require(file) as Record<string, unknown>;
    } catch (error) {
      // ES module syntax in a .js file of no "type": as the Lambda runtime does, import it.
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
      exports = (await importModule(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  }
  const fn = exports[spec.exportName];
  if (typeof fn !== 'function') throw new Error(`${spec.functionName}: export ${spec.exportName} is not a function`);
  return fn as LambdaHandler;
}

/** Whether `file` is an ES module by its name or its package's "type". */
function isModule(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

process.on('message', (request: Request) => {
  loaded ??= handler();
  loaded
    .then((fn) => invokeHandler(fn, request.event, { functionName: spec.functionName, timeoutMs: spec.timeoutMs }))
    .then(
      (result) => process.send?.({ id: request.id, result: result === undefined ? null : result }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        process.send?.({ id: request.id, error: { name: e.name, message: e.message, stack: e.stack } });
      },
    );
});
process.on('disconnect', () => process.exit(0));
