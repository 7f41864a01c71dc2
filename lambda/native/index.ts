/**
 * The native transport (API Gateway WebSocket APIs) as the core sees it: the one module the core loads, lazily,
 * through ../native-loader.ts. GRIP-only bundles replace this path with ./not-bundled.ts, which is type-checked
 * against it, so the two cannot drift.
 */
import type { NativeDeps } from './native-deps';
import { storeOf } from './native-deps';

export { type FanOutResult, fanOut } from './fan-out';
export { runShard, type ShardResult } from './fan-out-shards';
export { createNativeContext, type NativeContext, type NativeResult } from './native-context';
export { deliverPending, type PendingDeliveryResult } from './pending';

/** Removes a connection's state (its item and subscriptions), as after a refused or failed `$connect`. */
export async function discardConnection(connectionId: string, deps: NativeDeps = {}): Promise<void> {
  await storeOf(deps).deleteConnection(connectionId);
}
