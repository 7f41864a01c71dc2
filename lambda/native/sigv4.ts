import * as crypto from 'node:crypto';

/**
 * AWS Signature Version 4 for the few requests the native transport makes (PostToConnection,
 * DeleteConnection): header-based, no query string, payload hashed. Pure and synchronous; the caller brings
 * the credentials (from the SDK's provider chain) and the clock. Checked against the SDK's own signer
 * (@smithy/signature-v4) in the tests, and verified by the local management API.
 */

/** The credentials a request is signed with. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Set for temporary credentials (Lambda's role): sent and signed as `x-amz-security-token`. */
  readonly sessionToken?: string;
}

/** One request to sign. */
export interface SigV4Request {
  readonly method: string;
  /** The `Host` header as sent (with `:port` when it is not the scheme's default). */
  readonly host: string;
  /** The path as sent on the wire, each segment already percent-encoded; no query string. */
  readonly path: string;
  /** Further headers to sign (lower-case names), e.g. `content-type`. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly region: string;
  /** The signing name, `execute-api` for the management API. */
  readonly service: string;
  readonly credentials: SigningCredentials;
  /** The signing time. @default - now */
  readonly date?: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
let cachedKey: { readonly id: string; readonly key: Buffer } | undefined;
let cachedDate: { readonly seconds: number; readonly amzDate: string } | undefined;

/**
 * The headers that sign `request`: `x-amz-date`, `x-amz-security-token` when the credentials have one, and
 * `authorization`. Send them together with `host` and `request.headers`, which they cover.
 */
export function signRequest(request: SigV4Request): Record<string, string> {
  const amzDate = formatAmzDate(request.date?.getTime() ?? Date.now());
  const day = amzDate.slice(0, 8);
  const added: Record<string, string> = { 'x-amz-date': amzDate };
  const token = request.credentials.sessionToken;
  if (token) added['x-amz-security-token'] = token;
  const signed: [string, string][] = [
    ['host', request.host],
    ['x-amz-date', amzDate],
  ];
  if (token) signed.push(['x-amz-security-token', token]);
  if (request.headers) for (const name in request.headers) signed.push([name, request.headers[name]]);
  signed.sort(byName);
  let canonicalHeaders = '';
  let signedHeaders = '';
  for (const [name, value] of signed) {
    canonicalHeaders += `${name}:${canonicalValue(value)}\n`;
    signedHeaders += signedHeaders === '' ? name : `;${name}`;
  }
  const canonicalRequest =
    `${request.method.toUpperCase()}\n${canonicalPath(request.path)}\n\n${canonicalHeaders}\n` +
    `${signedHeaders}\n${sha256Hex(request.body)}`;
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signature = crypto
    .createHmac('sha256', signingKey(request.credentials.secretAccessKey, day, request))
    .update(stringToSign)
    .digest('hex');
  added.authorization =
    `${ALGORITHM} Credential=${request.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}

function byName(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** A header value as SigV4 signs it: trimmed, runs of whitespace made one space. */
function canonicalValue(value: string): string {
  return /^\S+$/.test(value) ? value : value.trim().replace(/\s+/g, ' ');
}

/**
 * Percent-encodes `value` the way SigV4 and API Gateway expect: everything but `A-Z a-z 0-9 - _ . ~`
 * (so `!'()*` too, which `encodeURIComponent` leaves alone).
 */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a service other than S3: dot segments and empty segments resolved, then every
 * segment encoded once more (so `%3D` on the wire is `%253D` here).
 */
function canonicalPath(path: string): string {
  if (!/(^|\/)\.\.?(\/|$)|\/\//.test(path) && /^\/[A-Za-z0-9\-_.~%@/]*$/.test(path)) {
    // Common case: nothing to resolve, only `%` and `@` need encoding again.
    return path.replace(/%/g, '%25').replace(/@/g, '%40');
  }
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEscape(segment));
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

/** `YYYYMMDDTHHMMSSZ`; the last one is kept, as calls within a second share it. */
function formatAmzDate(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (cachedDate?.seconds !== seconds) {
    const amzDate = new Date(seconds * 1000).toISOString().replace(/[-:]/g, '').replace('.000', '');
    cachedDate = { seconds, amzDate };
  }
  return cachedDate.amzDate;
}

/** The day's signing key; the last one is kept, as it only changes with the day, region or secret. */
function signingKey(secret: string, day: string, request: SigV4Request): Buffer {
  const id = `${day}\n${request.region}\n${request.service}\n${secret}`;
  if (cachedKey?.id === id) return cachedKey.key;
  let key = hmac(`AWS4${secret}`, day);
  key = hmac(key, request.region);
  key = hmac(key, request.service);
  key = hmac(key, 'aws4_request');
  cachedKey = { id, key };
  return key;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data).digest();
}

/** One-shot `crypto.hash` where Node has it (20.12+, about twice as fast), else a Hash object. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string })
  .hash;

function sha256Hex(data: string | Uint8Array): string {
  return oneShotHash ? oneShotHash('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}
