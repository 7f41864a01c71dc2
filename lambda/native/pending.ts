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
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { backoffDelay, sleep } from '../backoff';
import { PublishError } from '../errors';
import { type PendingMessage, payloadOf } from './connection-items';
import { classifyManagementError, deleteRemoteConnection, messageBytes, postWithRetry } from './management';
import type { ManagementApi } from './management-api';
import { loggerOf, managementOf, type NativeDeps, storeOf } from './native-deps';

/** The event the `$connect` commit sends to this function to deliver a connection's pending messages. */
export interface PendingDeliveryEvent {
  readonly faasGripDeliverPending: { readonly connectionId: string };
}

/** What a pending delivery did. */
export interface PendingDeliveryResult {
  /** Messages (and a close) API Gateway accepted. */
  readonly delivered: number;
  /** Messages put back in the store, to go with the connection's first message. */
  readonly restored: number;
  /** Messages dropped (connection gone or message refused); each is logged. */
  readonly lost: number;
}

/** How long {@link deliverPending} waits for a new connection to accept posts, by default. */
export const DEFAULT_PENDING_DEADLINE_MS = 5000;

let sharedLambda: Promise<LambdaClient> | undefined;

/** True for the self-invocation event of {@link schedulePendingDelivery}. */
export function isPendingDeliveryEvent(event: unknown): event is PendingDeliveryEvent {
  const body = (event as { faasGripDeliverPending?: { connectionId?: unknown } } | null)?.faasGripDeliverPending;
  return typeof body?.connectionId === 'string' && body.connectionId !== '';
}

/**
 * Invokes this function asynchronously (InvocationType `Event`, same version) to deliver the connection's
 * pending messages. Resolves false, and logs, when that is not possible (no function name outside Lambda,
 * or the invoke failed): the connection's first message then delivers them.
 */
export async function schedulePendingDelivery(connectionId: string, deps: NativeDeps = {}): Promise<boolean> {
  const functionName = deps.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME;
  const log = loggerOf(deps);
  if (!functionName) {
    log.info('no function name to invoke: pending messages go with the first message', { connectionId });
    return false;
  }
  const version = process.env.AWS_LAMBDA_FUNCTION_VERSION;
  const payload: PendingDeliveryEvent = { faasGripDeliverPending: { connectionId } };
  try {
    const [client, { InvokeCommand }] = await Promise.all([lambdaOf(deps), import('@aws-sdk/client-lambda')]);
    await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        Qualifier: version && version !== '$LATEST' ? version : undefined,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    return true;
  } catch (err) {
    log.warn('invoking the function for pending messages failed: they go with the first message', {
      connectionId,
      functionName,
      error: err,
    });
    return false;
  }
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
  if (messages.length === 0) return { delivered: 0, restored: 0, lost: 0 };
  const deadline = Date.now() + (deps.pendingDeadlineMs ?? DEFAULT_PENDING_DEADLINE_MS);
  let delivered = 0;
  let lost = 0;
  for (let i = 0; i < messages.length; i++) {
    const outcome = await untilOpen(() => perform(client, connectionId, messages[i]), deadline);
    if (outcome === 'done') {
      delivered++;
    } else if (outcome === 'timeout') {
      const rest = messages.slice(i);
      if (await store.restorePending(connectionId, rest)) {
        log.warn('connection did not accept posts in time: pending messages kept for its first message', {
          connectionId,
          restored: rest.length,
        });
        return { delivered, restored: rest.length, lost };
      }
      log.error('pending messages lost: the connection is gone', { connectionId, lost: lost + rest.length });
      return { delivered, restored: 0, lost: lost + rest.length };
    } else {
      lost++;
      log.error('a pending message was refused and dropped', { connectionId, kind: messages[i].kind, error: outcome });
    }
  }
  return { delivered, restored: 0, lost };
}

/**
 * Delivers pending messages taken by the connection's first message, before anything else: the
 * connection is open, so the usual retries apply. A gone connection drops them (logged); any other
 * failure puts the rest back and rejects with PublishError.
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
      await storeOf(deps).restorePending(connectionId, messages.slice(i));
      throw new PublishError([{ target: `native connection ${connectionId}`, cause: err as Error }]);
    }
  }
}

/** Retries `work` while the connection may still be opening; an Error when it was refused for good. */
async function untilOpen(work: () => Promise<void>, deadline: number): Promise<'done' | 'timeout' | Error> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return 'done';
    } catch (err) {
      if (classifyManagementError(err) === 'fatal') return err as Error;
      const delay = backoffDelay(attempt, 50, 500);
      if (Date.now() + delay > deadline) return 'timeout';
      await sleep(delay);
    }
  }
}

function perform(api: ManagementApi, id: string, message: PendingMessage): Promise<void> {
  return message.kind === 'close' ? api.delete(id) : api.post(id, messageBytes(payloadOf(message)));
}

function lambdaOf(deps: NativeDeps): Promise<LambdaClient> {
  if (deps.lambdaClient) return Promise.resolve(deps.lambdaClient);
  sharedLambda ??= import('@aws-sdk/client-lambda').then((sdk) => new sdk.LambdaClient({}));
  return sharedLambda;
}
