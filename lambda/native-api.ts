/**
 * `faas-grip-cdk/runtime/native`: the API Gateway WebSocket (native) transport. Import it in a handler that serves
 * a NativeWebSocketApi or publishes to its connections; importing it is what puts the transport in a bundle
 * (`faas-grip-cdk/runtime` alone carries the GRIP transport and the core only).
 *
 * @example
 * import 'faas-grip-cdk/runtime/native';
 * import { publish, webSocketHandler } from 'faas-grip-cdk/runtime';
 */
import * as native from './native';
import { registerNative } from './native-loader';

registerNative(native);

export { CONNECTION_TTL_SECONDS, ConnectionTableSchema } from './contract';
export { createNativeContext, type NativeContext, type NativeResult } from './native';
export { ConnectionStore } from './native/connection-store';
export { type FanOutResult, fanOut, sendToConnection } from './native/fan-out';
export { MAX_NATIVE_MESSAGE_BYTES } from './native/management';
export type { NativeDeps, NativeLogger } from './native/native-deps';
