/**
 * Load with nothing lost, bounded for CI (the full runs are `npm run load`, results in RELIABILITY.md). GRIP: 100
 * clients through a real Pushpin and the chat, in 4 rooms of 25, 5 messages each: exactly 12,500 deliveries, each
 * once, each sender's in order. Native: 40 clients through the API Gateway WebSocket emulator and dynalite, in 2
 * rooms of 20, 5 messages each: exactly 4,000 deliveries, each once (API Gateway promises no order). Senders are
 * paced; connections ramp with at most 100 handshakes in flight and refused handshakes are retried.
 */

import { describeWithPushpin } from '../helpers/e2e-env';
import { loadChatHandler } from '../helpers/e2e-support';
import { LoadLedger, type LoadResult, runLoad } from '../helpers/reliability-load';

const RUN_TIMEOUT_MS = 110_000;

/**
 * Runs the load with its progress recorded, and fails with that record shortly before the test's timeout: a run
 * that stalls then says in which phase, instead of a bare jest timeout.
 */
async function runRecorded(options: Parameters<typeof runLoad>[0]): Promise<LoadResult> {
  const started = Date.now();
  const progress: string[] = [];
  const onProgress = (message: string) => progress.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${message}`);
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`load run stalled; progress so far:\n${progress.join('\n') || '(none)'}`)),
      RUN_TIMEOUT_MS - 5_000,
    );
  });
  try {
    return await Promise.race([runLoad({ ...options, onProgress }), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run's figures in one object, so a failure shows all of them. */
function figures(result: LoadResult) {
  const { expected, delivered, lost, duplicated, outOfOrder, misrouted, invocationErrors } = result;
  const { connectFailures, joinFailures, chatErrors, unexpected, sendFailures, samples } = result.pool;
  return {
    expected,
    delivered,
    lost,
    duplicated,
    outOfOrder,
    misrouted,
    invocationErrors,
    connectFailures,
    joinFailures,
    chatErrors,
    unexpected,
    sendFailures,
    samples: [...samples, ...result.logSamples],
  };
}

const clean = { lost: 0, duplicated: 0, misrouted: 0, invocationErrors: 0, connectFailures: 0, joinFailures: 0 };

describe('the load ledger', () => {
  test('counts delivered, lost, duplicated, out-of-order and misrouted deliveries exactly', () => {
    const ledger = new LoadLedger({ clients: 4, roomSize: 2, messages: 3 });

    ledger.record(0, 1, 1);
    ledger.record(0, 1, 0); // older than the one before: out of order, still delivered
    ledger.record(0, 1, 0); // again: duplicated
    ledger.record(0, 2, 0); // client 2 is in the other room: misrouted
    ledger.record(3, 2, 3); // sequence never sent: misrouted
    ledger.record(3, 3, 2);

    expect(ledger.counts()).toEqual({
      expected: 4 * 2 * 3,
      delivered: 3,
      lost: 21,
      duplicated: 1,
      outOfOrder: 1,
      misrouted: 2,
    });
  });
});

describeWithPushpin('load through Pushpin (bounded)', () => {
  it(
    'GRIP: 100 clients in 4 rooms x 5 messages = 12,500 deliveries, none lost or duplicated, each sender in order',
    async () => {
      const result = await runRecorded({
        transport: 'grip',
        clients: 100,
        roomSize: 25,
        messages: 5,
        deliveriesPerSecond: 5_000,
        loadHandler: loadChatHandler,
      });

      // The whole figure set on failure, so a red run says what went wrong (not only "false").
      expect({ subscriptionsLive: result.subscriptionsLive, ...figures(result), pool: result.pool }).toMatchObject({
        subscriptionsLive: true,
        ...clean,
        expected: 12_500,
        delivered: 12_500,
        outOfOrder: 0,
      });
      expect(result.pool.chatErrors).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('load through the API Gateway WebSocket emulator (bounded)', () => {
  it(
    'native: 40 clients in 2 rooms x 5 messages = 4,000 deliveries, none lost or duplicated, no state left',
    async () => {
      const result = await runRecorded({
        transport: 'native',
        clients: 40,
        roomSize: 20,
        messages: 5,
        deliveriesPerSecond: 1_000,
        loadHandler: loadChatHandler,
      });

      expect({ subscriptionsLive: result.subscriptionsLive, ...figures(result), pool: result.pool }).toMatchObject({
        subscriptionsLive: true,
        ...clean,
        expected: 4_000,
        delivered: 4_000,
      });
      // Every client closed: each $disconnect removed its connection and memberships.
      expect(result.leftoverItems).toBe(0);
      expect(result.pool.chatErrors).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );
});
