/**
 * The runtime's settings: every environment variable the runtime reads, by the names of contract.ts (and the few
 * that Lambda itself sets), read and validated in one place. `runtimeSettings()` gives the container's settings:
 * each value is parsed on first use and kept while the environment stays the same (in Lambda, for the container's
 * life), so an invalid native setting fails the first native call, not a GRIP request.
 *
 * GRIP configuration (GRIP_URL, GRIP_PROXIES, a secret) has its own reader with key loading and caching
 * (grip/io/grip-config.ts); here is only whether one is set.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DEFAULT_METRICS_NAMESPACE, Env } from '../contract';
import { GripConfigError } from './errors';
import { type AuthSettings, parseAuthSettings } from './identity';

/** Messages per second one connection may send, and how many at once. */
export interface MessageRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** How `Content-Bytes-Accepted` is used: detected from the request, always, or never. */
export type FlowControlSetting = 'auto' | 'on' | 'off';

/** Default sustained inbound rate of one connection, messages per second. */
export const DEFAULT_MESSAGE_RATE = 50;
/** Default burst of one connection, messages. */
export const DEFAULT_MESSAGE_BURST = 500;
/** Default number of PostToConnection calls a fan-out keeps in flight. */
export const DEFAULT_FANOUT_CONCURRENCY = 50;
/** Default time a durable channel keeps a message: 24 hours. */
export const DEFAULT_HISTORY_MAX_AGE_SECONDS = 24 * 60 * 60;
/** Default members above which a native fan-out is sharded. */
export const DEFAULT_FANOUT_THRESHOLD = 10_000;
/** Default shards of a sharded fan-out in flight at once. */
export const DEFAULT_FANOUT_SHARDS = 3;
/** Default members one shard invocation posts before handing on. */
export const DEFAULT_FANOUT_SHARD_SIZE = 5000;
/** Default number of latest messages a durable channel keeps. */
export const DEFAULT_HISTORY_MAX_COUNT = 1000;
/** Default seconds without a liveness signal before a presence member is stale: 45. */
export const DEFAULT_PRESENCE_TIMEOUT_SECONDS = 45;

/** The environment variables the settings are read from (a snapshot decides whether they changed). */
const NAMES = [
  ...Object.values(Env),
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_LOG_LEVEL',
  'LOG_LEVEL',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
] as const;

const TRUE = /^(1|true|yes|on)$/i;
/** The logger's levels, lowest first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One log level of the runtime's logger. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The settings of one environment; every getter parses and validates once. */
export class RuntimeSettings {
  private readonly parsed = new Map<string, unknown>();

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** Whether a GRIP configuration is set (GRIP_URL, GRIP_PROXIES or GRIP_SECRET_ARN). */
  get gripConfigured(): boolean {
    return this.once('gripConfigured', () =>
      [Env.GRIP_URL, Env.GRIP_PROXIES, Env.GRIP_SECRET_ARN].some((name) => Boolean(this.text(name))),
    );
  }

  /**
   * The inbound message rate (FAAS_GRIP_MESSAGE_RATE, FAAS_GRIP_MESSAGE_BURST); undefined when turned off (`off`
   * or `0`). @throws GripConfigError for a rate that is not a positive number or a burst not a whole number >= 1.
   */
  get messageRate(): MessageRate | undefined {
    return this.once('messageRate', () => {
      const rateText = this.text(Env.MESSAGE_RATE)?.toLowerCase();
      if (rateText === 'off' || rateText === '0') return undefined;
      const perSecond = rateText ? Number(rateText) : DEFAULT_MESSAGE_RATE;
      if (!Number.isFinite(perSecond) || perSecond <= 0) {
        throw new GripConfigError(
          `${Env.MESSAGE_RATE} is ${JSON.stringify(rateText)}: give messages per second (a positive number), or off`,
        );
      }
      const burstText = this.text(Env.MESSAGE_BURST);
      const burst = burstText ? Number(burstText) : DEFAULT_MESSAGE_BURST;
      if (!Number.isInteger(burst) || burst < 1) {
        throw new GripConfigError(
          `${Env.MESSAGE_BURST} is ${JSON.stringify(burstText)}: give a whole number of messages >= 1`,
        );
      }
      return { perSecond, burst };
    });
  }

