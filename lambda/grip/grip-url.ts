/**
 * GRIP_URL and GRIP_PROXIES parsing: `<control uri>?iss=..&key=..&verify-iss=..&verify-key=..`, with
 * `user:pass@` for Basic auth. Keys are decoded here; error messages never show a key.
 */
import { GripConfigError } from '../core/errors';
import {
  decodeSecret,
  FASTLY_ISS_PREFIX,
  fastlyFanoutVerifyKey,
  loadVerifyKey,
  type VerifyKey,
  type VerifyKeyInput,
  verifyKeyFromBytes,
} from './keys';

/** One GRIP proxy: where to publish, how to authenticate, and how to verify its `Grip-Sig`. */
export interface GripProxy {
  /** Control API base URI without credentials, `iss`/`key`/`verify-*` params or a trailing `/`. */
  readonly controlUri: string;
  /** Issuer of the publish JWT; with `key`, publishes carry an HS256 JWT. */
  readonly controlIss?: string;
  /** Publish key: signs the JWT when `controlIss` is set, else sent as `Bearer <key>`. */
  readonly key?: Uint8Array;
  /** Basic auth user (from the URL's userinfo). */
  readonly user?: string;
  /** Basic auth password (from the URL's userinfo). */
  readonly pass?: string;
  /** Issuer `Grip-Sig` tokens must carry; not pinned when absent. */
  readonly verifyIss?: string;
  /** Key that verifies `Grip-Sig`: `verify-key`, else the shared `key` when `iss` is set, else Fastly's key. */
  readonly verifyKey?: VerifyKey;
}

/** Values that take precedence over those of a GRIP_URL (GRIP_VERIFY_KEY, GRIP_VERIFY_ISS). */
export interface GripUrlOverrides {
  /** Replaces `verify-key`. */
  readonly verifyKey?: VerifyKeyInput;
  /** Replaces `verify-iss`. */
  readonly verifyIss?: string;
}

interface RawProxy {
  controlUri: string;
  controlIss?: string;
  key?: string;
  user?: string;
  pass?: string;
  verifyIss?: string;
  verifyKey?: VerifyKeyInput;
}

const URL_PARAMS: Readonly<Record<string, 'controlIss' | 'key' | 'verifyIss' | 'verifyKey'>> = {
  iss: 'controlIss',
  key: 'key',
  'verify-iss': 'verifyIss',
  'verify-key': 'verifyKey',
};

const OBJECT_FIELDS: Readonly<Record<string, keyof RawProxy>> = {
  control_uri: 'controlUri',
  controlUri: 'controlUri',
  control_iss: 'controlIss',
  controlIss: 'controlIss',
  key: 'key',
  user: 'user',
  pass: 'pass',
  verify_iss: 'verifyIss',
  verifyIss: 'verifyIss',
  verify_key: 'verifyKey',
  verifyKey: 'verifyKey',
};

/**
 * Parses a GRIP_URL such as `https://api.fanout.io/realm/r?iss=r&key=base64:...`,
 * `https://api.fastly.com/service/SID?key=TOKEN&verify-iss=fastly:SID` or `http://localhost:5561/`.
 *
 * `iss` with `key` signs publishes with a JWT and, unless a verify key is given, the same key verifies
 * `Grip-Sig`; `key` alone is a Bearer token; `verify-iss` starting with `fastly:` uses Fastly's public key.
 *
 * @param url the GRIP_URL.
 * @param overrides values replacing the URL's `verify-key` / `verify-iss`.
 * @param label the configuration's name in error messages.
 * @throws GripConfigError for a malformed URL, `iss` without `key`, or an unusable key.
 */
export function parseGripUrl(url: string, overrides: GripUrlOverrides = {}, label = 'GRIP_URL'): GripProxy {
  return buildProxy({ ...rawFromUrl(url, label), ...defined(overrides) }, label);
}

/**
 * Parses GRIP_PROXIES: a JSON list whose entries are GRIP_URL strings or objects with `control_uri`
 * (or `controlUri`) and optional `control_iss`, `key`, `user`, `pass`, `verify_iss`, `verify_key`.
 *
 * @throws GripConfigError for invalid JSON, a non-list, an unknown field or a bad entry.
 */
export function parseGripProxies(json: string, overrides: GripUrlOverrides = {}, label = 'GRIP_PROXIES'): GripProxy[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    throw new GripConfigError(`${label} is not valid JSON: give a JSON list such as ["https://host/path?key=..."]`);
  }
  if (!Array.isArray(list)) {
    throw new GripConfigError(`${label} must be a JSON list of GRIP_URL strings or objects, got ${typeof list}`);
  }
  return list.map((entry, index) => {
    const entryLabel = `${label}[${index}]`;
    const raw = typeof entry === 'string' ? rawFromUrl(entry, entryLabel) : rawFromObject(entry, entryLabel);
    return buildProxy({ ...raw, ...defined(overrides) }, entryLabel);
  });
}

