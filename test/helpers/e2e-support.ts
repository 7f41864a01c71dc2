/**
 * Building blocks of the end-to-end environments: handler modules loaded in a fresh module registry, the handler
 * slot the local servers call, and the Pushpin skip rule.
 */

import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import type { EventVersionName } from '../../local/grip/proxy-event';
import { findPushpin } from '../../local/grip/pushpin';

export type { EventVersionName } from '../../local/grip/proxy-event';

/** The three event shapes a GRIP backend on AWS can receive. */
export const EVENT_SHAPES: readonly EventVersionName[] = ['rest-v1', 'http-v2', 'function-url'];

/** Values for process.env; `undefined` removes the variable. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** The handler every local server of an environment calls; swap `current` to run another function. */
export class HandlerSlot {
  current: LambdaHandler = () => {
    throw new Error('no handler loaded into the e2e environment');
  };
  /** A stable function for the servers that forwards to `current`. */
  readonly invoke: LambdaHandler = ((event: never, context: never) => this.current(event, context)) as LambdaHandler;
}

/** Requires `load` inside a fresh module registry, so the runtime re-reads the environment. */
export function loadFresh<T>(load: () => T): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = load();
  });
  return loaded as T;
}

/** The chat handler (lambda/handlers/chat.ts), loaded fresh. */
export function loadChatHandler(): LambdaHandler {
  return loadFresh(() => (require('../../lambda/examples/chat/chat-handler') as { handler: LambdaHandler }).handler);
}

/**
 * Whether Pushpin tests can run. Outside CI a missing Pushpin skips them with a message that says why; under
 * CI (CI=true) it fails the run.
 */
export function pushpinAvailable(suite: string): boolean {
  if (findPushpin()) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${suite}: pushpin is not installed but CI=true; install it (apt-get install -y pushpin)`);
  }
  console.warn(`${suite}: SKIPPED, pushpin is not installed (apt-get install -y pushpin, or set PUSHPIN_BIN)`);
  return false;
}

/** `describe` when Pushpin is installed, else a skipped `describe` (or a failure under CI). */
export function describeWithPushpin(name: string, body: () => void): void {
  (pushpinAvailable(name) ? describe : describe.skip)(name, body);
}
