/**
 * Publishing to GRIP control APIs (`POST <control uri>/publish/`): authentication, a timeout per attempt,
 * bounded retries with jittered backoff, one re-authentication after a 401, and a {@link PublishError}
 * naming every proxy that was not reached while the others still get the publish.
 */
import jws from 'jws';
import { backoffDelay, sleep } from '../../core/backoff';
import { InvalidValueError, OutputLimitError, PublishError, type PublishFailure } from '../../core/errors';
import type { Format } from '../formats';
import type { GripProxy } from '../grip-url';
import { type Post, postWithFetch, postWithNode } from './publish-post';

/** One message for one channel, in one or more formats. */
export interface PublishItem {
  /** The channel, with any prefix already applied. */
  readonly channel: string;
  /** At least one format, each name at most once. */
  readonly formats: readonly Format[];
  /** The item's id, for ordering and recovery. */
  readonly id?: string;
  /** The id of the item published before this one on the channel. */
  readonly prevId?: string;
  /** Item meta, used by subscription filters (for example `sender` with `skip-self`). */
  readonly meta?: Readonly<Record<string, string>>;
}

/** Tuning and test hooks of {@link publishToProxies}. */
export interface PublisherOptions {
  /** Time allowed for one attempt (connect, answer and body). @default 5000 */
  readonly timeoutMs?: number;
  /** Attempts per proxy for network errors, timeouts, 429 and 5xx. @default 3 */
  readonly attempts?: number;
  /** First backoff delay; doubled per attempt, capped at 2 s, with jitter. @default 100 */
  readonly backoffBaseMs?: number;
  /**
   * A fetch implementation to send the POST with instead (tests, instrumentation).
   * @default - node:http or node:https `request` through keep-alive agents
   */
  readonly fetch?: typeof fetch;
  /**
   * Called at most once per publish when a proxy answers 401; returns the reloaded proxies (matched by
   * control URI) and the request is retried once with their credentials.
   * @default - a 401 fails the proxy
   */
  readonly onUnauthorized?: () => Promise<readonly GripProxy[] | undefined>;
}

/** Largest publish body Pushpin accepts by default (`push_in_http_max_body_size`). */
export const MAX_PUBLISH_BODY_BYTES = 1_000_000;

/** Lifetime of the JWT that authenticates a publish. */
const PUBLISH_JWT_SECONDS = 600;
const MAX_BACKOFF_MS = 2000;
/**
 * Serializes items as the control API's `{"items": [...]}` body, formats nested under `formats`.
 *
 * @throws InvalidValueError for an empty channel, no formats, a repeated format or non-string meta.
 */
export function encodePublishBody(items: readonly PublishItem[]): string {
  return JSON.stringify({ items: items.map(encodeItem) });
}

/**
 * Publishes items to every proxy in parallel. Proxies that work receive the publish even when others fail.
 *
 * @throws PublishError naming each failed proxy (control URI) and why (status and body, timeout, network).
 * @throws OutputLimitError when the body exceeds {@link MAX_PUBLISH_BODY_BYTES}.
 */
export async function publishToProxies(
  proxies: readonly GripProxy[],
  items: readonly PublishItem[],
  options: PublisherOptions = {},
): Promise<void> {
  const body = encodePublishBody(items);
  if (Buffer.byteLength(body) > MAX_PUBLISH_BODY_BYTES) {
    throw new OutputLimitError(`publish body is ${Buffer.byteLength(body)} bytes: split it below 1,000,000 bytes`);
  }
  let reloaded: Promise<readonly GripProxy[]> | undefined;
  const reload = () => {
    reloaded ??= (async () => (await options.onUnauthorized?.()) ?? [])();
    return reloaded;
  };
  const outcomes = await Promise.all(
    proxies.map(async (proxy): Promise<PublishFailure | undefined> => {
      try {
        await publishTo(proxy, body, options, reload);
        return undefined;
      } catch (error) {
        return { target: proxy.controlUri, cause: error instanceof Error ? error : new Error(String(error)) };
      }
    }),
  );
  // In the order of the proxies, whatever order they failed in.
  const failures = outcomes.filter((failure): failure is PublishFailure => failure !== undefined);
  if (failures.length > 0) {
    throw new PublishError(failures);
  }
}

/** The proxies an item of {@link publishInOrder} did not reach, and why (empty: every proxy took it). */
export type ItemFailures = readonly PublishFailure[];

