/**
 * Messages sent during `$connect`. API Gateway refuses posts to a connection until its `$connect` has
 * returned, so they are stored with the connection and delivered afterwards by whichever comes first:
 *
 * - an asynchronous invocation of this same function (`{"faasGripDeliverPending": {"connectionId"}}`),
 *   started by the `$connect` commit, which retries until the connection accepts posts (bounded);
 * - the connection's first message, which delivers them before anything the handler sends.
 *
 * Both take the messages atomically from the store, so each is delivered once. Messages the invocation
 * cannot deliver by its deadline go back to the store for the first message; only when the connection no
 * longer exists are they dropped, and that is logged and counted. Ordering between the two paths is best
 * effort: a first message handled while the invocation is still retrying may be answered first.
 *
 * The self-invocation is tried a bounded number of times, each with a timeout, within the `$connect`
 * invocation's deadline. When it cannot be started the `$connect` fails (PublishError): the handshake is refused
 * and nothing is stored, rather than accepting a connection whose messages would wait for a client that may never
 * speak. A post sent but not answered in time is not sent again (it may have been delivered).
 */

import type { PendingDeliveryEvent } from '../aws/event-kind';
import { backoffDelay, sleep } from '../core/backoff';
import { invocationDeadline } from '../core/deadline';
import { PublishError } from '../core/errors';
import { type PendingMessage, payloadOf } from './connection-items';
import {
  classifyManagementError,
  deleteRemoteConnection,
  type ManagementApi,
  messageBytes,
  postWithRetry,
} from './management';
import { loggerOf, managementOf, type NativeDeps, storeOf } from './native-deps';
import { invokeSelf, SELF_INVOKE_ATTEMPTS, selfFunctionName } from './self-invoke';

/** What a pending delivery did. */
export interface PendingDeliveryResult {
  /** Messages (and a close) API Gateway accepted. */
  readonly delivered: number;
  /** Messages put back in the store, to go with the connection's first message. */
  readonly restored: number;
  /** Messages dropped (connection gone or message refused); each is logged. */
  readonly lost: number;
  /** Messages sent whose answer did not come in time: they may have been delivered, so they are not sent again. */
  readonly unknown: number;
}

/** How long {@link deliverPending} waits for a new connection to accept posts, by default. */
export const DEFAULT_PENDING_DEADLINE_MS = 5000;

/** Attempts of the self-invocation (Lambda Invoke, InvocationType Event) before the `$connect` fails. */
export const PENDING_INVOKE_ATTEMPTS = SELF_INVOKE_ATTEMPTS;
export { INVOKE_TIMEOUT_MS } from './self-invoke';

/**
 * Invokes this function asynchronously (InvocationType `Event`, same version) to deliver the connection's
 * pending messages, up to {@link PENDING_INVOKE_ATTEMPTS} times within the invocation's deadline. Resolves false,
 * and logs, when there is no function to invoke (outside Lambda): the connection's first message then delivers
 * them. Rejects with {@link PublishError} when every attempt failed.
 */
export async function schedulePendingDelivery(connectionId: string, deps: NativeDeps = {}): Promise<boolean> {
  const functionName = selfFunctionName(deps);
  const log = loggerOf(deps);
  if (!functionName) {
    log.info('no function name to invoke: pending messages go with the first message', { connectionId });
    return false;
  }
  const payload: PendingDeliveryEvent = { faasGripDeliverPending: { connectionId } };
  // At most half the invocation's remaining time: the rest answers, or undoes the $connect when this fails.
  let error: unknown;
  try {
    await invokeSelf(payload, deps, 0.5);
    return true;
  } catch (err) {
    error = err;
  }
  log.error('invoking the function for pending messages failed: the $connect fails', {
    connectionId,
    functionName,
    error,
  });
  throw new PublishError([
    {
      target: `native connection ${connectionId}`,
      cause: new Error(
        `messages sent during $connect cannot be delivered: invoking ${functionName} to deliver them failed ` +
          `(${(error as Error)?.name}: ${(error as Error)?.message})`,
        { cause: error },
      ),
    },
  ]);
}