  /** FAAS_GRIP_FLOW_CONTROL: `auto` (default), `on` or `off`. @throws GripConfigError for another value. */
  get flowControl(): FlowControlSetting {
    return this.once('flowControl', () => {
      const text = this.text(Env.FLOW_CONTROL)?.toLowerCase() || 'auto';
      if (text === 'auto' || text === 'on' || text === 'off') return text;
      throw new GripConfigError(`${Env.FLOW_CONTROL} is ${JSON.stringify(text)}: use auto, on or off`);
    });
  }

  /** FAAS_GRIP_CONNECTION_TABLE, when set. */
  get connectionTable(): string | undefined {
    return this.text(Env.CONNECTION_TABLE);
  }

  /** FAAS_GRIP_MANAGEMENT_ENDPOINT, when set (checked where it is used: native/management.ts). */
  get managementEndpoint(): string | undefined {
    return this.text(Env.MANAGEMENT_ENDPOINT);
  }

  /**
   * FAAS_GRIP_FANOUT_CONCURRENCY, default {@link DEFAULT_FANOUT_CONCURRENCY}.
   * @throws GripConfigError for a value that is not a whole number >= 1.
   */
  get fanOutConcurrency(): number {
    return this.once('fanOutConcurrency', () => parseConcurrency(this.text(Env.FANOUT_CONCURRENCY)));
  }

  /**
   * How big fan-outs are sharded: above `threshold` members (FAAS_GRIP_FANOUT_THRESHOLD), `shards` invocations at
   * once (FAAS_GRIP_FANOUT_SHARDS), each posting up to `shardSize` members (FAAS_GRIP_FANOUT_SHARD_SIZE).
   * @throws GripConfigError for a value that is not a whole number >= 1 (shards at most 100).
   */
  get fanOutSharding(): { readonly threshold: number; readonly shards: number; readonly shardSize: number } {
    return this.once('fanOutSharding', () => {
      const shards = positiveInteger(this.text(Env.FANOUT_SHARDS), DEFAULT_FANOUT_SHARDS, Env.FANOUT_SHARDS);
      if (shards > 100) throw new GripConfigError(`${Env.FANOUT_SHARDS} is ${shards}: at most 100`);
      return {
        threshold: positiveInteger(this.text(Env.FANOUT_THRESHOLD), DEFAULT_FANOUT_THRESHOLD, Env.FANOUT_THRESHOLD),
        shards,
        shardSize: positiveInteger(this.text(Env.FANOUT_SHARD_SIZE), DEFAULT_FANOUT_SHARD_SIZE, Env.FANOUT_SHARD_SIZE),
      };
    });
  }

  /** FAAS_GRIP_CHANNEL_LOG_TABLE, when set: the durable channels' log. */
  get channelLogTable(): string | undefined {
    return this.text(Env.CHANNEL_LOG_TABLE);
  }

  /**
   * FAAS_GRIP_DURABLE_CHANNELS: the channel-name patterns whose publishes are durable (`*` matches any run of
   * characters; comma-separated). Default: every channel (`*`) when a channel log table is set, else none.
   */
  get durableChannels(): readonly RegExp[] {
    return this.once('durableChannels', () =>
      patterns(this.text(Env.DURABLE_CHANNELS) ?? (this.channelLogTable ? '*' : '')),
    );
  }

  /** True when publishes to `channel` are durable by default (it matches {@link durableChannels}). */
  isDurable(channel: string): boolean {
    return this.durableChannels.some((pattern) => pattern.test(channel));
  }

  /** True when joins and leaves of `channel` are announced (it matches {@link presenceEventChannels}). */
  announcesPresence(channel: string): boolean {
    return this.presenceEventChannels.some((pattern) => pattern.test(channel));
  }

