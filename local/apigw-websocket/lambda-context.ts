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

/** A fresh context for one invocation. */
export function createLambdaContext(info: LocalFunctionInfo = {}): LocalLambdaContext {
  const functionName = info.functionName ?? 'local-function';
  const region = info.region ?? 'us-east-1';
  const accountId = info.accountId ?? '123456789012';
  const deadline = Date.now() + (info.timeoutMs ?? 30_000);
  const unsupported = (): void => {
    throw new Error('callback-style completion is not supported locally; return a value or a Promise instead');
  };
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
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Calls `handler` with `event` and a fresh context, and awaits its result. */
export async function invokeHandler(
  handler: LambdaHandler,
  event: unknown,
  info?: LocalFunctionInfo,
): Promise<unknown> {
  const call = handler as unknown as (event: unknown, context: LocalLambdaContext) => unknown;
  return await call(event, createLambdaContext(info));
}