/**
 * Handles a {@link PendingDeliveryEvent}: takes the connection's pending messages and posts them in order,
 * retrying (403/410 included: the connection may not be open yet) until `pendingDeadlineMs`.
 */
export async function deliverPending(
  event: PendingDeliveryEvent,
  deps: NativeDeps = {},
): Promise<PendingDeliveryResult> {
  const { connectionId } = event.faasGripDeliverPending;
  const store = storeOf(deps);
  const log = loggerOf(deps);
  const client = await managementOf(deps);
  const messages = await store.takePending(connectionId);
  if (messages.length === 0) return { delivered: 0, restored: 0, lost: 0, unknown: 0 };
  const own = Date.now() + (deps.pendingDeadlineMs ?? DEFAULT_PENDING_DEADLINE_MS);
  const deadline = Math.min(own, invocationDeadline() ?? own);
  let delivered = 0;
  let lost = 0;
  let unknown = 0;
  for (let i = 0; i < messages.length; i++) {
    const outcome = await untilOpen((d) => perform(client, connectionId, messages[i], d), deadline);
    if (outcome === 'done') {
      delivered++;
    } else if (outcome === 'unknown') {
      unknown++;
      log.warn('a pending message was sent but not answered in time: it may have been delivered', { connectionId });
    } else if (outcome === 'timeout') {
      const rest = messages.slice(i);
      if (await store.restorePending(connectionId, rest)) {
        log.warn('connection did not accept posts in time: pending messages kept for its first message', {
          connectionId,
          restored: rest.length,
        });
        return { delivered, restored: rest.length, lost, unknown };
      }
      log.error('pending messages lost: the connection is gone', { connectionId, lost: lost + rest.length });
      return { delivered, restored: 0, lost: lost + rest.length, unknown };
    } else {
      lost++;
      log.error('a pending message was refused and dropped', { connectionId, kind: messages[i].kind, error: outcome });
    }
  }
  return { delivered, restored: 0, lost, unknown };
}

/**
 * Delivers pending messages taken by the connection's first message, before anything else: the
 * connection is open, so the usual retries apply. A gone connection drops them (logged); any other
 * failure puts the rest back (not the failed message itself when it may have been delivered) and rejects with
 * PublishError.
 */
export async function deliverTakenPending(
  connectionId: string,
  messages: readonly PendingMessage[],
  deps: NativeDeps = {},
): Promise<void> {
  const client = await managementOf(deps);
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    try {
      const outcome =
        message.kind === 'close'
          ? (await deleteRemoteConnection(client, connectionId))
            ? 'delivered'
            : 'gone'
          : await postWithRetry(client, connectionId, payloadOf(message), deps.postRetry);
      if (outcome === 'gone') {
        loggerOf(deps).warn('pending messages lost: the connection is gone', {
          connectionId,
          lost: messages.length - i,
        });
        return;
      }
    } catch (err) {
      const maybeDelivered = classifyManagementError(err) === 'unknown';
      await storeOf(deps).restorePending(connectionId, messages.slice(maybeDelivered ? i + 1 : i));
      throw new PublishError([{ target: `native connection ${connectionId}`, cause: err as Error }]);
    }
  }
}

/**
 * Retries `work` while the connection may still be opening; `'unknown'` when a call was sent but not answered in
 * time (not retried), an Error when it was refused for good.
 */
async function untilOpen(
  work: (deadline: number) => Promise<void>,
  deadline: number,
): Promise<'done' | 'timeout' | 'unknown' | Error> {
  for (let attempt = 1; ; attempt++) {
    if (Date.now() >= deadline) return 'timeout';
    try {
      await work(deadline);
      return 'done';
    } catch (err) {
      const kind = classifyManagementError(err);
      if (kind === 'fatal') return err as Error;
      if (kind === 'unknown') return 'unknown';
      const delay = backoffDelay(attempt, 50, 500);
      if (Date.now() + delay > deadline) return 'timeout';
      await sleep(delay);
    }
  }
}

function perform(api: ManagementApi, id: string, message: PendingMessage, deadline: number): Promise<void> {
  return message.kind === 'close'
    ? api.delete(id, { deadline })
    : api.post(id, messageBytes(payloadOf(message)), { deadline });
}
