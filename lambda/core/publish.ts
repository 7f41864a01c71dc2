/**
 * `publish()`: one message to every subscriber of a channel, whatever holds their connection: the GRIP proxies
 * of the configuration (through their control API) and, when a connection table and management endpoint are
 * configured, the native API Gateway subscribers (through a fan-out). Publishes started while
 * `webSocketHandler` runs are tracked so the handler can wait for them before it answers.
 *
 * Publishes made in the same turn (called without awaiting in between) go out together, in call order: one control
 * request per proxy for as many items as fit in a publish body, and native fan-outs one message after the other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DurableQueued } from '../channels/durable-publish';
import { loadChannels } from '../channels-loader';
import { Env, MetricName } from '../contract';
import { type Format, WebSocketMessageFormat } from '../grip/formats';
import { gripPrefix, loadGripConfig, reloadGripConfig } from '../grip/io/grip-config';
import { type ItemFailures, type PublishItem, publishInOrder } from '../grip/io/publisher';
import type { FanOutResult } from '../native/fan-out';
import type { NativeDeps } from '../native/native-deps';
import { loadNative } from '../native-loader';
import {
  FaasGripError,
  GripConfigError,
  PublishError,
  type PublishFailure,
  type PublishResult,
  SecretNotSetError,
} from './errors';
import { logger } from './logger';
import { countMetric, flushMetrics, timeMetric } from './metrics';
import { runtimeSettings } from './settings';

/** Item options of a publish. */
export interface PublishOptions {
  /** The item's id, for ordering and recovery on GRIP proxies. @default - none */
  readonly id?: string;
  /** The id of the item published before this one on the channel. @default - none */
  readonly prevId?: string;
  /** Item meta, used by GRIP subscription filters (for example `sender` with `skip-self`). @default - none */
  readonly meta?: Readonly<Record<string, string>>;
  /**
   * Append the message to the channel's log (history and resume, see `faas-grip-cdk/runtime` `history()` and the
   * channel protocol) before delivering it. Only the `ws-message` format's text or bytes are logged; a publish
   * without one is delivered as usual. The log's offsets become the items' `id`/`prev-id` (`id` and `prevId` are
   * not used then).
   * @default - true for channels matching FAAS_GRIP_DURABLE_CHANNELS (every channel when
   *   FAAS_GRIP_CHANNEL_LOG_TABLE is set and the patterns are not)
   */
  readonly durable?: boolean;
  /**
   * Who publishes, kept with a durable message and delivered with it (`from` in the channel protocol's message
   * frames and `faas-grip-cdk/client`'s messages), e.g. `ws.user?.sub`: the publisher chooses what identity travels.
   * At most 256 characters.
   * @default - not recorded
   */
  readonly from?: string;
}

export type { PublishResult };

/** The name of the native target in a {@link PublishError}'s failures. */
export const NATIVE_TARGET = 'native';

/** What publish() sees of the invocation it runs in. */
interface Invocation {
  readonly inFlight: Set<Promise<unknown>>;
  readonly nativeDeps?: NativeDeps;
  /** Publishes of the current turn, sent together when it ends. */
  batch?: Queued[];
  /** Durable publishes of the current turn, appended together when it ends. */
  durable?: DurableQueued[];
}

/** A publish waiting for the end of its turn. */
interface Queued {
  readonly channel: string;
  readonly item: PublishItem;
  readonly resolve: (result: PublishResult) => void;
  readonly reject: (error: unknown) => void;
}

/** The batch of publishes made outside any invocation. */
const outside: { batch?: Queued[]; durable?: DurableQueued[] } = {};

