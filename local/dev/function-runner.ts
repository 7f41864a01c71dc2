/**
 * The process one function of `faas-grip-cdk dev` runs in (./function-process.ts starts it): loads the function's
 * code (`FAAS_GRIP_DEV_FUNCTION`: its file and export) with the function's environment, and answers each event it
 * is sent over IPC with the handler's result or error, calling the handler as the Lambda Node.js runtime does. As on
 * Lambda's Node.js runtimes, the AWS SDK for JavaScript v3 is available to code that left it out of its bundle.
 */
import Module from 'node:module';
import { dirname } from 'node:path';
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

const sdk = dirname(dirname(dirname(require.resolve('@aws-sdk/client-dynamodb/package.json'))));
(Module as unknown as { globalPaths: string[] }).globalPaths.push(sdk);

let loaded: Promise<LambdaHandler> | undefined;
async function handler(): Promise<LambdaHandler> {
  let exports: Record<string, unknown>;
  try {
    exports = require(require.resolve(spec.file)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
    const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;
    exports = (await importModule(require.resolve(spec.file))) as Record<string, unknown>;
  }
  const fn = exports[spec.exportName];
  if (typeof fn !== 'function') throw new Error(`${spec.functionName}: export ${spec.exportName} is not a function`);
  return fn as LambdaHandler;
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
