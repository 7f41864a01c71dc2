/**
 * `publish()`: one message to every subscriber of a channel, whatever holds their connection: the GRIP proxies
 * of the configuration (through their control API) and, when a connection table and management endpoint are
 * configured, the native API Gateway subscribers (through a fan-out). Publishes started while
 * `webSocketHandler` runs are tracked so the handler can wait for them before it answers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Env, MetricName } from './contract';
import { FaasGripError, GripConfigError, PublishError, type PublishFailure } from './errors';
import { type Format, WebSocketMessageFormat } from './grip/formats';
import { gripPrefix, loadGripConfig, reloadGripConfig } from './grip/grip-config';
import { type PublishItem, publishToProxies } from './grip/publisher';
import { logger } from './logger';
import { countMetric, flushMetrics } from './metrics';
import type { FanOutResult } from './native/fan-out';
import type { NativeDeps } from './native/native-deps';

/** Item options of a publish. */
export interface PublishOptions {
  /** The item's id, for ordering and recovery on GRIP proxies. @default - none */
  readonly id?: string;
  /** The id of the item published before this one on the channel. @default - none */
  readonly prevId?: string;
  /** Item meta, used by GRIP subscription filters (for example `sender` with `skip-self`). @default - none */
  readonly meta?: Readonly<Record<string, string>>;
}

/** What a publish reached. */
export interface PublishResult {
  /** Number of GRIP proxies that accepted the publish. */
  readonly proxies: number;
  /** The native fan-out, when native subscribers are configured and the publish has a `ws-message` format. */
  readonly native?: {
    /** Messages API Gateway accepted. */
    readonly delivered: number;
    /** Subscribers that were gone (and were removed). */
    readonly gone: number;
    /** Subscribers the message did not reach. */
    readonly failed: number;
    /** Subscribers whose post was sent but not answered in time: it may have reached them (never sent twice). */
    readonly unknown: number;
    /** Subscribers still opening that refused the post: they joined as it went out (not a failure). */
    readonly opening: number;
    /** False when not every subscriber was listed (the listing failed, or the deadline came first). */
    readonly complete: boolean;
  };
}

/** The name of the native target in a {@link PublishError}'s failures. */
export const NATIVE_TARGET = 'native';

/** What publish() sees of the invocation it runs in. */
interface Invocation {
  readonly inFlight: Set<Promise<unknown>>;
  readonly nativeDeps?: NativeDeps;
}

const tracker = new AsyncLocalStorage<Invocation>();
const GRIP_SETTINGS = [Env.GRIP_URL, Env.GRIP_PROXIES, Env.GRIP_SECRET_ARN];

/**
 * Publishes to a channel (the GRIP_PREFIX is added) in one or more formats: to every configured GRIP proxy and,
 * when `FAAS_GRIP_CONNECTION_TABLE` and `FAAS_GRIP_MANAGEMENT_ENDPOINT` are set, to the channel's native
 * subscribers (which receive the `ws-message` format's text or bytes).
 *
 * A failure is logged with each target's cause and counted (`PublishErrors`) before the promise rejects, so
 * nothing is lost in silence even when the caller does not await. Inside `webSocketHandler` an un-awaited publish
 * is awaited before the response is returned.
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
  const result = publishNow(channel, list, options).catch((error: unknown) => {
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

async function publishNow(
  channel: string,
  formats: readonly Format[],
  options: PublishOptions,
): Promise<PublishResult> {
  // Not from the loaded configuration: native subscribers are reached even when the GRIP configuration fails.
  const fullChannel = gripPrefix() + channel;
  const item: PublishItem = { channel: fullChannel, formats, ...options };
  const deps = tracker.getStore()?.nativeDeps ?? {};
  const grip = GRIP_SETTINGS.some((name) => process.env[name]?.trim());
  const native = nativeConfigured(deps);
  if (!grip && !native) {
    throw new GripConfigError(
      `publish to '${channel}' has no target: set GRIP_URL (or GRIP_PROXIES, or GRIP_SECRET_ARN) for GRIP proxies, ` +
        `and/or ${Env.CONNECTION_TABLE} with ${Env.MANAGEMENT_ENDPOINT} for native WebSocket subscribers`,
    );
  }
  const [proxies, fanOut] = await Promise.allSettled([
    grip ? publishGrip(item) : Promise.resolve(0),
    native ? publishNative(fullChannel, formats, deps) : Promise.resolve(undefined),
  ]);
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

async function publishGrip(item: PublishItem): Promise<number> {
  const { proxies } = await loadGripConfig();
  await publishToProxies(proxies, [item], { onUnauthorized: reloadedProxies });
  return proxies.length;
}

function nativeConfigured(deps: NativeDeps): boolean {
  const table = deps.store !== undefined || Boolean(process.env[Env.CONNECTION_TABLE]);
  const endpoint =
    deps.managementClient !== undefined || Boolean(deps.managementEndpoint || process.env[Env.MANAGEMENT_ENDPOINT]);
  return table && endpoint;
}

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
  const { fanOut } = await import('./native/fan-out');
  const result = await fanOut(channel, data, deps);
  countMetric(MetricName.FANOUT_DELIVERED, result.delivered);
  countMetric(MetricName.FANOUT_GONE, result.gone);
  countMetric(MetricName.FANOUT_FAILED, result.failed);
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