function rawFromUrl(text: string, label: string): RawProxy {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new GripConfigError(`${label} is not a valid URL: expected https://host/path?iss=...&key=...`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GripConfigError(`${label} must start with http:// or https://, got ${url.protocol}//`);
  }
  const raw: RawProxy = { controlUri: '' };
  const kept: string[] = [];
  for (const part of url.search.slice(1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq), label, 'a parameter name');
    const field = Object.hasOwn(URL_PARAMS, name) ? URL_PARAMS[name] : undefined;
    if (field === undefined) {
      kept.push(part);
      continue;
    }
    if (raw[field] !== undefined) {
      throw new GripConfigError(`${label} has the '${name}' parameter twice: keep one`);
    }
    // decodeURIComponent keeps '+' (form decoding would turn it into a space and break base64 keys).
    raw[field] = decode(eq < 0 ? '' : part.slice(eq + 1), label, `the '${name}' parameter`);
  }
  if (url.username !== '' || url.password !== '') {
    raw.user = decode(url.username, label, 'the user name');
    raw.pass = decode(url.password, label, 'the password');
  }
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  raw.controlUri = `${url.protocol}//${url.host}${path}${kept.length > 0 ? `?${kept.join('&')}` : ''}`;
  return raw;
}

function rawFromObject(entry: unknown, label: string): RawProxy {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new GripConfigError(`${label} must be a GRIP_URL string or an object with control_uri`);
  }
  const fields: Partial<Record<keyof RawProxy, unknown>> = {};
  for (const [name, value] of Object.entries(entry)) {
    const field = Object.hasOwn(OBJECT_FIELDS, name) ? OBJECT_FIELDS[name] : undefined;
    if (field === undefined) {
      throw new GripConfigError(
        `${label} has an unknown field '${name}': use ${Object.keys(OBJECT_FIELDS).join(', ')}`,
      );
    }
    const jwk = field === 'verifyKey' && value !== null && typeof value === 'object';
    if (value !== undefined && value !== null && typeof value !== 'string' && !jwk) {
      throw new GripConfigError(`${label}.${name} must be a string`);
    }
    fields[field] = value ?? undefined;
  }
  const { controlUri, ...rest } = fields;
  if (typeof controlUri !== 'string') {
    throw new GripConfigError(`${label} has no control_uri: add the proxy's control API URL`);
  }
  return { ...rawFromUrl(controlUri, label), ...defined(rest as Partial<RawProxy>) };
}

function buildProxy(raw: RawProxy, label: string): GripProxy {
  if (raw.controlIss !== undefined && raw.key === undefined) {
    throw new GripConfigError(
      `${label} has iss '${raw.controlIss}' but no key: add key=<realm key> (publishes are never signed with an empty key)`,
    );
  }
  const key = raw.key === undefined ? undefined : decodeSecret(raw.key, `${label} key`);
  let verifyKey: VerifyKey | undefined;
  if (raw.verifyKey !== undefined) {
    verifyKey = loadVerifyKey(raw.verifyKey, `${label} verify-key`);
  } else if (raw.verifyIss?.startsWith(FASTLY_ISS_PREFIX)) {
    // Fastly signs with its own ES256 key, whatever the publish credentials are.
    verifyKey = fastlyFanoutVerifyKey();
  } else if (raw.controlIss !== undefined && key !== undefined) {
    // The realm key verifies Grip-Sig; key bytes that hold a public key load as that key, never as a secret.
    verifyKey = verifyKeyFromBytes(key, `${label} key`);
  }
  const proxy: GripProxy = {
    controlUri: raw.controlUri,
    ...defined({
      controlIss: raw.controlIss,
      key,
      user: raw.user,
      pass: raw.pass,
      verifyIss: raw.verifyIss,
      verifyKey,
    }),
  };
  if (sharesPublishKey(proxy) && proxy.verifyIss === proxy.controlIss) {
    throw new GripConfigError(
      `${label} has verify-iss '${proxy.verifyIss}', which is the publish iss, with the key that signs publishes: ` +
        "a publish token would pass as Grip-Sig. Set verify-iss to the proxy's issuer, or give its own verify-key",
    );
  }
  return proxy;
}

/**
 * True when the proxy's Grip-Sig key is the shared key that also signs the function's publishes (`iss` + `key`,
 * Fanout Cloud style): then a publish token (`iss` = `controlIss`) verifies too, and must be refused by issuer.
 */
export function sharesPublishKey(proxy: GripProxy): boolean {
  const { controlIss, key, verifyKey } = proxy;
  if (controlIss === undefined || key === undefined || verifyKey?.algorithm !== 'HS256') return false;
  return Buffer.from(key).equals(verifyKey.keyObject.export());
}

function decode(text: string, label: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new GripConfigError(`${label} has a malformed %-escape in ${what}: encode '%' as %25`);
  }
}

function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
