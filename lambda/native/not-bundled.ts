/**
 * Stands in for the native transport's lazily loaded modules (native-context, native-deps, pending, fan-out) in
 * bundles built for the GRIP transport only (contract GRIP_ONLY_ASSETS). Nothing here is reached on GRIP: an
 * API Gateway WebSocket event or a native publish target gets an error that names the bundle to use instead.
 */
import { TransportNotSupportedError } from '../core/errors';

function notBundled(): never {
  throw new TransportNotSupportedError(
    'this handler bundle serves the GRIP transport only: use the chat bundle (HandlerBundle.CHAT) for the ' +
      'API Gateway WebSocket (native) transport',
  );
}

/** Never a pending-delivery event here (those come only from native deployments). */
export function isPendingDeliveryEvent(): boolean {
  return false;
}

export const createNativeContext = notBundled;
export const deliverPending = notBundled;
export const storeOf = notBundled;
export const fanOut = notBundled;
