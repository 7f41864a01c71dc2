import { loadChannels } from '../channels-loader';
import { CONNECTION_TTL_SECONDS } from '../contract';
import { forEachBounded } from '../core/backoff';
import { expired, operationDeadline } from '../core/deadline';
import { TimeoutError } from '../core/errors';
import { parseConcurrency, runtimeSettings } from '../core/settings';
import type { ChannelMember } from './connection-store';
import {
  checkNativeMessageSize,
  classifyManagementError,
  messageBytes,
  postOrThrow,
  postWithRetry,
} from './management';

export { checkNativeMessageSize, MAX_NATIVE_MESSAGE_BYTES } from './management';

import { loggerOf, managementOf, type NativeDeps, storeOf } from './native-deps';

/**
 * Default number of PostToConnection calls in flight during a fan-out. Every post counts against the
 * account's API Gateway throttle (10,000 requests/s, burst 5,000, shared by every REST, HTTP, WebSocket and
 * callback API of the account and region). 50 in flight gives roughly 1,000-2,500 posts/s per invocation at
 * 20-50 ms per post: fast for rooms of thousands, yet leaves most of the account budget to other invocations.
 */
export { DEFAULT_FANOUT_CONCURRENCY } from '../core/settings';

/**
 * A 410 from a connection committed less than this many seconds ago does not remove it: API Gateway
 * refuses posts until `$connect` has returned, so a connection that just joined may not accept them yet.
 */
export const OPENING_GRACE_SECONDS = 30;

/** At most this many failures are kept in {@link FanOutResult.errors}; `failed` counts them all. */
export const MAX_REPORTED_FAILURES = 100;

/** One delivery (or clean-up, or listing) that did not succeed. */
export interface FanOutFailure {
  /** The recipient; absent when listing the members or removing gone connections failed. */
  readonly connectionId?: string;
  readonly error: Error;
}

/**
 * What a fan-out did. Every member that was listed is counted exactly once in `delivered`, `gone`, `failed`,
 * `unknown` or `opening`; `complete` says whether every member was listed.
 */
export interface FanOutResult {
  /** Messages API Gateway accepted. */
  readonly delivered: number;
  /** Members that were gone (410); each was removed with all its memberships unless counted in `removalFailed`. */
  readonly gone: number;
  /** Members the message did not reach (throttled, 5xx, forbidden after retries, or not attempted by the deadline). */
  readonly failed: number;
  /**
   * Members whose post was sent but not answered in time: API Gateway may or may not have delivered it. Such a post
   * is never retried, so no member gets a message twice.
   */
  readonly unknown: number;
  /**
   * Members still opening (their `$connect` was committed under {@link OPENING_GRACE_SECONDS} ago) that refused the
   * post: they joined as the message went out, like a subscriber joining just after it. Not a failure.
   */
  readonly opening: number;
  /** Gone members whose removal from the table failed (their items expire with the table's TTL). */
  readonly removalFailed: number;
  /** False when the member listing failed or the deadline came before its end: members never listed are in no count. */
  readonly complete: boolean;
  /** The first {@link MAX_REPORTED_FAILURES} failures with their causes. */
  readonly errors: readonly FanOutFailure[];
}

/**
 * Sends `data` to every live member of `channel` (the full, prefixed name): members are read page by page
 * and posted with bounded parallelism; one failure never stops the others. Gone connections (410) are
 * removed with all their memberships. Throttling, 5xx and network errors before a request was sent are retried
 * with backoff, then counted as failed; a post sent but not answered in time is counted as unknown.
 *
 * Nothing outlives the deadline: the invocation's (see ../deadline.ts), else `deps.budgetMs` from now. Members
 * listed by then but not attempted are counted as failed, and no further page is read (`complete: false`).
 * A member listing that fails part-way resolves too, with what was done and `complete: false`.
 * Rejects only when the message is too large or the configuration is missing.
 */