  /** FAAS_GRIP_HISTORY_MAX_AGE, seconds. @throws GripConfigError for a value that is not a whole number >= 1. */
  get historyMaxAgeSeconds(): number {
    return this.once('historyMaxAge', () =>
      positiveInteger(this.text(Env.HISTORY_MAX_AGE), DEFAULT_HISTORY_MAX_AGE_SECONDS, Env.HISTORY_MAX_AGE),
    );
  }

  /** FAAS_GRIP_HISTORY_MAX_COUNT. @throws GripConfigError for a value that is not a whole number >= 1. */
  get historyMaxCount(): number {
    return this.once('historyMaxCount', () =>
      positiveInteger(this.text(Env.HISTORY_MAX_COUNT), DEFAULT_HISTORY_MAX_COUNT, Env.HISTORY_MAX_COUNT),
    );
  }

  /** FAAS_GRIP_PRESENCE_TABLE, when set: the presence table. */
  get presenceTable(): string | undefined {
    return this.text(Env.PRESENCE_TABLE);
  }

  /**
   * FAAS_GRIP_PRESENCE_EVENTS: the channel-name patterns whose joins and leaves are announced to the channel's
   * subscribers (comma-separated, `*` any run of characters; empty: none). Every channel by default.
   */
  get presenceEventChannels(): readonly RegExp[] {
    return this.once('presenceEvents', () => patterns(this.env[Env.PRESENCE_EVENTS] ?? '*'));
  }

  /** FAAS_GRIP_PRESENCE_TIMEOUT, seconds. @throws GripConfigError for a value that is not a whole number >= 1. */
  get presenceTimeoutSeconds(): number {
    return this.once('presenceTimeout', () =>
      positiveInteger(this.text(Env.PRESENCE_TIMEOUT), DEFAULT_PRESENCE_TIMEOUT_SECONDS, Env.PRESENCE_TIMEOUT),
    );
  }

  /** The CloudWatch namespace of the runtime's metrics (FAAS_GRIP_METRICS_NAMESPACE, default `FaasGrip`). */
  get metricsNamespace(): string {
    return this.text(Env.METRICS_NAMESPACE) || DEFAULT_METRICS_NAMESPACE;
  }

  /** The metrics' `service` dimension: the function's name, else POWERTOOLS_SERVICE_NAME, else `faas-grip`. */
  get metricsService(): string {
    return this.text('AWS_LAMBDA_FUNCTION_NAME') || this.text('POWERTOOLS_SERVICE_NAME') || 'faas-grip';
  }

  /**
   * Whether metrics output is off: POWERTOOLS_METRICS_DISABLED true (or POWERTOOLS_DEV true with it unset), as
   * Powertools documents; under jest unless one of them is set.
   */
  get metricsOff(): boolean {
    const disabled = this.text('POWERTOOLS_METRICS_DISABLED');
    if (disabled !== undefined) return TRUE.test(disabled);
    const dev = this.text('POWERTOOLS_DEV');
    if (dev !== undefined) return TRUE.test(dev);
    return process.env.JEST_WORKER_ID !== undefined;
  }

  /** The logger's threshold: AWS_LAMBDA_LOG_LEVEL, else LOG_LEVEL, else `info` (an unknown level counts as info). */
  get logLevel(): LogLevel {
    const wanted = (this.text('AWS_LAMBDA_LOG_LEVEL') ?? this.text('LOG_LEVEL') ?? 'info').toLowerCase();
    return (LOG_LEVELS as readonly string[]).includes(wanted) ? (wanted as LogLevel) : 'info';
  }

  /** This function's name and version as Lambda sets them (the self-invocation of the native transport uses them). */
  get lambdaFunction(): { readonly name?: string; readonly version?: string } {
    return { name: this.text('AWS_LAMBDA_FUNCTION_NAME'), version: this.text('AWS_LAMBDA_FUNCTION_VERSION') };
  }

