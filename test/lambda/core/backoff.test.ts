import { backoffDelay, forEachBounded, readAhead } from '../../../lambda/core/backoff';

/** An async source of pages that records when each page was asked for and can fail at a given page. */
function pages(count: number, options: { failAt?: number } = {}) {
  const log: string[] = [];
  let closed = false;
  async function* source(): AsyncGenerator<number[]> {
    try {
      for (let i = 0; i < count; i++) {
        log.push(`read ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (i === options.failAt) throw new Error(`page ${i} failed`);
        yield [i * 10, i * 10 + 1];
      }
    } finally {
      closed = true;
    }
  }
  return { source: source(), log, isClosed: () => closed };
}

describe('readAhead', () => {
  test('asks for the next page before the current one is used, and yields every page in order', async () => {
    const p = pages(3);
    const seen: number[][] = [];
    for await (const page of readAhead(p.source)) {
      p.log.push(`use ${page[0] / 10}`);
      seen.push(page);
    }
    expect(seen).toEqual([
      [0, 1],
      [10, 11],
      [20, 21],
    ]);
    expect(p.log).toEqual(['read 0', 'read 1', 'use 0', 'read 2', 'use 1', 'use 2']);
  });

  test('a failed read surfaces where its page would have been, after the pages before it', async () => {
    const p = pages(4, { failAt: 2 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(p.source)) seen.push(page[0]);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([0, 10]);
  });

  test('stopping early closes the source, and a failing read in flight is not left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const p = pages(4, { failAt: 1 });
      for await (const page of readAhead(p.source)) {
        expect(page).toEqual([0, 1]);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(p.isClosed()).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('forEachBounded', () => {
  test('never has more than `limit` calls in flight and reaches every item of every page once', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await forEachBounded(pages(5).source, 3, async (item) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, item % 3));
      inFlight--;
      done.push(item);
    });
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 10, 11, 20, 21, 30, 31, 40, 41]);
  });

  test('when reading fails, the calls already started finish before the error propagates', async () => {
    const finished: number[] = [];
    await expect(
      forEachBounded(pages(3, { failAt: 1 }).source, 4, async (item) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        finished.push(item);
      }),
    ).rejects.toThrow('page 1 failed');
    expect(finished.sort()).toEqual([0, 1]);
  });
});

describe('backoffDelay', () => {
  test('grows exponentially with jitter between half and all of the capped ceiling', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(1000, 50 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt, 50, 1000);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
