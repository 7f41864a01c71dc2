/**
 * Time budgets. Every outbound call of the runtime (management API, DynamoDB, Lambda Invoke, GRIP control API)
 * gets a deadline, and no operation outlives the invocation that started it: the invocation's deadline comes from
 * the Lambda context (`getRemainingTimeInMillis()`, less a safety margin to answer in) when the handler runs
 * through {@link withInvocationDeadline}, otherwise from a budget counted from the operation's start.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TimeoutError } from './errors';

/** The budget of an operation started outside an invocation whose deadline is known. */
export const DEFAULT_OPERATION_BUDGET_MS = 25_000;

/** The longest a single outbound call may take, whatever the deadline. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Time kept back from the invocation's remaining time to answer and flush metrics: 10% of it, at most 1 s. */
export const MAX_SAFETY_MARGIN_MS = 1000;

const invocation = new AsyncLocalStorage<number>();

/**
 * Runs `fn` with the deadline of the Lambda invocation `context` belongs to (its `getRemainingTimeInMillis()` less
 * the safety margin). Without such a context, `fn` runs with whatever deadline is already in force.
 */
export function withInvocationDeadline<T>(context: unknown, fn: () => Promise<T>): Promise<T> {
  const remaining = remainingOf(context);
  if (remaining === undefined) return fn();
  const margin = Math.min(MAX_SAFETY_MARGIN_MS, remaining / 10);
  return invocation.run(Date.now() + remaining - margin, fn);
}

/** The running invocation's deadline (epoch milliseconds), when one is known. */
export function invocationDeadline(): number | undefined {
  return invocation.getStore();
}

/**
 * The deadline of an operation starting now (epoch milliseconds): the invocation's, else `budgetMs` from now.
 * An invocation's deadline wins even when the budget would end later.
 */
export function operationDeadline(budgetMs: number = DEFAULT_OPERATION_BUDGET_MS): number {
  const known = invocation.getStore();
  const own = Date.now() + budgetMs;
  return known === undefined ? own : Math.min(known, own);
}

/**
 * The timeout of one call made now under `deadline`: at most `callTimeoutMs`. Throws {@link TimeoutError} (not
 * sent) when the deadline has already passed, so nothing is started that could not finish.
 */
export function callTimeout(deadline: number | undefined, callTimeoutMs: number = DEFAULT_CALL_TIMEOUT_MS): number {
  const left = (deadline ?? invocationDeadline() ?? Number.POSITIVE_INFINITY) - Date.now();
  if (left <= 0) {
    throw new TimeoutError('not started: the deadline of the operation has passed', { requestSent: false });
  }
  return Math.max(1, Math.min(callTimeoutMs, Math.floor(left)));
}

/** True when `deadline` has passed. */
export function expired(deadline: number | undefined): boolean {
  return deadline !== undefined && Date.now() >= deadline;
}

function remainingOf(context: unknown): number | undefined {
  const read = (context as { getRemainingTimeInMillis?: unknown } | null | undefined)?.getRemainingTimeInMillis;
  if (typeof read !== 'function') return undefined;
  const value = Number(read.call(context));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
