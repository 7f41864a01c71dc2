/**
 * Posting one message to many members: bounded parallelism within a deadline, every member counted once, gone
 * connections removed (and out of presence). The shared core of a fan-out in one invocation (./fan-out.ts) and of
 * each shard of a big one (./fan-out-shards.ts).
 */
import { loadChannels } from '../channels-loader';
import { CONNECTION_TTL_SECONDS, MetricName } from '../contract';
import { forEachBounded } from '../core/backoff';
import { expired, operationDeadline } from '../core/deadline';
import { TimeoutError } from '../core/errors';
import { countMetric } from '../core/metrics';
import { parseConcurrency, runtimeSettings } from '../core/settings';
import type { ChannelMember } from './connection-store';
import { classifyManagementError, messageBytes, postWithRetry } from './management';
import { loggerOf, managementOf, type NativeDeps, storeOf } from './native-deps';

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
  /**
   * Shards the rest of a big channel was handed to (asynchronous invocations, see ./fan-out-shards.ts): the counts
   * above are this invocation's part; each shard counts its own in metrics. 0 when the fan-out ran here alone.
   */
  readonly shards: number;
  /** The first {@link MAX_REPORTED_FAILURES} failures with their causes. */
  readonly errors: readonly FanOutFailure[];
}

/**
 * Posts `data` to the members `pages` yields, with bounded parallelism, within the deadline (the invocation's,
 * else `deps.budgetMs` from now), and removes the gone ones: the shared core of {@link fanOut} and of a shard's
 * invocation. Resolves with the counts; rejects only when the configuration is missing.
 */
export async function deliverToMembers(
  channel: string,
  pages: AsyncIterable<ChannelMember[]>,
  data: string | Uint8Array,
  deps: NativeDeps = {},
): Promise<FanOutResult> {
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
    await forEachBounded(pages, fanOutConcurrency(deps), post, () => {
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
  const result = {
    delivered,
    gone: goneIds.length,
    failed,
    unknown,
    opening,
    removalFailed,
    complete,
    shards: 0,
    errors,
  };
  // Counted here, where every post happens: a publish's own part and each shard's alike.
  countMetric(MetricName.FANOUT_DELIVERED, delivered);
  countMetric(MetricName.FANOUT_GONE, goneIds.length);
  countMetric(MetricName.FANOUT_FAILED, failed);
  if (failed + unknown > 0 || !complete) {
    const { errors: _, ...counts } = result;
    loggerOf(deps).warn('fan-out did not reach every member', { channel, ...counts });
  }
  return result;
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
