/**
 * What the clients of `faas-grip-cdk/client` share: typed listeners, the reconnect delay (exponential backoff with
 * full jitter), a JWT's expiry (read, not verified: the server verifies) and base64 bytes.
 */

/** Typed listeners of an event map. */
export class Listeners<Events> {
  private readonly sets = new Map<keyof Events, Set<(value: never) => void>>();

  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof Events>(event: E, listener: (value: Events[E]) => void): () => void {
    let set = this.sets.get(event);
    if (set === undefined) {
      set = new Set();
      this.sets.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  /** Calls every listener; one that throws does not stop the others nor the caller (it is rethrown later). */
  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    for (const listener of this.sets.get(event) ?? []) {
      try {
        (listener as (v: Events[E]) => void)(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** The delay before reconnect `attempt` (0 first): a random share of min(max, min * 2^attempt), ms. */
export function reconnectDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, minMs * 2 ** attempt));
}

/** The longest delay a timer takes (longer ones fire at once): 2^31 - 1 ms, about 24.8 days. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * When to take a fresh token: `refreshMs` before `exp` (epoch seconds), at least a second from now, and never
 * past what a timer can wait. A token that is no fresher than the last one (`previousExp`) waits for its expiry,
 * so a provider that keeps giving a cached token does not make the client ask every second.
 */
export function refreshDelay(exp: number, refreshMs: number, previousExp?: number): number {
  const until = exp * 1000 - Date.now();
  const wanted = exp === previousExp ? until : until - refreshMs;
  return Math.min(MAX_TIMER_MS, Math.max(1000, wanted));
}

/** The `exp` of a JWT (read, not verified: the server verifies), epoch seconds. */
export function expiryOf(token: string): number | undefined {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
