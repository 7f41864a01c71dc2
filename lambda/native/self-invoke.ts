/**
 * The function invoking itself asynchronously (Lambda Invoke, InvocationType `Event`, the version it runs as): how
 * the native transport hands work to another invocation of the same function, for messages sent during `$connect`
 * (./pending.ts) and the shards of a big fan-out (./fan-out-shards.ts). Lambda queues the event, retries a failed
 * invocation twice and then sends it to the function's on-failure destination.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { backoffDelay, sleep } from '../core/backoff';
import { containerScoped } from '../core/container';
import { callTimeout, invocationDeadline } from '../core/deadline';
import { runtimeSettings } from '../core/settings';
import type { NativeDeps } from './native-deps';

/** Attempts of one self-invocation before it is given up. */
export const SELF_INVOKE_ATTEMPTS = 3;
/** Timeout of one Invoke attempt. */
export const INVOKE_TIMEOUT_MS = 3000;

/** The container's Lambda client for self-invocations (created on first use). */
const sharedLambda = containerScoped(() =>
  import('@aws-sdk/client-lambda').then(
    (sdk) => new sdk.LambdaClient({ requestHandler: { connectionTimeout: 1000, requestTimeout: INVOKE_TIMEOUT_MS } }),
  ),
);

function lambdaOf(deps: NativeDeps): Promise<LambdaClient> {
  return deps.lambdaClient ? Promise.resolve(deps.lambdaClient) : sharedLambda.get();
}

/** This function's name (`deps.functionName`, else Lambda's), or undefined outside Lambda. */
export function selfFunctionName(deps: NativeDeps = {}): string | undefined {
  return deps.functionName ?? runtimeSettings().lambdaFunction.name;
}

/**
 * Queues `payload` for an asynchronous invocation of this function (same version), up to
 * {@link SELF_INVOKE_ATTEMPTS} times with backoff, each attempt within `share` of the invocation's remaining time.
 * Rejects with the last error when every attempt failed; with an Error when there is no function to invoke.
 */
export async function invokeSelf(payload: unknown, deps: NativeDeps = {}, share = 0.5): Promise<void> {
  const functionName = selfFunctionName(deps);
  if (!functionName) throw new Error('no function to invoke: the function name is unknown outside Lambda');
  const version = runtimeSettings().lambdaFunction.version;
  const [client, { InvokeCommand }] = await Promise.all([lambdaOf(deps), import('@aws-sdk/client-lambda')]);
  const command = new InvokeCommand({
    FunctionName: functionName,
    Qualifier: version && version !== '$LATEST' ? version : undefined,
    InvocationType: 'Event',
    Payload: Buffer.from(JSON.stringify(payload)),
  });
  const known = invocationDeadline();
  const deadline = known === undefined ? undefined : Date.now() + (known - Date.now()) * share;
  let error: unknown;
  for (let attempt = 1; attempt <= SELF_INVOKE_ATTEMPTS; attempt++) {
    try {
      const abortSignal = AbortSignal.timeout(callTimeout(deadline, INVOKE_TIMEOUT_MS));
      await client.send(command, { abortSignal });
      return;
    } catch (err) {
      error = err;
      const delay = backoffDelay(attempt, 100, 1000);
      if (attempt === SELF_INVOKE_ATTEMPTS || (deadline !== undefined && Date.now() + delay >= deadline)) break;
      await sleep(delay);
    }
  }
  throw error;
}
