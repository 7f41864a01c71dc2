/**
 * Lambda's asynchronous invocation, as the emulator's Invoke API runs it: an `Event` invocation that throws is
 * retried (twice by default, as Lambda does) after a delay, and one that still fails goes to the on-failure
 * destination, a record of its event and error (AWS sends the same to an SQS queue, SNS topic, or function). Lambda
 * waits about 1 and 2 minutes between attempts; locally the delays are short, and configurable.
 */

/** One event that failed every attempt, as an on-failure destination receives it. */
export interface FailedInvocation {
  /** The event (`requestPayload` in Lambda's destination record). */
  readonly event: unknown;
  /** The last attempt's error. */
  readonly error: Error;
  readonly attempts: number;
  /** When it was given up (epoch ms). */
  readonly at: number;
}

/** Options of {@link asyncInvoker}. */
export interface AsyncInvocationOptions {
  /** Retries after the first attempt (Lambda's `MaximumRetryAttempts`, 0-2). @default 2 */
  readonly retries?: number;
  /** Wait before each retry, ms. @default [200, 400] (Lambda: about 60 000 and 120 000) */
  readonly retryDelaysMs?: readonly number[];
  /** Receives each invocation that failed every attempt. @default - kept in {@link AsyncInvoker.failed} only */
  readonly onFailure?: (failed: FailedInvocation) => void;
  /** Receives every attempt's error. @default - none */
  readonly onError?: (error: unknown) => void;
}

/** Runs `Event` invocations with retries; remembers the ones that failed. */
export interface AsyncInvoker {
  /** Starts `event` in the background. */
  invokeAsync(event: unknown): void;
  /** Every invocation that failed all its attempts (the on-failure destination's messages), oldest first. */
  readonly failed: readonly FailedInvocation[];
  /** Resolves once no invocation is running or waiting for a retry. */
  idle(): Promise<void>;
}

/** An invoker of `invoke` with Lambda's asynchronous semantics. */
export function asyncInvoker(
  invoke: (event: unknown) => Promise<unknown>,
  options: AsyncInvocationOptions = {},
): AsyncInvoker {
  const retries = Math.max(0, Math.min(2, options.retries ?? 2));
  const delays = options.retryDelaysMs ?? [200, 400];
  const failed: FailedInvocation[] = [];
  const running = new Set<Promise<void>>();
  const run = async (event: unknown) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await invoke(event);
        return;
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        options.onError?.(error);
        if (attempt > retries) {
          const record = { event, error, attempts: attempt, at: Date.now() };
          failed.push(record);
          options.onFailure?.(record);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delays[Math.min(attempt - 1, delays.length - 1)] ?? 0));
      }
    }
  };
  return {
    invokeAsync(event) {
      const job = run(event).finally(() => running.delete(job));
      running.add(job);
    },
    failed,
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
