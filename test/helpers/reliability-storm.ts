/**
 * The reconnect storm: clients of `faas-grip-cdk/client` on both transports (Pushpin and the API Gateway WebSocket
 * emulator, with the chat handler and the channel log in dynalite), each behind its own fault-injecting TCP proxy,
 * follow durable channels while a publisher sends numbered messages round-robin over them; every client is cut
 * (connection reset, no close frame) at random moments and kept offline for a random while. At the end each
 * client must hold every message of its channel exactly once, in offset order. Used by the bounded jest run
 * (test/reliability/storm.test.ts) and by `npm run load` (scripts/load.js, results in RELIABILITY.md).
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { ChannelClient } from '../../client';
import { resetContainer } from '../../lambda/core/container';
import { publish } from '../../lambda/core/publish';
import { handler as chatHandler } from '../../lambda/examples/chat/chat-handler';
import { WebSocketMessageFormat } from '../../lambda/grip/formats';
import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import { CLEAN_ENV } from './e2e-env';
import { startGripParts, startNativeParts } from './e2e-parts';
import { HandlerSlot } from './e2e-support';
import { FaultProxy } from './fault-proxy';
import { setEnv } from './grip-events';

/** The shape of a storm. */
export interface StormOptions {
  /** Clients through Pushpin. */
  readonly gripClients: number;
  /** Clients through the API Gateway WebSocket emulator. */
  readonly nativeClients: number;
  /** Channels; client i follows channel i mod channels. */
  readonly channels: number;
  /** Messages published in all, round-robin over the channels. */
  readonly messages: number;
  /** Cuts per client, at random moments of the run. @default 3 */
  readonly cutsPerClient?: number;
  /** Longest time a cut client stays offline, ms. @default 2000 */
  readonly maxOfflineMs?: number;
  /** Publishes in flight at once. @default 4 */
  readonly publishConcurrency?: number;
  readonly onProgress?: (line: string) => void;
}

/** What a storm did and what the clients ended with. */
export interface StormResult {
  readonly clients: number;
  readonly channels: number;
  readonly messages: number;
  /** Deliveries the clients had to end with (each client, every message of its channel). */
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  /** Messages whose data was not what was published at that offset. */
  readonly wrongData: number;
  /** `notRecovered` events (a gap the client could not fill). */
  readonly notRecovered: number;
  /** Connections reset by the proxies. */
  readonly cuts: number;
  /** Reconnections the clients made. */
  readonly reconnects: number;
  readonly publishMs: number;
  /** From the first publish until every client had everything (or the drain gave up). */
  readonly totalMs: number;
  readonly samples: readonly string[];
}

interface StormClient {
  readonly channel: string;
  readonly client: ChannelClient;
  readonly proxy: FaultProxy;
  readonly offsets: number[];
  readonly data: Array<string | Uint8Array>;
  notRecovered: number;
  reconnects: number;
}

