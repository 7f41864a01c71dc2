/**
 * Connection meta carried in headers: set with `Set-Meta-<name>: <value>` on a response, read back from
 * `Meta-<name>` on every later request. Names are validated; values are encoded so any string round-trips and no
 * CR, LF or control character can ever reach a header.
 */
import { MetaError } from '../core/errors';

/** Largest encoded meta value, in bytes. */
export const MAX_META_VALUE_BYTES = 1024;

/** Largest total of a connection's meta (names plus encoded values), in bytes. */
export const MAX_META_BYTES = 4096;

/** The meta a handler changed: new or changed values, and removed names. */
export interface MetaChanges {
  readonly set: Readonly<Record<string, string>>;
  readonly removed: readonly string[];
}

/** Meta changes already validated, with the header encoding ({@link encodeMetaValue}) of each value in `set`. */
export interface EncodedMetaChanges extends MetaChanges {
  /** The encoded value of each name in `set`. */
  readonly encoded: Readonly<Record<string, string>>;
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Printable ASCII without leading or trailing spaces (which header parsing would trim). */
const PLAIN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const ENCODED = /^=\?utf-8\?b\?([A-Za-z0-9+/]*={0,2})\?=$/i;
const ENCODED_PREFIX = '=?utf-8?b?';
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Lower-cases a meta name and checks it is a header token: letters, digits, `-` and `_`, starting with a letter or
 * digit. Throws MetaError otherwise.
 */
export function normalizeMetaName(name: string): string {
  const lower = typeof name === 'string' ? name.toLowerCase() : '';
  if (!NAME.test(lower)) {
    throw new MetaError(
      `meta name ${JSON.stringify(name)} cannot be a header name: use letters, digits, "-" and "_", ` +
        'starting with a letter or digit (names are lower-cased)',
    );
  }
  return lower;
}

/**
 * Encodes a meta value for a header. Printable ASCII without leading or trailing spaces stays as is; anything else
 * (non-ASCII, control characters, the empty string, values starting with `=?`) becomes `=?utf-8?b?<base64>?=`.
 * Lone UTF-16 surrogates are not Unicode and become U+FFFD.
 */
export function encodeMetaValue(value: string): string {
  if (typeof value !== 'string') throw new MetaError(`meta value must be a string, got ${typeof value}`);
  if (PLAIN.test(value) && !value.startsWith('=?')) return value;
  return `${ENCODED_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/**
 * Reverses encodeMetaValue. A value that only looks encoded (bad base64 or UTF-8) is returned unchanged.
 */
export function decodeMetaValue(raw: string): string {
  const match = ENCODED.exec(raw);
  if (!match || match[1].length % 4 !== 0) return raw;
  try {
    return utf8Strict.decode(Buffer.from(match[1], 'base64'));
  } catch {
    return raw;
  }
}

/** Reads the connection's meta from `meta-*` request headers (names of any case), values decoded. */
export function metaFromHeaders(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (value === undefined || header.length <= 5) continue;
    const lower = header.toLowerCase();
    if (lower.startsWith('meta-')) meta[lower.slice(5)] = decodeMetaValue(value);
  }
  return meta;
}

/**
 * Checks a whole meta object as user code left it: names valid and unique once lower-cased, values strings
 * (`undefined` counts as absent), each encoded value and the total within the caps. Returns it with lower-case
 * names. Entries equal to those in `received` (the meta the request came with) are kept without a name check.
 * Throws MetaError otherwise.
 */
export function normalizeMeta(
  meta: Readonly<Record<string, unknown>>,
  received: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, { value }] of normalizedEntries(meta, received)) out[name] = value;
  return out;
}

/**
 * What changed between the meta the request came with (`received`) and the meta as user code left it, checked as
 * {@link normalizeMeta} does; each value is validated and encoded once.
 */
export function diffMeta(
  meta: Readonly<Record<string, unknown>>,
  received: Readonly<Record<string, string>>,
): EncodedMetaChanges {
  const current = normalizedEntries(meta, received);
  const set: Record<string, string> = {};
  const encoded: Record<string, string> = {};
  for (const [name, entry] of current) {
    if (received[name] === entry.value) continue;
    set[name] = entry.value;
    encoded[name] = entry.encoded;
  }
  const removed = Object.keys(received).filter((name) => !current.has(name));
  return { set, removed, encoded };
}

/**
 * Builds `Set-Meta-<name>` response headers: encoded values for `set`, an empty value (which deletes) for
 * `removed`. Throws MetaError for a bad name, a value over MAX_META_VALUE_BYTES or a total over MAX_META_BYTES.
 */
export function metaHeaders(changes: MetaChanges): Record<string, string> {
  const set: Record<string, string> = {};
  const encoded: Record<string, string> = {};
  let total = 0;
  for (const [key, value] of Object.entries(changes.set)) {
    const name = normalizeMetaName(key);
    set[name] = value;
    encoded[name] = encodeChecked(name, value);
    total += name.length + encoded[name].length;
  }
  checkTotal(total);
  const removed = changes.removed.map((key) => {
    const name = normalizeMetaName(key);
    if (Object.hasOwn(set, name)) throw new MetaError(`meta ${JSON.stringify(name)} is both set and removed`);
    return name;
  });
  return setMetaHeaders({ set, removed, encoded });
}

/** `Set-Meta-<name>` headers of changes already validated and encoded (by {@link diffMeta}): no check repeated. */
export function setMetaHeaders(changes: EncodedMetaChanges): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(changes.set)) headers[`Set-Meta-${name}`] = changes.encoded[name];
  for (const name of changes.removed) headers[`Set-Meta-${name}`] = '';
  return headers;
}

/** The normalized entries of a meta object, each with its encoded value; the checks of {@link normalizeMeta}. */
function normalizedEntries(
  meta: Readonly<Record<string, unknown>>,
  received: Readonly<Record<string, string>>,
): Map<string, { readonly value: string; readonly encoded: string }> {
  const out = new Map<string, { readonly value: string; readonly encoded: string }>();
  let total = 0;
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    const name = Object.hasOwn(received, key) && received[key] === value ? key : normalizeMetaName(key);
    if (typeof value !== 'string') {
      throw new MetaError(`meta.${key} must be a string, got ${value === null ? 'null' : typeof value}: use String()`);
    }
    if (out.has(name)) {
      throw new MetaError(`meta names ${JSON.stringify(key)} and ${JSON.stringify(name)} collide once lower-cased`);
    }
    const encoded = encodeChecked(name, value);
    out.set(name, { value, encoded });
    total += name.length + encoded.length;
  }
  checkTotal(total);
  return out;
}

function checkTotal(total: number): void {
  if (total > MAX_META_BYTES) {
    throw new MetaError(`meta totals ${total} bytes encoded, over the ${MAX_META_BYTES}-byte limit: store less in it`);
  }
}

/** Encodes a value, refusing it when the encoding is over MAX_META_VALUE_BYTES. */
function encodeChecked(name: string, value: string): string {
  const encoded = encodeMetaValue(value);
  if (encoded.length > MAX_META_VALUE_BYTES) {
    throw new MetaError(
      `meta.${name} is ${encoded.length} bytes encoded, over the ${MAX_META_VALUE_BYTES}-byte limit per value: ` +
        'keep an id in meta and the data elsewhere',
    );
  }
  return encoded;
}