const tracker = new AsyncLocalStorage<Invocation>();
/**
 * Publishes to a channel (the GRIP_PREFIX is added) in one or more formats: to every configured GRIP proxy and,
 * when `FAAS_GRIP_CONNECTION_TABLE` and `FAAS_GRIP_MANAGEMENT_ENDPOINT` are set, to the channel's native
 * subscribers (which receive the `ws-message` format's text or bytes).
 *
 * A failure is logged with each target's cause and counted (`PublishErrors`) before the promise rejects, so
 * nothing is lost in silence even when the caller does not await. Inside `webSocketHandler` an un-awaited publish
 * is awaited before the response is returned.
 *
 * Batching: publishes called in the same turn, without awaiting in between, are sent together in call order, each
 * proxy getting one control request per publish body's worth of items (1,000,000 bytes) instead of one per call,
 * and each native subscriber getting the messages in that order. Start them in a loop and await them after it:
 *
 * ```ts
 * const sent = messages.map((text) => publish('room', new WebSocketMessageFormat(text)));
 * const results = await Promise.allSettled(sent); // each says what its own message reached
 * ```
 *
 * When one control request of a batch fails on a proxy, the later ones are not sent to that proxy (they would
 * arrive before what failed): their publishes reject too, naming the proxy.
 *
 * @throws GripConfigError when no target is configured.
 * @throws PublishError naming each GRIP proxy that failed, and `native` with the count of failed deliveries.
 * @example
 * await publish('room', new WebSocketMessageFormat('hello'));
 */
export function publish(
  channel: string,
  formats: Format | readonly Format[],
  options: PublishOptions = {},
): Promise<PublishResult> {
  const list: readonly Format[] = Array.isArray(formats) ? formats : [formats as Format];
  const data = isDurable(channel, options) ? loggedData(list) : undefined;
  const sent = data === undefined ? enqueue(channel, list, options) : enqueueDurable(channel, list, options, data);
  const result = sent.catch((error: unknown) => {
    countMetric(MetricName.PUBLISH_ERRORS);
    logger.error('publish failed', {
      channel,
      id: options.id,
      formats: list.map((format) => format.name),
      bytes: list.reduce((sum, format) => sum + Buffer.byteLength(JSON.stringify(format.export())), 0),
      error,
    });
    if (tracker.getStore() === undefined) flushMetrics();
    throw error;
  });
  const inFlight = tracker.getStore()?.inFlight;
  if (inFlight !== undefined) {
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
  }
  return result;
}

/**
 * Runs `fn` with publish tracking, then waits until every publish it started (awaited or not) has settled.
 * Failures were already logged and counted by {@link publish}; they do not reject here. Publishes inside `fn`
 * reach native subscribers through `nativeDeps` when given.
 */
export async function withPublishTracking<T>(fn: () => Promise<T>, nativeDeps?: NativeDeps): Promise<T> {
  const inFlight = new Set<Promise<unknown>>();
  try {
    return await tracker.run({ inFlight, nativeDeps }, fn);
  } finally {
    while (inFlight.size > 0) {
      await Promise.all([...inFlight]);
    }
  }
}

/** True when the publish goes through the channel's log. */
function isDurable(channel: string, options: PublishOptions): boolean {
  return options.durable ?? runtimeSettings().isDurable(channel);
}

/** What the log keeps of a publish: the ws-message format's text or bytes; undefined when it has none. */
function loggedData(formats: readonly Format[]): string | Uint8Array | undefined {
  const format = formats.find((f) => f.name === 'ws-message');
  if (format === undefined) return undefined;
  return format instanceof WebSocketMessageFormat ? format.message : messageOf(format.export());
}

/**
 * Queues a durable publish: when the turn ends its messages are appended to their channels' logs (one write per
 * block of a channel's messages, after the container's previous appends to that channel), then published in call
 * order with their positions: as they are to the channel, and as `message` envelopes to its protocol subscribers.
 */
function enqueueDurable(
  channel: string,
  formats: readonly Format[],
  options: PublishOptions,
  data: string | Uint8Array,
): Promise<PublishResult> {
  const owner: { durable?: DurableQueued[] } = tracker.getStore() ?? outside;
  return new Promise<PublishResult>((resolve, reject) => {
    if (owner.durable === undefined) {
      const turn: DurableQueued[] = [];
      owner.durable = turn;
      queueMicrotask(() => {
        if (owner.durable === turn) owner.durable = undefined;
        loadChannels().then(
          (channels) => channels.appendTurn(turn, enqueue),
          (error: unknown) => {
            for (const queued of turn) queued.reject(error);
          },
        );
      });
    }
    owner.durable.push({ channel, formats, options, data, resolve, reject });
  });
}

