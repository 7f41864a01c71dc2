/**
 * The one door from the core to verified identity (./auth, which carries aws-jwt-verify): the core never imports
 * ./auth itself, so a user's bundle of `faas-grip-cdk/runtime` does not carry JWT verification unless it asks:
 *
 * - importing `faas-grip-cdk/runtime/auth` (../auth-api.ts) registers the module, and a bundler then includes it;
 * - an unbundled install (node_modules next to the code, the local dev server, tests) loads it on first use;
 * - a bundle without it refuses every connection (500) with GripConfigError in the logs saying so: with identity
 *   on, a missing check fails closed.
 */
import { GripConfigError } from './core/errors';
import { moduleDoor } from './module-door';

export type AuthModule = typeof import('./auth');

const door = moduleDoor<AuthModule>(
  'auth',
  () =>
    new GripConfigError(
      "this bundle does not carry verified identity (FAAS_GRIP_AUTH_ISSUER is set): add `import 'faas-grip-cdk/runtime/auth';` " +
        "to the handler's entry file",
    ),
);

/** Makes `auth` the verified-identity module (called by `faas-grip-cdk/runtime/auth` when imported). */
export function registerAuth(auth: AuthModule): void {
  door.register(auth);
}

/** The verified-identity module: the registered one, else loaded from the package's own files on first call. */
export function loadAuth(): Promise<AuthModule> {
  return door.load();
}

/** The verified-identity module when already at hand (no promise), else undefined: then {@link loadAuth}. */
export function peekAuth(): AuthModule | undefined {
  return door.peek();
}
