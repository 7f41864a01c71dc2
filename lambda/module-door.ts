/**
 * A door from the core to a module it must not import statically (so bundles leave the module out unless they ask
 * for it): the module's public entry registers it, and an unbundled install loads it from the package's own files
 * on first use. Used for the native transport (native-loader.ts) and durable channels (channels-loader.ts).
 */
import { join } from 'node:path';

/** A lazily reached module. */
export interface ModuleDoor<M> {
  /** Makes `module` the one to use (called by the module's public entry when it is imported). */
  register(module: M): void;
  /** The registered module, else the package's own file loaded on first call; `missing()` when neither exists. */
  load(): Promise<M>;
  /** The module when it is already at hand (registered, or loaded before): no promise on the hot path. */
  peek(): M | undefined;
}

/**
 * A door to the module `file` (relative to this folder), whose absence in a bundle is reported by `missing()`.
 */
export function moduleDoor<M>(file: string, missing: () => Error): ModuleDoor<M> {
  let registered: M | undefined;
  let loaded: M | undefined;
  let loading: Promise<M> | undefined;
  const fromPackage = async (): Promise<M> => {
    try {
      // Not a literal, so bundlers leave it out: it resolves only where the package's CommonJS files are on disk.
      loaded = require(join(__dirname, file)) as M;
      return loaded;
    } catch {
      loading = undefined;
      throw missing();
    }
  };
  return {
    register(module) {
      registered = module;
    },
    load() {
      if (registered !== undefined) return Promise.resolve(registered);
      loading ??= fromPackage();
      return loading;
    },
    peek() {
      return registered ?? loaded;
    },
  };
}