/**
 * Publishes many items, in order, in as few control requests as fit: the control API takes a list of items per
 * POST and applies them in order, so consecutive items go together in bodies of at most `maxBodyBytes`. Each proxy
 * gets the requests one after the other (in parallel with the other proxies). When a request fails on a proxy, the
 * later requests are not sent to it (they would overtake what failed): their items fail too, saying so. An item
 * that cannot be encoded, or is over the limit on its own, fails alone. Never rejects.
 *
 * @returns the failures of each item, in the items' order.
 */
export async function publishInOrder(
  proxies: readonly GripProxy[],
  items: readonly PublishItem[],
  options: PublisherOptions & { readonly maxBodyBytes?: number } = {},
): Promise<ItemFailures[]> {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_PUBLISH_BODY_BYTES;
  const failures: PublishFailure[][] = items.map(() => []);
  const chunks: Array<{ readonly indexes: number[]; readonly body: string }> = [];
  let indexes: number[] = [];
  let parts: string[] = [];
  let size = BODY_OVERHEAD_BYTES;
  const close = () => {
    if (indexes.length > 0) chunks.push({ indexes, body: `{"items":[${parts.join(',')}]}` });
    indexes = [];
    parts = [];
    size = BODY_OVERHEAD_BYTES;
  };
  items.forEach((item, index) => {
    let part: string;
    try {
      part = JSON.stringify(encodeItem(item));
    } catch (error) {
      failures[index].push({ target: 'grip', cause: asError(error) });
      return;
    }
    const bytes = Buffer.byteLength(part) + (parts.length > 0 ? 1 : 0);
    if (BODY_OVERHEAD_BYTES + Buffer.byteLength(part) > maxBodyBytes) {
      const cause = new OutputLimitError(
        `publish item for '${item.channel}' is ${Buffer.byteLength(part)} bytes encoded: ` +
          `the limit of one publish body is ${maxBodyBytes} bytes`,
      );
      failures[index].push({ target: 'grip', cause });
      return;
    }
    if (size + bytes > maxBodyBytes) close();
    indexes.push(index);
    parts.push(part);
    size += Buffer.byteLength(part) + (parts.length > 1 ? 1 : 0);
  });
  close();
  let reloaded: Promise<readonly GripProxy[]> | undefined;
  const reload = () => {
    reloaded ??= (async () => (await options.onUnauthorized?.()) ?? [])();
    return reloaded;
  };
  await Promise.all(
    proxies.map(async (proxy) => {
      let stopped: Error | undefined;
      for (const chunk of chunks) {
        let cause = stopped;
        if (cause === undefined) {
          try {
            await publishTo(proxy, chunk.body, options, reload);
          } catch (error) {
            cause = asError(error);
            stopped = new Error(
              `not sent: an earlier publish of the same batch failed on this proxy (${cause.message})`,
            );
          }
        }
        if (cause !== undefined) for (const i of chunk.indexes) failures[i].push({ target: proxy.controlUri, cause });
      }
    }),
  );
  // In the order of the proxies, whatever order they failed in.
  const order = new Map(proxies.map((p, i) => [p.controlUri, i]));
  return failures.map((list) => list.sort((a, b) => (order.get(a.target) ?? -1) - (order.get(b.target) ?? -1)));
}

/** `{"items":[` and `]}` around the items of a publish body. */
const BODY_OVERHEAD_BYTES = 12;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

async function publishTo(
  proxy: GripProxy,
  body: string,
  options: PublisherOptions,
  reload: () => Promise<readonly GripProxy[]>,
): Promise<void> {
  const { timeoutMs = 5000, attempts = 3, backoffBaseMs = 100 } = options;
  const post = options.fetch === undefined ? postWithNode : postWithFetch(options.fetch);
  let current = proxy;
  let reauthorized = false;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(current, body, timeoutMs, post);
    if (outcome.status !== undefined && outcome.status < 300) return;
    if (outcome.status === 401 && !reauthorized && options.onUnauthorized !== undefined) {
      // The hook's own failure is not a network error: it is not retried.
      reauthorized = true;
      current = (await reload()).find((p) => p.controlUri === proxy.controlUri) ?? current;
      attempt--;
      continue;
    }
    if (!outcome.retry || attempt >= attempts) {
      const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
      throw new Error(`${outcome.error.message}${tries}`, { cause: outcome.error.cause });
    }
    await sleep(backoffDelay(attempt, backoffBaseMs, MAX_BACKOFF_MS));
  }
}

