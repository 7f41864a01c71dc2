/**
 * GRIP configuration from the environment (GRIP_URL, GRIP_PROXIES, GRIP_VERIFY_KEY, GRIP_VERIFY_ISS,
 * GRIP_SIG_VERIFY, GRIP_PREFIX) or from a Secrets Manager secret (GRIP_SECRET_ARN), cached for a bounded
 * time. The Secrets Manager client is loaded only when a secret is configured.
 */

import { readSecret } from '../../aws/secrets';
import { Env } from '../../contract';
import { containerScoped } from '../../core/container';
import { GripConfigError, SecretNotSetError } from '../../core/errors';
import type { SignatureVerification, TrustedKey } from '../grip-sig';
import { type GripProxy, type GripUrlOverrides, parseGripProxies, parseGripUrl, sharesPublishKey } from '../grip-url';
import { FASTLY_ISS_PREFIX, fastlyFanoutVerifyKey, loadVerifyKey, type VerifyKey } from '../keys';

/** Everything the runtime needs to talk to GRIP proxies. */
export interface GripConfig {
  /** Proxies to publish to; empty when nothing is configured. */
  readonly proxies: readonly GripProxy[];
  /** How incoming `Grip-Sig` headers are verified. */
  readonly verify: SignatureVerification;
  /** Prefix added to every channel name (GRIP_PREFIX). */
  readonly prefix: string;
}

/** How long a loaded configuration (and the secret's value) is reused before being read again. */
export const GRIP_CONFIG_TTL_MS = 5 * 60 * 1000;

/**
 * How long a configuration that failed to load (an unreadable or unset secret) is answered from memory: a flood of
 * requests, unauthenticated ones included, makes one secret read per period instead of one each.
 */
export const GRIP_CONFIG_FAILURE_TTL_MS = 5 * 1000;

/**
 * The least time between two reloads of the secret asked for by a `Grip-Sig` that did not verify
 * ({@link reloadAfterRejectedSignature}): a rotated key is picked up at once, forgeries cannot make a read each.
 */
export const GRIP_SIG_RELOAD_INTERVAL_MS = 30 * 1000;

const ENV_NAMES = [
  Env.GRIP_URL,
  Env.GRIP_PROXIES,
  Env.GRIP_SECRET_ARN,
  Env.GRIP_VERIFY_KEY,
  Env.GRIP_VERIFY_ISS,
  Env.GRIP_SIG_VERIFY,
  Env.GRIP_PREFIX,
] as const;

interface CacheEntry<T> {
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly value: T;
}

/** The container's configuration caches (loaded, loaded synchronously) and its last reload after a rejected Grip-Sig. */
const cache = containerScoped(
  (): {
    loaded?: CacheEntry<Promise<GripConfig>>;
    loadedSync?: CacheEntry<GripConfig>;
    lastSignatureReload?: number;
  } => ({}),
);

/**
 * Loads the GRIP configuration, reading the secret named by GRIP_SECRET_ARN when set (its value is a
 * GRIP_URL or a GRIP_PROXIES JSON list; its proxies are added to those of the environment). The result is
 * cached for {@link GRIP_CONFIG_TTL_MS}; {@link reloadGripConfig} drops it.
 *
 * @throws SecretNotSetError when the secret has no value yet.
 * @throws GripConfigError for a malformed configuration or an unreadable secret.
 */
export function loadGripConfig(env: NodeJS.ProcessEnv = process.env): Promise<GripConfig> {
  const fingerprint = fingerprintOf(env);
  const now = Date.now();
  const loaded = cache.get().loaded;
  if (loaded !== undefined && loaded.fingerprint === fingerprint && now < loaded.expiresAt) {
    return loaded.value;
  }
  const arn = setting(env, Env.GRIP_SECRET_ARN);
  const value = (async () =>
    buildConfig(env, arn === undefined ? undefined : { arn, value: await readGripSecret(arn) }))();
  const entry = { fingerprint, expiresAt: now + GRIP_CONFIG_TTL_MS, value };
  cache.get().loaded = entry;
  value.catch(() => {
    // Remembered briefly as a failure, never as a configuration.
    if (cache.get().loaded === entry)
      cache.get().loaded = { ...entry, expiresAt: Date.now() + GRIP_CONFIG_FAILURE_TTL_MS };
  });
  return value;
}

