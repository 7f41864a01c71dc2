import { forEachBounded } from '../backoff';
import { CONNECTION_TTL_SECONDS, Env } from '../contract';
import { FaasGripError, GripConfigError, OutputLimitError, PublishError } from '../errors';
import type { ChannelMember } from './connection-store';
import { messageBytes, postWithRetry } from './management';
import { loggerOf, managementOf, type NativeDeps, storeOf } from './native-deps';

/**
 * Default number of PostToConnection calls in flight during a fan-out. Every post counts against the
 * account's API Gateway throttle (10,000 requests/s, burst 5,000, shared by every REST, HTTP, WebSocket and
 * callback API of the account and region). 50 in flight gives roughly 1,000-2,500 posts/s per invocation at
 * 20-50 ms per post: fast for rooms of thousands, yet leaves most of the account budget to other invocations.
 */
export const DEFAULT_FANOUT_CONCURRENCY = 50;

/** API Gateway's limit on one message (PostToConnection payload): 128 KB. */
export const MAX_NATIVE_MESSAGE_BYTES = 128 * 1024;

/**
 * A 410 from a connection committed less than this many seconds ago does not remove it: API Gateway
 * refuses posts until `$connect` has returned, so a connection that just joined may not accept them yet.
 */
export const OPENING_GRACE_SECONDS = 30;

/** At most this many failures are kept in {@link FanOutResult.errors}; `failed` counts them all. */
export const MAX_REPORTED_FAILURES = 100;

/** One delivery (or clean-up) that did not succeed. */
export interface FanOutFailure {
  /** The recipient; absent when removing gone connections failed. */
  readonly connectionId?: string;
  readonly error: Error;
}

/** What a fan-out did. Every member is counted exactly once in `delivered`, `gone` or `failed`. */
export interface FanOutResult {
  /** Messages API Gateway accepted. */
  readonly delivered: number;
  /** Members that were gone (410); each was removed with all its memberships. */
  readonly gone: number;
  /** Members the message did not reach after retries (throttled, 5xx, forbidden, still opening). */
  readonly failed: number;
  /** The first {@link MAX_REPORTED_FAILURES} failures with their causes. */
  readonly errors: readonly FanOutFailure[];
}

/** Throws {@link OutputLimitError} when `data` is over API Gateway's 128 KB message limit. */
export function checkNativeMessageSize(data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
  if (bytes > MAX_NATIVE_MESSAGE_BYTES) {
    throw new OutputLimitError(
      `message of ${bytes} bytes is over API Gateway's ${MAX_NATIVE_MESSAGE_BYTES}-byte limit: split it or send a reference`,
    );
  }
}

/**
 * Sends `data` to every live member of `channel` (the full, prefixed name): members are read page by page
 * and posted with bounded parallelism; one failure never stops the others. Gone connections (410) are
 * removed with all their memberships. Throttling, 5xx and network errors are retried with backoff, then
 * counted as failed. Rejects only when the message is too large, the configuration is missing, or the
 * member listing itself fails.
 */
export async function fanOut(channel: string, data: string | Uint8Array, deps: NativeDeps = {}): Promise<FanOutResult> {
  checkNativeMessageSize(data);
  const bytes = messageBytes(data);
  const store = storeOf(deps);
  const client = await managementOf(deps);
  let delivered = 0;
  let failed = 0;
  const goneIds: string[] = [];
  const errors: FanOutFailure[] = [];
  const fail = (connectionId: string | undefined, error: Error) => {
    if (connectionId !== undefined) failed++;
    if (errors.length < MAX_REPORTED_FAILURES) errors.push({ connectionId, error });
  };
  await forEachBounded(store.members(channel), fanOutConcurrency(deps), async (member) => {
    try {
      const outcome = await postWithRetry(client, member.connectionId, bytes, deps.postRetry);
      if (outcome === 'delivered') delivered++;
      else if (secondsSinceConnect(member) < OPENING_GRACE_SECONDS) fail(member.connectionId, openingError(member));
      else goneIds.push(member.connectionId);
    } catch (err) {
      fail(member.connectionId, err as Error);
    }
  });
  if (goneIds.length > 0) {
    try {
      await store.deleteConnections(goneIds);
    } catch (err) {
      loggerOf(deps).error('removing gone connections failed', { channel, gone: goneIds.length, error: err });
      fail(undefined, err as Error);
    }
  }
  if (failed > 0) {
    loggerOf(deps).warn('fan-out did not reach every member', { channel, delivered, gone: goneIds.length, failed });
  }
  return { delivered, gone: goneIds.length, failed, errors };
}

/**
 * Sends `data` to one connection. Resolves `'gone'` when it no longer exists (it is then removed with its
 * memberships); rejects with {@link PublishError} when it could not be reached after retries.
 */
export async function sendToConnection(
  connectionId: string,
  data: string | Uint8Array,
  deps: NativeDeps = {},
): Promise<'delivered' | 'gone'> {
  checkNativeMessageSize(data);
  const client = await managementOf(deps);
  let outcome: 'delivered' | 'gone';
  try {
    outcome = await postWithRetry(client, connectionId, data, deps.postRetry);
  } catch (err) {
    throw new PublishError([{ target: `native connection ${connectionId}`, cause: err as Error }]);
  }
  if (outcome === 'gone') await storeOf(deps).deleteConnection(connectionId);
  return outcome;
}

/** The fan-out parallelism: `deps.concurrency`, else `FAAS_GRIP_FANOUT_CONCURRENCY`, else 50. */
export function fanOutConcurrency(deps: NativeDeps = {}): number {
  const raw = deps.concurrency ?? process.env[Env.FANOUT_CONCURRENCY];
  if (raw === undefined || raw === '') return DEFAULT_FANOUT_CONCURRENCY;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new GripConfigError(`${Env.FANOUT_CONCURRENCY} "${raw}" is not a positive integer: use e.g. 50`);
  }
  return value;
}

function secondsSinceConnect(member: ChannelMember): number {
  return Date.now() / 1000 - (member.expiresAt - CONNECTION_TTL_SECONDS);
}

function openingError(member: ChannelMember): Error {
  return new FaasGripError(
    `connection ${member.connectionId} answered 410 GoneException ${Math.round(secondsSinceConnect(member))} s ` +
      'after its $connect: it may still be opening, so it was kept; this message was not delivered to it',
  );
}
