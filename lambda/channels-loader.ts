/**
 * The one door from publish() to durable channels (./channels): the core never imports ./channels itself, so a
 * user's bundle of `faas-grip-cdk/runtime` does not carry the channel log unless it asks for it:
 *
 * - importing `faas-grip-cdk/runtime/channels` (../channels-api.ts) registers the module, and a bundler then
 *   includes it;
 * - an unbundled install (node_modules next to the code, the local dev server, tests) loads it on first use;
 * - a bundle without it answers a durable publish with GripConfigError saying so.
 */
import { GripConfigError } from './core/errors';
import { moduleDoor } from './module-door';

export type ChannelsModule = typeof import('./channels');

const door = moduleDoor<ChannelsModule>(
  'channels',
  () =>
    new GripConfigError(
      'this bundle does not carry durable channels (a channel log table is set, or the publish asked for ' +
        "durable): add `import 'faas-grip-cdk/runtime/channels';` to the handler's entry file",
    ),
);

/** Makes `channels` the durable channels' module (called by `faas-grip-cdk/runtime/channels` when imported). */
export function registerChannels(channels: ChannelsModule): void {
  door.register(channels);
}

/** The durable channels' module: the registered one, else loaded from the package's own files on first call. */
export function loadChannels(): Promise<ChannelsModule> {
  return door.load();
}