/** Queues a publish for the end of the current turn; the first of a turn schedules the batch. */
function enqueue(channel: string, formats: readonly Format[], options: PublishOptions): Promise<PublishResult> {
  // Not from the loaded configuration: native subscribers are reached even when the GRIP configuration fails.
  const item: PublishItem = { channel: gripPrefix() + channel, formats, ...options };
  const owner: { batch?: Queued[] } = tracker.getStore() ?? outside;
  const deps = tracker.getStore()?.nativeDeps ?? {};
  return new Promise<PublishResult>((resolve, reject) => {
    if (owner.batch === undefined) {
      const batch: Queued[] = [];
      owner.batch = batch;
      queueMicrotask(() => {
        if (owner.batch === batch) owner.batch = undefined;
        void publishBatch(batch, deps);
      });
    }
    owner.batch.push({ channel, item, resolve, reject });
  });
}

/** Sends a turn's publishes in call order and settles each with what its own message reached. */
async function publishBatch(batch: readonly Queued[], deps: NativeDeps): Promise<void> {
  const grip = runtimeSettings().gripConfigured;
  const native = nativeConfigured(deps);
  if (!grip && !native) {
    for (const { channel, reject } of batch) {
      reject(
        new GripConfigError(
          `publish to '${channel}' has no target: set GRIP_URL (or GRIP_PROXIES, or GRIP_SECRET_ARN) for GRIP ` +
            `proxies, and/or ${Env.CONNECTION_TABLE} with ${Env.MANAGEMENT_ENDPOINT} for native WebSocket subscribers`,
        ),
      );
    }
    return;
  }
  const items = batch.map((q) => q.item);
  const [gripOutcome, nativeOutcome] = await Promise.allSettled([
    grip ? publishGrip(items, native) : Promise.resolve(undefined),
    native ? publishNativeInOrder(items, deps) : Promise.resolve(undefined),
  ]);
  batch.forEach((queued, index) => {
    const proxies: PromiseSettledResult<number> =
      gripOutcome.status === 'rejected'
        ? gripOutcome
        : gripOutcome.value === undefined
          ? { status: 'fulfilled', value: 0 }
          : gripOutcome.value.failures[index].length > 0
            ? { status: 'rejected', reason: new PublishError(gripOutcome.value.failures[index]) }
            : { status: 'fulfilled', value: gripOutcome.value.proxies };
    const fanOut: PromiseSettledResult<FanOutResult | undefined> =
      nativeOutcome.status === 'rejected'
        ? nativeOutcome
        : (nativeOutcome.value?.[index] ?? { status: 'fulfilled', value: undefined });
    try {
      queued.resolve(settle(proxies, fanOut));
    } catch (error) {
      queued.reject(error);
    }
  });
}

/** One publish's result from its GRIP and native outcomes; throws PublishError with the partial result. */
function settle(
  proxies: PromiseSettledResult<number>,
  fanOut: PromiseSettledResult<FanOutResult | undefined>,
): PublishResult {
  const failures: PublishFailure[] = [];
  if (proxies.status === 'rejected') failures.push(...failuresOf(proxies.reason, 'grip'));
  if (fanOut.status === 'rejected') failures.push(...failuresOf(fanOut.reason, NATIVE_TARGET));
  const nativeResult = fanOut.status === 'fulfilled' ? fanOut.value : undefined;
  const counts = nativeResult === undefined ? undefined : nativeCounts(nativeResult);
  if (counts !== undefined && (counts.failed > 0 || counts.unknown > 0 || !counts.complete)) {
    failures.push({ target: NATIVE_TARGET, cause: nativeShortfall(nativeResult as FanOutResult) });
  }
  const result: PublishResult = {
    proxies: proxies.status === 'fulfilled' ? proxies.value : 0,
    ...(counts === undefined ? {} : { native: counts }),
  };
  if (failures.length > 0) {
    const error = new PublishError(failures);
    error.partial = result;
    throw error;
  }
  return result;
}

function nativeCounts(r: FanOutResult): NonNullable<PublishResult['native']> {
  return {
    delivered: r.delivered,
    gone: r.gone,
    failed: r.failed,
    unknown: r.unknown,
    opening: r.opening,
    complete: r.complete,
    shards: r.shards,
  };
}