type Outcome = { status: number; error: Error; retry: boolean } | { status?: undefined; error: Error; retry: boolean };

/** One POST: a status (with the error it would be) or a network error; retryable for 429, 5xx and the network. */
async function attemptOnce(proxy: GripProxy, body: string, timeoutMs: number, post: Post): Promise<Outcome> {
  try {
    const headers = { 'Content-Type': 'application/json', ...authorization(proxy) };
    const { status, text } = await post(publishUrl(proxy), headers, body, timeoutMs);
    return { status, error: new Error(`HTTP ${status}: ${snippet(text)}`), retry: status >= 500 || status === 429 };
  } catch (error) {
    return { error: networkError(error, timeoutMs), retry: !(error instanceof InvalidValueError) };
  }
}

function publishUrl(proxy: GripProxy): URL {
  const url = new URL(proxy.controlUri);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/publish/`;
  // Credentials travel in the Authorization header only (node:http would turn userinfo into Basic auth).
  url.username = '';
  url.password = '';
  return url;
}

/** `Bearer <JWT>` with `controlIss` and `key`, `Bearer <key>` with only `key`, else Basic from user:pass. */
function authorization(proxy: GripProxy): Record<string, string> {
  if (proxy.key !== undefined && proxy.controlIss !== undefined) {
    const exp = Math.floor(Date.now() / 1000) + PUBLISH_JWT_SECONDS;
    const token = jws.sign({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: { iss: proxy.controlIss, exp },
      secret: Buffer.from(proxy.key),
    });
    return { Authorization: `Bearer ${token}` };
  }
  if (proxy.key !== undefined) {
    const token = Buffer.from(proxy.key).toString('utf8');
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new InvalidValueError('the key is not a printable token, so it cannot be sent as Bearer: add iss=...');
    }
    return { Authorization: `Bearer ${token}` };
  }
  if (proxy.user !== undefined) {
    const basic = Buffer.from(`${proxy.user}:${proxy.pass ?? ''}`, 'utf8').toString('base64');
    return { Authorization: `Basic ${basic}` };
  }
  return {};
}

function encodeItem(item: PublishItem): Record<string, unknown> {
  if (typeof item.channel !== 'string' || item.channel === '') {
    throw new InvalidValueError('publish item has an empty channel: give the channel name');
  }
  if (item.formats.length === 0) {
    throw new InvalidValueError(`publish item for channel '${item.channel}' has no format: add at least one`);
  }
  const formats: Record<string, unknown> = {};
  for (const format of item.formats) {
    if (format.name in formats) {
      throw new InvalidValueError(`publish item for channel '${item.channel}' has two '${format.name}' formats`);
    }
    formats[format.name] = format.export();
  }
  for (const [name, value] of Object.entries(item.meta ?? {})) {
    if (typeof value !== 'string') {
      throw new InvalidValueError(`publish meta '${name}' is a ${typeof value}: meta values are strings`);
    }
  }
  return {
    channel: item.channel,
    ...(item.id === undefined ? {} : { id: item.id }),
    ...(item.prevId === undefined ? {} : { 'prev-id': item.prevId }),
    ...(item.meta === undefined ? {} : { meta: { ...item.meta } }),
    formats,
  };
}

function networkError(error: unknown, timeoutMs: number): Error {
  if (error instanceof InvalidValueError) return error;
  // Errors of an injected fetch may come from another realm (undici), so they are read by shape, not instanceof.
  const { name, message, code: own, cause } = fields(error);
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new Error(`no answer within ${timeoutMs} ms`, { cause: error });
  }
  // node:http puts the code on the error (its message often names it too); fetch puts it on the cause.
  const code = own ?? fields(cause).code;
  const text = message || String(error);
  const suffix = code !== undefined && !text.includes(code) ? ` (${code})` : '';
  return new Error(`request failed: ${text}${suffix}`, { cause: error });
}

function fields(value: unknown): { name?: string; message?: string; code?: string; cause?: unknown } {
  if (value === null || typeof value !== 'object') return {};
  const record = value as Record<string, unknown>;
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
  return { name: text('name'), message: text('message'), code: text('code'), cause: record.cause };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}
