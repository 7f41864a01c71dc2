/**
 * What a local run hands to a Lambda handler: the handler type every local server accepts, and a context object
 * with the fields of the Lambda Node.js runtime's `context`.
 */
import { requestId } from '../support/ids';

/**
 * A Lambda handler: `(event, context) => result | Promise<result>`. Typed loosely on purpose so that handlers typed
 * with any event library are accepted; each server documents the event shape it sends.
 */
export type LambdaHandler = (event: never, context: never) => unknown;

/** The `context` argument the local servers pass, shaped like the Lambda Node.js runtime's. */
export interface LocalLambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  getRemainingTimeInMillis(): number;
  done(error?: Error, result?: unknown): void;
  fail(error: Error | string): void;
  succeed(messageOrObject: unknown): void;
}

/** Where a local function pretends to live. */
export interface LocalFunctionInfo {
  /** Function name; default `local-function`. */
  readonly functionName?: string;
  /** Region in ARNs; default `us-east-1`. */
  readonly region?: string;
  /** Account id in ARNs; default `123456789012`. */
  readonly accountId?: string;
  /** Time budget reported by `getRemainingTimeInMillis()`; default 30 s. Not enforced. */
  readonly timeoutMs?: number;
}

/** Completes an invocation the callback way: `callback(error, result)`, or `context.done/succeed/fail`. */
type Completion = (error: unknown, result?: unknown) => void;

/** A fresh context for one invocation; `complete` receives the callback-style completions. */
export function createLambdaContext(info: LocalFunctionInfo = {}, complete?: Completion): LocalLambdaContext {
  const functionName = info.functionName ?? 'local-function';
  const region = info.region ?? 'us-east-1';
  const accountId = info.accountId ?? '123456789012';
  const deadline = Date.now() + (info.timeoutMs ?? 30_000);
  const finish: Completion =
    complete ??
    (() => {
      throw new Error('callback-style completion needs invokeHandler(); return a value or a Promise instead');
    });
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: requestId(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (error, result) => finish(error ?? null, result),
    fail: (error) => finish(typeof error === 'string' ? new Error(error) : error),
    succeed: (result) => finish(null, result),
  };
}

/**
 * Calls `handler` with `event` and a fresh context, as the Lambda Node.js runtime does: an async handler's promise
 * gives the result; a handler that declares a third parameter (or calls `context.done`, `succeed` or `fail`)
 * completes through that callback, `callback(error, result)`, whichever comes first.
 */
export async function invokeHandler(
  handler: LambdaHandler,
  event: unknown,
  info?: LocalFunctionInfo,
): Promise<unknown> {
  const call = handler as unknown as (event: unknown, context: LocalLambdaContext, callback: Completion) => unknown;
  return await new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const complete: Completion = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    };
    try {
      const returned = call(event, createLambdaContext(info, complete), complete);
      const callbackStyle = (handler as (...args: never[]) => unknown).length >= 3;
      if (returned !== undefined && typeof (returned as Promise<unknown>)?.then === 'function') {
        (returned as Promise<unknown>).then(
          (result) => complete(null, result),
          (error: unknown) => complete(error ?? new Error('handler rejected')),
        );
      } else if (!callbackStyle) {
        complete(null, returned);
      }
    } catch (error) {
      complete(error);
    }
  });
}
