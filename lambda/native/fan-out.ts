import { runtimeSettings } from '../core/settings';
import type { ChannelMember } from './connection-store';
import { dispatchShards, type ShardDispatch } from './fan-out-shards';
import { checkNativeMessageSize, postOrThrow } from './management';
import { deliverToMembers, type FanOutResult, MAX_REPORTED_FAILURES } from './member-delivery';

export { checkNativeMessageSize, MAX_NATIVE_MESSAGE_BYTES } from './management';
export {
  deliverToMembers,
  type FanOutFailure,
  type FanOutResult,
  fanOutConcurrency,
  MAX_REPORTED_FAILURES,
  OPENING_GRACE_SECONDS,
} from './member-delivery';

import { managementOf, type NativeDeps, storeOf } from './native-deps';

/**
 * Default number of PostToConnection calls in flight during a fan-out. Every post counts against the
 * account's API Gateway throttle (10,000 requests/s, burst 5,000, shared by every REST, HTTP, WebSocket and
 * callback API of the account and region). 50 in flight gives roughly 1,000-2,500 posts/s per invocation at
 * 20-50 ms per post: fast for rooms of thousands, yet leaves most of the account budget to other invocations.
 */
export { DEFAULT_FANOUT_CONCURRENCY } from '../core/settings';

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
  const store = storeOf(deps);
  const { threshold, shards, shardSize } = runtimeSettings().fanOutSharding;
  const pageSize = Math.min(store.pageSize, threshold);
  let sharded: Promise<ShardDispatch> | undefined;
  // The members up to the threshold, page by page; past it, the rest is handed to shards once the first page shows
  // the channel is big (one keys-only read, in parallel with the first page's posts: a room under the threshold
  // pays nothing more, one under a page not even that read).
  async function* inlinePages(): AsyncGenerator<ChannelMember[]> {
    const first = await store.membersPage(channel, { limit: pageSize });
    const boundary =
      first.next === undefined ? undefined : store.nthMemberAfter(channel, first.next, threshold - pageSize + 1);
    boundary?.catch(() => undefined);
    yield first.members;
    let to: string | undefined;
    if (boundary !== undefined) {
      to = await boundary;
      if (to !== undefined) sharded = dispatchShards({ channel, data, from: to, shards, shardSize }, deps);
    }
    let start = first.next;
    while (start !== undefined) {
      const page = await store.membersPage(channel, { start, to, limit: pageSize });
      yield page.members;
      start = page.next;
    }
  }
  const result = await deliverToMembers(channel, inlinePages(), data, deps);
  if (sharded === undefined) return result;
  const dispatch = await sharded;
  if (dispatch.failed.length === 0) return { ...result, shards: dispatch.started };
  return {
    ...result,
    shards: dispatch.started,
    complete: false,
    errors: [...result.errors, ...dispatch.failed.map((error) => ({ error }))].slice(0, MAX_REPORTED_FAILURES),
  };
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