  /** The native authorizer's shared token, or the ARN of the secret holding it (read instead when set). */
  get authorizerToken(): { readonly value?: string; readonly secretArn?: string } {
    return { value: this.env[Env.AUTHORIZER_TOKEN], secretArn: this.text(Env.AUTHORIZER_TOKEN_SECRET_ARN) };
  }

  /**
   * Verified identity (FAAS_GRIP_AUTH_*), when FAAS_GRIP_AUTH_ISSUER is set.
   * @throws GripConfigError for a value that cannot be used.
   */
  get auth(): AuthSettings | undefined {
    return this.once('auth', () => parseAuthSettings(this.env));
  }

  /**
   * FAAS_GRIP_PRIVATE_CHANNELS: channel-name patterns open only to listed users, as JSON
   * `{"<pattern>": ["<sub or group:name>", ...]}`. Empty when unset.
   * @throws GripConfigError for a value of another shape.
   */
  get privateChannels(): Readonly<Record<string, readonly string[]>> {
    return this.once('privateChannels', () => {
      const text = this.text(Env.PRIVATE_CHANNELS);
      if (text === undefined) return {};
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      const ok =
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string'));
      if (!ok) {
        throw new GripConfigError(
          `${Env.PRIVATE_CHANNELS} must be JSON like {"staff": ["alice", "group:admins"]}, got ${JSON.stringify(text)}`,
        );
      }
      return value as Record<string, string[]>;
    });
  }

  /** FAAS_GRIP_USER_CHANNEL_PREFIX (set it empty to turn per-user channels off); default `user:`. */
  get userChannelPrefix(): string {
    return this.env[Env.USER_CHANNEL_PREFIX]?.trim() ?? 'user:';
  }

  /** A variable's trimmed value; undefined when unset or blank. */
  private text(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  private once<T>(key: string, read: () => T): T {
    if (!this.parsed.has(key)) this.parsed.set(key, read());
    return this.parsed.get(key) as T;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new GripConfigError(`${name} is ${JSON.stringify(text)}: give a whole number >= 1`);
  }
  return value;
}

/** A fan-out concurrency from text: undefined or blank is the default. @throws GripConfigError otherwise. */
export function parseConcurrency(raw: string | number | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_FANOUT_CONCURRENCY;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new GripConfigError(`${Env.FANOUT_CONCURRENCY} "${raw}" is not a positive integer: use e.g. 50`);
  }
  return value;
}

let current: { readonly key: string; readonly settings: RuntimeSettings } | undefined;

/** The settings of the running invocation, read once in it ({@link withSettingsScope}). */
const scope = new AsyncLocalStorage<{ settings?: RuntimeSettings }>();

/**
 * Runs `fn` (one invocation) with the settings read at most once: the environment does not change while an
 * invocation runs, and reading it (every variable, to notice a change) is the costly part of
 * {@link runtimeSettings}.
 */
export function withSettingsScope<T>(fn: () => T): T {
  return scope.run({}, fn);
}

/**
 * The container's settings, read from `process.env`: the same object while the variables keep their values (in
 * Lambda, for the container's life), a fresh one when one changed (as tests do); read once per invocation run
 * through {@link withSettingsScope}.
 */
export function runtimeSettings(): RuntimeSettings {
  const store = scope.getStore();
  if (store === undefined) return readSettings();
  store.settings ??= readSettings();
  return store.settings;
}

function readSettings(): RuntimeSettings {
  const env = process.env;
  const key = NAMES.map((name) => env[name] ?? '\u0000').join('\u0001');
  if (current?.key !== key) {
    current = { key, settings: new RuntimeSettings(Object.fromEntries(NAMES.map((name) => [name, env[name]]))) };
  }
  return current.settings;
}

/** A channel-name pattern (`*` any run of characters) as a RegExp matching whole names. */
export function channelPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
}

/** Comma-separated channel-name patterns. */
function patterns(text: string): RegExp[] {
  return text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean)
    .map(channelPattern);
}
