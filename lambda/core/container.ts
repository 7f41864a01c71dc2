/**
 * What a Lambda container keeps from one invocation to the next, in one registry: SDK clients, management-API
 * senders, connection stores, the loaded SDK modules and the caches of secrets and configuration. Each module
 * declares its own with {@link containerScoped} (created on first use); {@link resetContainer} drops them all, so a
 * test starts from a fresh container with one call.
 */

/** A value created on first use and kept for the container's life. */
export interface ContainerScoped<T> {
  /** The value, created on first call. */
  get(): T;
  /** Drops the value: the next get() creates it again. */
  reset(): void;
}

const registry = new Set<ContainerScoped<unknown>>();

/** Declares a container-scoped value made by `create`. */
export function containerScoped<T>(create: () => T): ContainerScoped<T> {
  let held: { readonly value: T } | undefined;
  const scoped: ContainerScoped<T> = {
    get() {
      held ??= { value: create() };
      return held.value;
    },
    reset() {
      held = undefined;
    },
  };
  registry.add(scoped);
  return scoped;
}

/** Drops every container-scoped value (clients, senders, stores, caches), as a new container would start. */
export function resetContainer(): void {
  for (const scoped of registry) scoped.reset();
}
