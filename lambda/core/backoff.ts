/** Retry timing and bounded concurrency shared by the runtime's retry loops (publisher, native transport). */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Delay before retry number `attempt` (1 for the first retry): exponential from `baseMs`, capped at
 * `capMs`, with equal jitter (half fixed, half random) so that many callers retrying at once spread out.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Runs `work` for every item with at most `limit` calls in flight and waits for all of them. `work`
 * must not reject (callers record failures themselves); items are taken in order. Pages of an async source
 * are read one ahead, so the next page loads while the current one is worked on and the calls in flight do
 * not drain at each page boundary. When reading `items` fails, the calls already started are awaited before
 * the error propagates. `stop`, when given, is asked after each page: once it returns true no further page is read
 * (the source is closed), so a caller can end a long listing at its deadline.
 */
export async function forEachBounded<T>(
  items: AsyncIterable<readonly T[]> | Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
  stop?: () => boolean,
): Promise<void> {
  const running = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;
  const start = async (item: T): Promise<void> => {
    while (running.size >= limit) await new Promise<void>((resolve) => (slotFreed = resolve));
    const call = work(item).finally(() => {
      running.delete(call);
      slotFreed?.();
      slotFreed = undefined;
    });
    running.add(call);
  };
  try {
    if (Symbol.asyncIterator in items) {
      for await (const page of readAhead(items)) {
        for (const item of page) await start(item);
        if (stop?.()) break;
      }
    } else {
      for (const item of items) await start(item);
    }
  } finally {
    await Promise.all(running);
  }
}

/**
 * Yields `source`'s values while the following one is already being read. A read that fails is reported
 * where its value would have been yielded (never as an unhandled rejection); stopping early closes `source`
 * once the read in progress has settled.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  let done = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        done = true;
        return;
      }
      next = iterator.next();
      next.catch(() => {}); // awaited on the next turn; this only keeps an early stop from leaving it unhandled
      yield result.value;
    }
  } finally {
    if (!done) {
      await next.catch(() => undefined);
      await iterator.return?.();
    }
  }
}
