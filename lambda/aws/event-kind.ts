/**
 * The one decision every entry point makes first: what kind of Lambda event this is. Light on purpose (no native
 * module is loaded to decide), so the GRIP path never pays for the native transport.
 */

import { isNativeEvent } from '../native/native-event';
import { isHttpEvent } from './http-event';

/**
 * - `grip-http`: an API Gateway REST (v1), HTTP API (v2) or function URL event: a GRIP request;
 * - `native`: an API Gateway WebSocket event ($connect, $default, $disconnect);
 * - `pending-delivery`: the function's own asynchronous invocation delivering messages sent during `$connect`;
 * - `unknown`: anything else.
 */
export type EventKind = 'grip-http' | 'native' | 'pending-delivery' | 'unknown';

/** What kind of event `event` is; see {@link EventKind}. */
export function eventKind(event: unknown): EventKind {
  if (isNativeEvent(event)) return 'native';
  if (isHttpEvent(event)) return 'grip-http';
  if (isPendingDeliveryShape(event)) return 'pending-delivery';
  return 'unknown';
}

/**
 * The self-invocation event of the native transport's pending delivery: `{ faasGripDeliverPending: { connectionId } }`
 * (the shape `schedulePendingDelivery` in native/pending.ts sends), checked here without loading that module.
 */
function isPendingDeliveryShape(event: unknown): boolean {
  const body = (event as { faasGripDeliverPending?: { connectionId?: unknown } } | null)?.faasGripDeliverPending;
  return typeof body?.connectionId === 'string' && body.connectionId !== '';
}
