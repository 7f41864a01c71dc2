/**
 * The one decision every entry point makes first: what kind of Lambda event this is. Light on purpose (no native
 * module is loaded to decide), so the GRIP path never pays for the native transport.
 */

import { isHttpEvent } from './http-event';

/**
 * - `grip-http`: an API Gateway REST (v1), HTTP API (v2) or function URL event: a GRIP request;
 * - `native`: an API Gateway WebSocket event ($connect, $default, $disconnect);
 * - `pending-delivery`: the function's own asynchronous invocation delivering messages sent during `$connect`;
 * - `fan-out-shard`: the function's own asynchronous invocation posting one shard of a big fan-out;
 * - `unknown`: anything else.
 */
export type EventKind = 'grip-http' | 'native' | 'pending-delivery' | 'fan-out-shard' | 'unknown';

/** What kind of event `event` is; see {@link EventKind}. */
export function eventKind(event: unknown): EventKind {
  if (isNativeEvent(event)) return 'native';
  if (isHttpEvent(event)) return 'grip-http';
  if (isPendingDeliveryEvent(event)) return 'pending-delivery';
  if (isFanOutShardEvent(event)) return 'fan-out-shard';
  return 'unknown';
}

const NATIVE_EVENT_TYPES = new Set<unknown>(['CONNECT', 'MESSAGE', 'DISCONNECT']);

/**
 * True for an API Gateway WebSocket event: `requestContext.connectionId` and an `eventType` of CONNECT, MESSAGE or
 * DISCONNECT (read by native/native-event.ts).
 */
export function isNativeEvent(event: unknown): boolean {
  const ctx = (event as { requestContext?: { connectionId?: unknown; eventType?: unknown } } | null)?.requestContext;
  return (
    typeof ctx === 'object' &&
    ctx !== null &&
    typeof ctx.connectionId === 'string' &&
    ctx.connectionId !== '' &&
    NATIVE_EVENT_TYPES.has(ctx.eventType)
  );
}

/**
 * The event the native transport's `$connect` commit sends to this function (asynchronous self-invocation, see
 * native/pending.ts) to deliver a connection's pending messages.
 */
export interface PendingDeliveryEvent {
  readonly faasGripDeliverPending: { readonly connectionId: string };
}

/** True for the self-invocation event of the pending delivery: `{ faasGripDeliverPending: { connectionId } }`. */
export function isPendingDeliveryEvent(event: unknown): event is PendingDeliveryEvent {
  const body = (event as { faasGripDeliverPending?: { connectionId?: unknown } } | null)?.faasGripDeliverPending;
  return typeof body?.connectionId === 'string' && body.connectionId !== '';
}

/** The event of one shard of a big native fan-out (native/fan-out-shards.ts). */
export interface FanOutShardEvent {
  readonly faasGripFanOutShard: import('../native/fan-out-shards').ShardTask;
}

/** True for the self-invocation event of a fan-out shard: `{ faasGripFanOutShard: { channel, from, ... } }`. */
export function isFanOutShardEvent(event: unknown): event is FanOutShardEvent {
  const task = (event as { faasGripFanOutShard?: Record<string, unknown> } | null)?.faasGripFanOutShard;
  return (
    typeof task === 'object' &&
    task !== null &&
    typeof task.channel === 'string' &&
    typeof task.from === 'string' &&
    typeof task.shardSize === 'number' &&
    (typeof task.text === 'string' || typeof task.base64 === 'string')
  );
}