/**
 * After a `Grip-Sig` that did not verify: when the configuration comes from a secret (GRIP_SECRET_ARN), reads the
 * secret again so a rotated key is accepted at once, at most once per {@link GRIP_SIG_RELOAD_INTERVAL_MS}.
 *
 * @returns the reloaded configuration, or undefined when there is no secret or a reload was made too recently.
 */
export function reloadAfterRejectedSignature(env: NodeJS.ProcessEnv = process.env): Promise<GripConfig> | undefined {
  if (setting(env, Env.GRIP_SECRET_ARN) === undefined) return undefined;
  const now = Date.now();
  const last = cache.get().lastSignatureReload;
  if (last !== undefined && isWithin(now - last, GRIP_SIG_RELOAD_INTERVAL_MS)) {
    return undefined;
  }
  cache.get().lastSignatureReload = now;
  cache.get().loaded = undefined;
  return loadGripConfig(env);
}

/** True when `age` is within `limitMs`; a clock that went back (a negative age) is not. */
function isWithin(age: number, limitMs: number): boolean {
  return age >= 0 && age < limitMs;
}

/**
 * Loads the GRIP configuration from the environment only, synchronously (for the seed-compatible API).
 *
 * @throws GripConfigError when GRIP_SECRET_ARN is set (a secret can only be read asynchronously) or the
 *   configuration is malformed.
 */
export function loadGripConfigSync(env: NodeJS.ProcessEnv = process.env): GripConfig {
  const arn = setting(env, Env.GRIP_SECRET_ARN);
  if (arn !== undefined) {
    throw new GripConfigError(
      `GRIP_SECRET_ARN is set (${arn}): a secret can only be read asynchronously, so use the async API ` +
        '(getWebSocket(), loadGripConfig()) or configure GRIP_URL instead',
    );
  }
  const fingerprint = fingerprintOf(env);
  const caches = cache.get();
  if (caches.loadedSync?.fingerprint !== fingerprint) {
    caches.loadedSync = { fingerprint, expiresAt: Number.POSITIVE_INFINITY, value: buildConfig(env, undefined) };
  }
  return caches.loadedSync.value;
}

/** Drops the cached configuration so the next load reads the environment and the secret again. */
export function reloadGripConfig(): void {
  cache.reset();
}

/**
 * The channel prefix (GRIP_PREFIX, else ''), the same as a loaded configuration's `prefix`. For code that needs the
 * prefix without loading the configuration (a native-only publish, the native context).
 */
export function gripPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env[Env.GRIP_PREFIX] ?? '';
}

function buildConfig(env: NodeJS.ProcessEnv, secret: { arn: string; value: string } | undefined): GripConfig {
  const overrides: GripUrlOverrides = {
    verifyKey: setting(env, Env.GRIP_VERIFY_KEY),
    verifyIss: setting(env, Env.GRIP_VERIFY_ISS),
  };
  const url = setting(env, Env.GRIP_URL);
  const list = setting(env, Env.GRIP_PROXIES);
  const proxies = [
    ...(url === undefined ? [] : [parseGripUrl(url, overrides)]),
    ...(list === undefined ? [] : parseGripProxies(list, overrides)),
    ...(secret === undefined ? [] : parseSecretValue(secret.arn, secret.value, overrides)),
  ];
  return { proxies, verify: verificationOf(env, proxies, overrides), prefix: gripPrefix(env) };
}