/** Runs a storm on parts it starts and stops. */
export async function runStorm(options: StormOptions): Promise<StormResult> {
  const progress = options.onProgress ?? (() => undefined);
  const cutsPerClient = options.cutsPerClient ?? 3;
  const maxOfflineMs = options.maxOfflineMs ?? 2000;
  const stops: Array<() => Promise<void>> = [];
  const clients: StormClient[] = [];
  const samples: string[] = [];
  let restoreEnv = () => {};
  const quiet = { error: console.error, warn: console.warn, log: console.log };
  console.error = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (samples.length < 5 && !line.includes('NodeVersionSupportWarning')) samples.push(line.slice(0, 300));
  };
  console.warn = () => undefined;
  console.log = () => undefined; // the runtime's info lines (a connection that left while being answered)
  try {
    const slot = new HandlerSlot();
    const onError = (error: unknown) => {
      if (samples.length < 5) samples.push(`invocation failed: ${String(error).slice(0, 300)}`);
    };
    // Native first, so that Pushpin stops first: it would otherwise still send the handler its closing requests
    // after the local DynamoDB they need has stopped.
    const native = await startNativeParts(slot, stops, onError);
    const grip = options.gripClients > 0 ? await startGripParts({ shape: 'rest-v1', slot, onError }, stops) : undefined;
    restoreEnv = setEnv({ ...CLEAN_ENV, ...grip?.vars, ...native.vars, POWERTOOLS_METRICS_DISABLED: 'true' });
    resetContainer();
    slot.current = chatHandler as unknown as LambdaHandler;
    const channels = Array.from({ length: options.channels }, (_, i) => `storm-${i}`);

    const targets = [
      ...Array.from({ length: options.gripClients }, () => `${grip?.wsUrl}/chat`),
      ...Array.from({ length: options.nativeClients }, () => native.wsUrl),
    ];
    for (const [i, url] of targets.entries()) {
      const target = new URL(url);
      const proxy = await FaultProxy.start(target.hostname, Number(target.port));
      stops.push(() => proxy.stop());
      const client = new ChannelClient(proxy.via(url), {
        WebSocket: WebSocket as never,
        minReconnectDelayMs: 100,
        maxReconnectDelayMs: 2000,
        gapWaitMs: 500,
        heartbeatMs: 0,
      });
      const entry: StormClient = {
        channel: channels[i % channels.length],
        client,
        proxy,
        offsets: [],
        data: [],
        notRecovered: 0,
        reconnects: 0,
      };
      client.on('message', (m) => {
        entry.offsets.push(m.offset);
        entry.data.push(m.data);
      });
      client.on('notRecovered', () => entry.notRecovered++);
      client.on('state', (s) => {
        if (s === 'reconnecting') entry.reconnects++;
      });
      clients.push(entry);
    }
    stops.push(async () => {
      for (const c of clients) c.client.close();
    });
    await Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            const stop = c.client.on('subscribed', () => {
              stop();
              resolve();
            });
            c.client.subscribe(c.channel);
          }),
      ),
    );
    progress(`storm: ${clients.length} clients subscribed`);

    // Each client's cuts, at message numbers drawn at random over the run.
    const cutsAt = new Map<number, StormClient[]>();
    for (const c of clients) {
      for (let k = 0; k < cutsPerClient; k++) {
        const at = 1 + Math.floor(Math.random() * options.messages);
        cutsAt.set(at, [...(cutsAt.get(at) ?? []), c]);
      }
    }
    const published = new Map<string, string[]>(channels.map((ch) => [ch, []]));
    const started = performance.now();
    let next = 1;
    const concurrency = options.publishConcurrency ?? 4;
    const worker = async () => {
      while (next <= options.messages) {
        const n = next++;
        for (const c of cutsAt.get(n) ?? []) c.proxy.offline(Math.random() * maxOfflineMs);
        const channel = channels[n % channels.length];
        const text = `s${n}`;
        const result = await publishWithRetry(channel, text);
        (published.get(channel) as string[])[(result.offset as number) - 1] = text;
        if (n % 1000 === 0) progress(`storm: ${n} of ${options.messages} published`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const publishMs = performance.now() - started;
    progress(`storm: published in ${(publishMs / 1000).toFixed(1)} s; draining`);

    const complete = () =>
      clients.every((c) => new Set(c.offsets).size >= (published.get(c.channel) as string[]).length);
    const drainUntil = Date.now() + 60_000;
    while (!complete() && Date.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 100));
    const totalMs = performance.now() - started;

    let expected = 0;
    let delivered = 0;
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let wrongData = 0;
    for (const c of clients) {
      const texts = published.get(c.channel) as string[];
      expected += texts.length;
      delivered += c.offsets.length;
      const unique = new Set(c.offsets);
      duplicated += c.offsets.length - unique.size;
      for (let o = 1; o <= texts.length; o++) if (!unique.has(o)) lost++;
      for (let i = 1; i < c.offsets.length; i++) if (c.offsets[i] <= c.offsets[i - 1]) outOfOrder++;
      c.offsets.forEach((o, i) => {
        if (c.data[i] !== texts[o - 1]) wrongData++;
      });
    }
    return {
      clients: clients.length,
      channels: options.channels,
      messages: options.messages,
      expected,
      delivered,
      lost,
      duplicated,
      outOfOrder,
      wrongData,
      notRecovered: clients.reduce((sum, c) => sum + c.notRecovered, 0),
      cuts: clients.reduce((sum, c) => sum + c.proxy.cuts, 0),
      reconnects: clients.reduce((sum, c) => sum + c.reconnects, 0),
      publishMs,
      totalMs,
      // What was logged during the run; the teardown's own noise (closing requests refused by stopped parts) is not.
      samples: [...samples],
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    restoreEnv();
    console.error = quiet.error;
    console.warn = quiet.warn;
    console.log = quiet.log;
  }
}

/** A durable publish, again after a retryable refusal (a lost race for the next offset, beyond the retries). */
async function publishWithRetry(channel: string, text: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await publish(channel, new WebSocketMessageFormat(text));
    } catch (error) {
      const retryable = (error as { retryable?: boolean }).retryable === true;
      if (!retryable || attempt >= 5) throw error;
    }
  }
}
