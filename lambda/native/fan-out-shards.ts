/**
 * Fan-out beyond one invocation. Above the threshold (FAAS_GRIP_FANOUT_THRESHOLD, 10,000 members by default) the
 * publishing invocation posts to the first `threshold` members itself and hands the rest of the channel, split into
 * key ranges of connection ids, to asynchronous invocations of the same function (Lambda's own queue for `Event`
 * invocations: no scheduler of ours). Each shard posts up to `shardSize` members of its range, then queues the
 * next invocation for the rest of the range: at most `shards` invocations of one publish run at once, and each is
 * bounded in size and time.
 *
 * Nothing is lost: a shard that could not reach every live member it listed (throttled, 5xx, its deadline) fails
 * its invocation, which Lambda retries (twice) from the same event: the retried posts may repeat the message to
 * some members, which durable channels' offsets let clients drop. A shard that still fails goes to the function's
 * on-failure destination with its event: channel, message and key range, enough to replay it. The next part of a
 * range is queued only once a shard's posts are done, so a retry never starts a second chain.
 */
import type { FanOutShardEvent } from '../aws/event-kind';
import { MetricName } from '../contract';
import { invocationDeadline } from '../core/deadline';
import { FaasGripError } from '../core/errors';
import { countMetric, timeMetric } from '../core/metrics';
import type { ChannelMember } from './connection-store';
import { deliverToMembers, type FanOutResult } from './member-delivery';
import { loggerOf, type NativeDeps, storeOf } from './native-deps';
import { invokeSelf } from './self-invoke';

/** The first characters connection ids can have, in sort order: API Gateway's base64 and the local ids' `-` `_`. */
const ID_CHARS = [...'+-/0123456789=ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'];

/** A key range of a channel's members: connection ids from `from` (inclusive) to `to` (exclusive; open when absent). */
export interface ShardRange {
  readonly from: string;
  readonly to?: string;
}

/** One shard's work, as its asynchronous invocation receives it. */
export interface ShardTask extends ShardRange {
  readonly channel: string;
  /** The message: text, or bytes as base64. */
  readonly text?: string;
  readonly base64?: string;
  /** Members this invocation posts before queueing the next one for the rest of its range. */
  readonly shardSize: number;
  /** When the publish started (epoch ms): the time to the last delivery is measured from it. */
  readonly publishedAt: number;
  /** Which range of the publish (0-based), and how many there are, for the logs. */
  readonly shard: number;
  readonly shards: number;
}

/**
 * Splits the connection ids from `from` on into `count` ranges of about as many ids each (ids are random, so
 * their first characters are uniform): every id at or after `from` is in exactly one range.
 */
export function shardRanges(count: number, from: string): ShardRange[] {
  const above = ID_CHARS.filter((c) => c > from.charAt(0));
  const cuts: string[] = [];
  for (let i = 1; i < count; i++) {
    const cut = above[Math.floor((i * above.length) / count)];
    if (cut !== undefined && cut !== cuts[cuts.length - 1]) cuts.push(cut);
  }
  const bounds = [from, ...cuts];
  return bounds.map((start, i) => (i + 1 < bounds.length ? { from: start, to: bounds[i + 1] } : { from: start }));
}

/** What handing a channel's rest to shards did. */
export interface ShardDispatch {
  /** Shard invocations queued. */
  readonly started: number;
  /** Why the others could not be queued (their members did not get the message). */
  readonly failed: readonly Error[];
}

/** Queues one invocation per range of the channel's members from `from` on. */
export async function dispatchShards(
  work: {
    readonly channel: string;
    readonly data: string | Uint8Array;
    readonly from: string;
    readonly shards: number;
    readonly shardSize: number;
  },
  deps: NativeDeps = {},
): Promise<ShardDispatch> {
  const ranges = shardRanges(work.shards, work.from);
  const message =
    typeof work.data === 'string' ? { text: work.data } : { base64: Buffer.from(work.data).toString('base64') };
  const publishedAt = Date.now();
  const outcomes = await Promise.allSettled(
    ranges.map((range, shard) => {
      const task: ShardTask = {
        channel: work.channel,
        ...message,
        ...range,
        shardSize: work.shardSize,
        publishedAt,
        shard,
        shards: ranges.length,
      };
      return invokeSelf({ faasGripFanOutShard: task } satisfies FanOutShardEvent, deps, 0.25);
    }),
  );
  const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [asError(o.reason)] : []));
  if (failed.length > 0) {
    loggerOf(deps).error('shards of a fan-out could not be queued: their members did not get the message', {
      channel: work.channel,
      failed: failed.length,
      error: failed[0],
    });
  }
  return { started: ranges.length - failed.length, failed };
}

/** A shard that did not reach every member it listed: failing its invocation makes Lambda retry it. */
export class ShardIncompleteError extends FaasGripError {
  override name = 'ShardIncompleteError';
}

/** What one shard invocation did: its counts, and the next invocation it queued, if any. */
export interface ShardResult extends FanOutResult {
  /** Where the next invocation of this range starts, when this one queued it. */
  readonly next?: string;
}

/** Most members a shard reads per page. */
const SHARD_PAGE = 1000;

/**
 * Runs one shard: posts to up to `shardSize` members of its range (pages read ahead), then queues the next
 * invocation for the rest of the range. Rejects with {@link ShardIncompleteError} when some listed member was not
 * reached (Lambda then retries the whole shard), so no live member is skipped.
 */
export async function runShard(event: FanOutShardEvent, deps: NativeDeps = {}): Promise<ShardResult> {
  const task = event.faasGripFanOutShard;
  const data = task.text ?? new Uint8Array(Buffer.from(task.base64 ?? '', 'base64'));
  const store = storeOf(deps);
  let listed = 0;
  let next: string | undefined;
  // Keep a share of the invocation's time to queue the next part: a long shard stops early rather than time out.
  const deadline = invocationDeadline();
  const stopAt = deadline === undefined ? undefined : Date.now() + (deadline - Date.now()) * 0.8;
  async function* pages(): AsyncGenerator<ChannelMember[]> {
    let start: string | undefined;
    for (;;) {
      const limit = Math.min(SHARD_PAGE, task.shardSize - listed);
      const page = await store.membersPage(task.channel, { from: task.from, to: task.to, start, limit });
      listed += page.members.length;
      start = page.next;
      yield page.members;
      if (start === undefined) return;
      if (listed >= task.shardSize || (stopAt !== undefined && Date.now() >= stopAt)) {
        next = start;
        return;
      }
    }
  }
  const result = await deliverToMembers(task.channel, pages(), data, deps);
  if (result.failed > 0 || !result.complete) {
    countMetric(MetricName.FANOUT_SHARD_FAILURES);
    throw new ShardIncompleteError(
      `shard ${task.shard + 1}/${task.shards} of '${task.channel}' (ids ${task.from}..${task.to ?? 'end'}) reached ` +
        `${result.delivered} members but not ${result.failed} others${result.complete ? '' : ' (listing incomplete)'}: ` +
        'failing it so Lambda retries the shard',
    );
  }
  if (next !== undefined) {
    // The rest of the range: ids after `next`, queued only now that this part is done.
    const rest: ShardTask = { ...task, from: `${next}\u0000` };
    await invokeSelf({ faasGripFanOutShard: rest } satisfies FanOutShardEvent, deps, 0.9);
  } else {
    timeMetric(MetricName.FANOUT_LAST_DELIVERY_MS, Date.now() - task.publishedAt);
  }
  countMetric(MetricName.FANOUT_SHARDS_COMPLETED);
  return next === undefined ? result : { ...result, next };
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