function verificationOf(
  env: NodeJS.ProcessEnv,
  proxies: readonly GripProxy[],
  overrides: GripUrlOverrides,
): SignatureVerification {
  const mode = (setting(env, Env.GRIP_SIG_VERIFY) ?? 'on').toLowerCase();
  if (mode !== 'on' && mode !== 'off') {
    throw new GripConfigError(`GRIP_SIG_VERIFY is '${mode}': use 'on' (the default) or 'off'`);
  }
  const keys: TrustedKey[] = proxies.flatMap((p) => (p.verifyKey ? [trustedKeyOf(p, p.verifyKey)] : []));
  if (proxies.length === 0 && overrides.verifyKey !== undefined) {
    keys.push({ key: loadVerifyKey(overrides.verifyKey, 'GRIP_VERIFY_KEY'), iss: overrides.verifyIss });
  } else if (proxies.length === 0 && overrides.verifyIss?.startsWith(FASTLY_ISS_PREFIX)) {
    keys.push({ key: fastlyFanoutVerifyKey(), iss: overrides.verifyIss });
  }
  return { enabled: mode === 'on', keys };
}

/** A proxy's Grip-Sig key; when its shared key also signs publishes, tokens with the publish issuer are refused. */
function trustedKeyOf(proxy: GripProxy, key: VerifyKey): TrustedKey {
  const refusedIss = sharesPublishKey(proxy) ? proxy.controlIss : undefined;
  return refusedIss === undefined ? { key, iss: proxy.verifyIss } : { key, iss: proxy.verifyIss, refusedIss };
}

function parseSecretValue(arn: string, value: string, overrides: GripUrlOverrides): GripProxy[] {
  const text = value.trim();
  const label = `secret ${arn}`;
  if (/^https?:\/\//i.test(text)) {
    return [parseGripUrl(text, overrides, label)];
  }
  if (text.startsWith('[')) {
    return parseGripProxies(text, overrides, label);
  }
  if (text.startsWith('{')) {
    return parseSecretObject(label, text, overrides);
  }
  throw notSet(arn, 'its value is not a GRIP_URL or a JSON list (a placeholder?)');
}

/** A key/value secret (`{"GRIP_URL": ..., "GRIP_PROXIES": ...}`) or a single proxy object. */
function parseSecretObject(label: string, text: string, overrides: GripUrlOverrides): GripProxy[] {
  let object: Record<string, unknown>;
  try {
    object = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new GripConfigError(`${label} starts with '{' but is not valid JSON: store a GRIP_URL or a JSON list`);
  }
  if (!(Env.GRIP_URL in object) && !(Env.GRIP_PROXIES in object)) {
    return parseGripProxies(JSON.stringify([object]), overrides, label);
  }
  const { GRIP_URL: url, GRIP_PROXIES: list } = object;
  return [
    ...(typeof url === 'string' ? [parseGripUrl(url, overrides, `${label} GRIP_URL`)] : []),
    ...(list === undefined
      ? []
      : parseGripProxies(typeof list === 'string' ? list : JSON.stringify(list), overrides, `${label} GRIP_PROXIES`)),
  ];
}

async function readGripSecret(arn: string): Promise<string> {
  let value: string | undefined;
  try {
    // The configuration cache decides when the secret is read again (failures included); this only shares a read
    // in flight.
    value = await readSecret(arn, { maxAgeMs: 0, failureTtlMs: 0 });
  } catch (error) {
    const { name = '', message = '' } = (typeof error === 'object' && error !== null ? error : {}) as Partial<Error>;
    if (name === 'ResourceNotFoundException' && /secret value|staging label/i.test(message)) {
      throw notSet(arn, 'it has no value yet');
    }
    throw new GripConfigError(
      `cannot read secret ${arn} (${name || 'error'}: ${message}): check GRIP_SECRET_ARN and that the ` +
        'function may call secretsmanager:GetSecretValue on it',
      { cause: error },
    );
  }
  if (value === undefined || value.trim() === '') {
    throw notSet(arn, 'its value is empty');
  }
  return value;
}

function notSet(arn: string, why: string): SecretNotSetError {
  return new SecretNotSetError(
    `secret ${arn} is not set up: ${why}. Put the GRIP_URL in it, e.g. aws secretsmanager put-secret-value ` +
      `--secret-id ${arn} --secret-string 'https://<proxy>/<path>?iss=...&key=...'`,
  );
}

function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function fingerprintOf(env: NodeJS.ProcessEnv): string {
  return JSON.stringify(ENV_NAMES.map((name) => env[name] ?? null));
}
