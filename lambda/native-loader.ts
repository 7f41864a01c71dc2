/**
 * The one door from the core to the native transport (API Gateway WebSocket APIs, ./native). The core never
 * imports ./native itself, so neither a GRIP request nor a user's bundle of `faas-grip-cdk/runtime` carries the
 * DynamoDB and management-API code:
 *
 * - importing `faas-grip-cdk/runtime/native` (../native-api.ts) registers the module, and a bundler then includes it;
 * - an unbundled install (node_modules next to the code, the local dev server, tests) loads it on first use;
 * - a bundle without it answers a native event or a native publish with TransportNotSupportedError saying so.
 */
import { TransportNotSupportedError } from './core/errors';
import { moduleDoor } from './module-door';

export type NativeModule = typeof import('./native');

const door = moduleDoor<NativeModule>(
  'native',
  () =>
    new TransportNotSupportedError(
      'this bundle does not carry the API Gateway WebSocket (native) transport: add ' +
        "`import 'faas-grip-cdk/runtime/native';` to the handler's entry file (or deploy the chat bundle, " +
        'HandlerBundle.CHAT)',
    ),
);

/** Makes `native` the transport's module (called by `faas-grip-cdk/runtime/native` when it is imported). */
export function registerNative(native: NativeModule): void {
  door.register(native);
}

/** The native transport's module: the registered one, else loaded from the package's own files on first call. */
export function loadNative(): Promise<NativeModule> {
  return door.load();
}