export async function fanOut(channel: string, data: string | Uint8Array, deps: NativeDeps = {}): Promise<FanOutResult> {
  checkNativeMessageSize(data);
  const bytes = messageBytes(data);
  const store = storeOf(deps);
  const client = await managementOf(deps);
  const deadline = operationDeadline(deps.budgetMs);
  const retry = { ...deps.postRetry, deadline };
  let delivered = 0;
  let failed = 0;
  let unknown = 0;
  let opening = 0;
  let complete = true;
  const goneIds: string[] = [];
  const errors: FanOutFailure[] = [];
  const report = (connectionId: string | undefined, error: Error) => {
    if (errors.length < MAX_REPORTED_FAILURES) errors.push({ connectionId, error });
  };
  const post = async (member: ChannelMember) => {
    if (expired(deadline)) {
      failed++;
      report(member.connectionId, notAttempted());
      return;
    }
    try {
      const outcome = await postWithRetry(client, member.connectionId, bytes, retry);
      if (outcome === 'delivered') delivered++;
      else if (isOpening(member)) opening++;
      else goneIds.push(member.connectionId);
    } catch (err) {
      const kind = classifyManagementError(err);
      if (kind === 'forbidden' && isOpening(member)) opening++;
      else if (kind === 'unknown') {
        unknown++;
        report(member.connectionId, err as Error);
      } else {
        failed++;
        report(member.connectionId, err as Error);
      }
    }
  };
  try {
    await forEachBounded(store.members(channel), fanOutConcurrency(deps), post, () => {
      if (expired(deadline)) complete = false;
      return !complete;
    });
  } catch (err) {
    complete = false;
    loggerOf(deps).error('listing the channel members failed part-way', { channel, delivered, error: err });
    report(undefined, err as Error);
  }
  let removalFailed = 0;
  if (goneIds.length > 0) {
    await leavePresence(goneIds, deps);
    const removal = await store.removeConnections(goneIds);
    removalFailed = removal.notRemoved.length;
    if (removalFailed > 0) {
      loggerOf(deps).error('removing gone connections failed', { channel, gone: goneIds.length, removalFailed });
      report(undefined, removal.error as Error);
    }
  }
  const result = { delivered, gone: goneIds.length, failed, unknown, opening, removalFailed, complete, errors };
  if (failed + unknown > 0 || !complete) {
    const { errors: _, ...counts } = result;
    loggerOf(deps).warn('fan-out did not reach every member', { channel, ...counts });
  }
  return result;
}

/**
 * Sends `data` to one connection. Resolves `'gone'` when it no longer exists (it is then removed with its
 * memberships); rejects with {@link PublishError} when it could not be reached after retries, or when its answer
 * did not come in time (the cause is then a `TimeoutError` with `requestSent`: it may have been delivered).
 */
export async function sendToConnection(
  connectionId: string,
  data: string | Uint8Array,
  deps: NativeDeps = {},
): Promise<'delivered' | 'gone'> {
  checkNativeMessageSize(data);
  const client = await managementOf(deps);
  const outcome = await postOrThrow(client, connectionId, data, deps.postRetry);
  if (outcome === 'gone') await storeOf(deps).deleteConnection(connectionId);
  return outcome;
}

/** The fan-out parallelism: `deps.concurrency`, else `FAAS_GRIP_FANOUT_CONCURRENCY`, else 50. */
export function fanOutConcurrency(deps: NativeDeps = {}): number {
  return deps.concurrency === undefined ? runtimeSettings().fanOutConcurrency : parseConcurrency(deps.concurrency);
}

function secondsSinceConnect(member: ChannelMember): number {
  return Date.now() / 1000 - (member.expiresAt - CONNECTION_TTL_SECONDS);
}

function isOpening(member: ChannelMember): boolean {
  return secondsSinceConnect(member) < OPENING_GRACE_SECONDS;
}

function notAttempted(): Error {
  return new TimeoutError('not attempted: the deadline of the publish came first', { requestSent: false });
}

/** Gone connections leave presence too (when presence is configured); a failure is logged, not thrown. */
async function leavePresence(connectionIds: readonly string[], deps: NativeDeps): Promise<void> {
  if (!runtimeSettings().presenceTable) return;
  try {
    const channels = await loadChannels();
    for (const id of connectionIds) await channels.connectionClosed(id);
  } catch (error) {
    loggerOf(deps).warn('gone connections could not leave presence', { gone: connectionIds.length, error });
  }
}
