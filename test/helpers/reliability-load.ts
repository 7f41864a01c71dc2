/**
 * Load runs of the chat with nothing lost. GRIP: `ws` clients through a real Pushpin, the chat handler behind the
 * local REST front door, publishes through the JWT gate. Native: the API Gateway WebSocket emulator over dynalite.
 * Clients are split into rooms; each sends `messages` messages; every delivery is counted (expected, delivered,
 * lost, duplicated, out of order per sender, misrouted). Used by test/reliability/load.test.ts (a bounded run) and
 * by `npm run load` (the full run, against dist/). Uses no jest API.
 */
import { performance } from 'node:perf_hooks';
import { format } from 'node:util';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { handler as chatHandler } from '../../lambda/examples/chat/chat-handler';
import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import { localDynamoClient } from '../../local/stack/local-dynamo';
import { CLEAN_ENV } from './e2e-env';
import { type NativeParts, startGripParts, startNativeParts } from './e2e-parts';
import { HandlerSlot } from './e2e-support';
import { setEnv } from './grip-events';
import { LoadPool, type PoolStats } from './reliability-load-clients';
import { type LedgerCounts, LoadLedger, type LoadShape } from './reliability-load-ledger';

export { type LedgerCounts, LoadLedger, type LoadShape } from './reliability-load-ledger';

/** Options of {@link runLoad}. */
export interface LoadOptions extends LoadShape {
  readonly transport: 'grip' | 'native';
  /** Pacing: deliveries per second the senders aim at (messages per second times the room size). */
  readonly deliveriesPerSecond: number;
  /** Handshakes in flight at most; default 100. */
  readonly window?: number;
  /** Stop waiting for deliveries after this long without one; default 15 s. */
  readonly drainIdleMs?: number;
  /** The chat handler to run; default the chat of lambda/handlers/chat.ts. */
  readonly loadHandler?: () => LambdaHandler;
  /** Progress lines (phases, and deliveries every 10 s), e.g. for a terminal. */
  readonly onProgress?: (line: string) => void;
}

/** What a run measured. */
export interface LoadResult extends LedgerCounts {
  readonly transport: 'grip' | 'native';
  readonly clients: number;
  readonly rooms: number;
  readonly roomSize: number;
  readonly messagesPerClient: number;
  readonly pacedDeliveriesPerSecond: number;
  /** Deliveries per second from the first message sent to the last delivery. */
  readonly achievedDeliveriesPerSecond: number;
  readonly subscriptionsLive: boolean;
  /** Native: items left in the connection table once every client closed and its `$disconnect` ran (0 expected). */
  readonly leftoverItems?: number;
  readonly pool: PoolStats;
  /** Invocations the local servers saw fail (a 5xx or a dropped WebSocket message). */
  readonly invocationErrors: number;
  /** Warning and error lines the runtime logged during the run, and a few of them. */
  readonly loggedWarnings: number;
  readonly logSamples: readonly string[];
  readonly phasesMs: Readonly<Record<'start' | 'connect' | 'probe' | 'send' | 'drain' | 'close', number>>;
}

/** Counts console output (the runtime's JSON log lines) instead of printing it; returns the restore function. */
function quietConsole(seen: { warnings: number; samples: string[] }): () => void {
  const levels = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = levels.map((level) => console[level]);
  for (const level of levels) {
    console[level] = (...args: unknown[]) => {
      if (level !== 'warn' && level !== 'error') return;
      seen.warnings++;
      if (seen.samples.length < 5) seen.samples.push(format(...args).slice(0, 300));
    };
  }
  return () => {
    levels.forEach((level, i) => {
      console[level] = saved[i]!;
    });
  };
}

/** Items in the connection table once it is empty, or after 30 s: every `$disconnect` has then been handled. */
async function itemsWhenEmpty(parts: NativeParts): Promise<number> {
  const client = localDynamoClient(parts.dynamo.endpoint);
  try {
    let count = -1;
    for (const deadline = Date.now() + 30_000; count !== 0 && Date.now() < deadline; ) {
      if (count > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      const page = await client.send(new ScanCommand({ TableName: parts.tableName, Select: 'COUNT', Limit: 1_000 }));
      count = page.Count ?? 0;
    }
    return count;
  } finally {
    client.destroy();
  }
}

/** Runs one load run from a clean start to a full stop (every server and process it started is stopped). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients, roomSize, messages, transport } = options;
  const progress = options.onProgress ?? (() => undefined);
  const ledger = new LoadLedger({ clients, roomSize, messages });
  const stops: Array<() => Promise<void>> = [];
  const seen = { warnings: 0, samples: [] as string[] };
  let invocationErrors = 0;
  const onError = (error: unknown) => {
    invocationErrors++;
    if (seen.samples.length < 5) seen.samples.push(`invocation failed: ${format(error).slice(0, 300)}`);
  };
  const restoreConsole = quietConsole(seen);
  const phases = { start: 0, connect: 0, probe: 0, send: 0, drain: 0, close: 0 };
  let mark = performance.now();
  const phase = (name: keyof typeof phases) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
    progress(`${transport}: ${name} done in ${(phases[name] / 1000).toFixed(1)} s`);
  };
  let restoreEnv = () => {};
  let pool: LoadPool | undefined;
  const ticker = setInterval(() => {
    if (ledger.deliveredSoFar > 0) progress(`${transport}: ${ledger.deliveredSoFar} of ${ledger.expected} delivered`);
  }, 10_000);
  try {
    const slot = new HandlerSlot();
    const parts =
      transport === 'grip'
        ? await startGripParts({ shape: 'rest-v1', slot, onError }, stops)
        : await startNativeParts(slot, stops, onError);
    restoreEnv = setEnv({ ...CLEAN_ENV, ...parts.vars, POWERTOOLS_METRICS_DISABLED: 'true' });
    slot.current = options.loadHandler?.() ?? (chatHandler as unknown as LambdaHandler);
    const url = transport === 'grip' ? `${parts.wsUrl}/chat` : parts.wsUrl;
    phase('start');
    pool = new LoadPool({ url, ledger, window: options.window });
    await pool.connectAndJoin();
    phase('connect');
    const subscriptionsLive = await pool.probeRooms(60_000);
    phase('probe');
    const sendStart = performance.now();
    await pool.sendPaced(options.deliveriesPerSecond / roomSize);
    phase('send');
    await pool.drain(options.drainIdleMs ?? 15_000, 1_000);
    const activeSeconds = Math.max(0.001, (ledger.lastDeliveryAt - sendStart) / 1000);
    phase('drain');
    await pool.closeAll();
    const leftoverItems = 'tableName' in parts ? await itemsWhenEmpty(parts) : undefined;
    phase('close');
    const counts = ledger.counts();
    return {
      transport,
      clients,
      rooms: clients / roomSize,
      roomSize,
      messagesPerClient: messages,
      ...counts,
      pacedDeliveriesPerSecond: options.deliveriesPerSecond,
      achievedDeliveriesPerSecond: Math.round(counts.delivered / activeSeconds),
      subscriptionsLive,
      ...(leftoverItems === undefined ? {} : { leftoverItems }),
      pool: pool.stats,
      invocationErrors,
      loggedWarnings: seen.warnings,
      logSamples: seen.samples,
      phasesMs: phases,
    };
  } finally {
    clearInterval(ticker);
    pool?.terminateAll();
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => seen.samples.push(`stopping failed: ${format(error).slice(0, 300)}`));
    }
    restoreEnv();
    restoreConsole();
  }
}