/** Says exactly what the native fan-out did not do: a retry of the whole publish repeats what was delivered. */
function nativeShortfall(r: FanOutResult): FaasGripError {
  const causes = r.errors.slice(0, 3).map((e) => e.error.message);
  const listed = r.delivered + r.gone + r.failed + r.unknown + r.opening;
  let text = `${r.failed} of ${listed} deliveries failed`;
  if (r.unknown > 0) text += `, ${r.unknown} unknown (sent, not answered in time; not sent again)`;
  if (!r.complete) text += `, the member listing stopped after ${listed} subscribers`;
  return new FaasGripError(`${text}; ${r.delivered} delivered (${causes.join('; ')})`);
}

/**
 * Publishes to the GRIP proxies. In a stack that serves both transports, a GRIP secret that has no value yet means
 * "no GRIP target yet", not a failure: the native subscribers got the message, and the deploy that created the
 * secret is working as documented until someone sets it (logged once per container).
 */
async function publishGrip(
  items: readonly PublishItem[],
  nativeToo: boolean,
): Promise<{ proxies: number; failures: ItemFailures[] } | undefined> {
  let proxies: Awaited<ReturnType<typeof loadGripConfig>>['proxies'];
  try {
    ({ proxies } = await loadGripConfig());
  } catch (error) {
    if (!(nativeToo && error instanceof SecretNotSetError)) throw error;
    if (!secretNotSetLogged) {
      secretNotSetLogged = true;
      logger.warn('GRIP secret not set yet: publishing to native subscribers only', { reason: error.message });
    }
    return undefined;
  }
  const failures = await publishInOrder(proxies, items, { onUnauthorized: reloadedProxies });
  return { proxies: proxies.length, failures };
}

/**
 * The native fan-outs of a batch, one message after the other, so every subscriber gets them in call order. Each
 * settles on its own: one that fails does not stop the next (they are different messages).
 */
async function publishNativeInOrder(
  items: readonly PublishItem[],
  deps: NativeDeps,
): Promise<PromiseSettledResult<FanOutResult | undefined>[]> {
  const outcomes: PromiseSettledResult<FanOutResult | undefined>[] = [];
  for (const item of items) {
    try {
      outcomes.push({ status: 'fulfilled', value: await publishNative(item.channel, item.formats, deps) });
    } catch (reason) {
      outcomes.push({ status: 'rejected', reason });
    }
  }
  return outcomes;
}

function nativeConfigured(deps: NativeDeps): boolean {
  const settings = runtimeSettings();
  const table = deps.store !== undefined || Boolean(settings.connectionTable);
  const endpoint =
    deps.managementClient !== undefined || Boolean(deps.managementEndpoint || settings.managementEndpoint);
  return table && endpoint;
}

let secretNotSetLogged = false;

async function reloadedProxies() {
  reloadGripConfig();
  return (await loadGripConfig()).proxies;
}

/** The native subscribers get the ws-message format: its text or its bytes. */
async function publishNative(channel: string, formats: readonly Format[], deps: NativeDeps) {
  const format = formats.find((f) => f.name === 'ws-message');
  if (format === undefined) {
    return undefined;
  }
  const data = format instanceof WebSocketMessageFormat ? format.message : messageOf(format.export());
  if (data === undefined) {
    logger.warn('a ws-message close or other action is not supported for native subscribers; skipped', { channel });
    return undefined;
  }
  const { fanOut } = await loadNative();
  const started = Date.now();
  const result = await fanOut(channel, data, deps);
  // Sharded, the last delivery is a shard's, which records it; else it was this invocation's last post.
  if (result.shards === 0) timeMetric(MetricName.FANOUT_LAST_DELIVERY_MS, Date.now() - started);
  return result;
}

/** The message of a ws-message format of another class, from its exported fields. */
function messageOf(exported: Record<string, unknown>): string | Uint8Array | undefined {
  if (exported.action !== undefined && exported.action !== 'send') return undefined;
  return typeof exported['content-bin'] === 'string'
    ? new Uint8Array(Buffer.from(exported['content-bin'], 'base64'))
    : String(exported.content ?? '');
}

function failuresOf(reason: unknown, target: string): PublishFailure[] {
  if (reason instanceof PublishError) {
    return [...reason.failures];
  }
  return [{ target, cause: reason instanceof Error ? reason : new Error(String(reason)) }];
}
