/**
 * Who a connection is: the pure half of verified identity (no I/O, no JWT library). What the auth settings say,
 * where a handshake carries its token, how the verified user is kept with the connection, and the codes a refused
 * or expired client gets. The token itself is verified by ../auth (behind a door: ../auth-loader.ts).
 *
 * The verified user travels with the connection as runtime meta (`faas-grip-user`), set by the runtime only:
 * - GRIP: the proxy keeps it and sends it back as `Meta-faas-grip-user` on every later request. Pushpin drops every
 *   `Meta-*` header a client sends with its handshake, and requests reach the function only with a valid `Grip-Sig`
 *   (auth on GRIP refuses to run without signature verification); on an opening request an incoming value is
 *   ignored all the same, so a proxy that forwarded client headers could not pass one off.
 * - native: the connection's DynamoDB item keeps it; API Gateway gives clients no way to write there.
 * User code cannot set it (`ws.meta['faas-grip-user'] = ...` is a MetaError) and never sees it in `ws.meta`.
 */
import { Env } from '../contract';
import { GripConfigError } from './errors';

/** The verified user of a connection: the token's subject and the claims the settings keep. */
export interface VerifiedUser {
  /** The token's `sub`. */
  readonly sub: string;
  /** The kept claims (FAAS_GRIP_AUTH_CLAIMS) the token carried. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The token's `iss`. */
  readonly issuer: string;
  /** The token's `exp`, epoch seconds. */
  readonly expiresAt: number;
}

/** The runtime meta holding the verified user (never shown in `ws.meta`, never set by user code). */
export const USER_META = 'faas-grip-user';

/** The subprotocol a browser offers beside its token entry, and the one the handshake answers with. */
export const AUTH_PROTOCOL = 'faas-grip';
/** A subprotocol entry `faas-grip.bearer.<token>` carries the token (browsers cannot set other headers). */
export const TOKEN_PROTOCOL_PREFIX = 'faas-grip.bearer.';

/** The close code of a connection whose token expired (or has none): the client gets a new token and reconnects. */
export const AUTH_EXPIRED_CLOSE_CODE = 4401;
/** The reason sent with {@link AUTH_EXPIRED_CLOSE_CODE}. */
export const AUTH_EXPIRED_CLOSE_REASON = 'token expired';
/**
 * The channel-protocol frame sent before the close on the native transport, where API Gateway's DeleteConnection
 * cannot carry a close code: `faas-grip-cdk/client` reads it like the 4401.
 */
export function tokenExpiredFrame(reason: string): string {
  return JSON.stringify({ fg: 1, type: 'error', code: 'token-expired', message: reason });
}

/** The handshake status of a client without a valid token. */
export const UNAUTHORIZED_STATUS = 401;

/** Claims kept by default (each only when the token has it). */
export const DEFAULT_KEPT_CLAIMS = [
  'name',
  'preferred_username',
  'email',
  'groups',
  'cognito:username',
  'cognito:groups',
];
/** Default tolerated clock difference, seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Largest tolerated clock difference, seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** One place a handshake may carry its token. */
export type TokenSource =
  | { readonly kind: 'protocol' }
  | { readonly kind: 'header' }
  | { readonly kind: 'query'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string };

/** The verified-identity settings (from FAAS_GRIP_AUTH_*). */
export interface AuthSettings {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Accepted audiences (`aud`, else `client_id`); empty: not checked. */
  readonly audience: readonly string[];
  /** The `token_use` required (Cognito), when set. */
  readonly tokenUse?: 'id' | 'access';
  readonly tokenFrom: readonly TokenSource[];
  /** Origins allowed with a cookie token. */
  readonly origins: readonly string[];
  readonly claims: readonly string[];
  readonly clockSkewSeconds: number;
  /** `close`: a connection past its token's expiry is closed (4401); `keep`: the identity lasts the connection. */
  readonly expiry: 'close' | 'keep';
}

/** The headers (lower-case names) and query parameters of a handshake. */
export interface Handshake {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
}

/** A token found in a handshake, and where. */
export interface FoundToken {
  readonly token: string;
  readonly source: TokenSource['kind'];
  /** The subprotocol to answer with (the token came in the subprotocol list). */
  readonly protocol?: string;
}

/**
 * The auth settings of an environment, or undefined when FAAS_GRIP_AUTH_ISSUER is unset.
 * @throws GripConfigError for a value that cannot be used, saying which and why.
 */
export function parseAuthSettings(env: Readonly<Record<string, string | undefined>>): AuthSettings | undefined {
  const text = (name: string) => env[name]?.trim() || undefined;
  const issuer = text(Env.AUTH_ISSUER);
  if (issuer === undefined) return undefined;
  const issuerUrl = httpUrl(issuer, Env.AUTH_ISSUER);
  const jwksUri = text(Env.AUTH_JWKS_URI) ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  httpUrl(jwksUri, Env.AUTH_JWKS_URI);
  const tokenUse = text(Env.AUTH_TOKEN_USE);
  if (tokenUse !== undefined && tokenUse !== 'id' && tokenUse !== 'access') {
    throw new GripConfigError(`${Env.AUTH_TOKEN_USE} is ${JSON.stringify(tokenUse)}: use id or access`);
  }
  const tokenFrom = list(text(Env.AUTH_TOKEN_FROM) ?? 'protocol,header,query:access_token').map(tokenSource);
  if (tokenFrom.length === 0) throw new GripConfigError(`${Env.AUTH_TOKEN_FROM} names no token source`);
  const origins = list(text(Env.AUTH_ORIGINS));
  if (tokenFrom.some((s) => s.kind === 'cookie') && origins.length === 0) {
    throw new GripConfigError(
      `${Env.AUTH_TOKEN_FROM} reads a cookie but ${Env.AUTH_ORIGINS} is not set: browsers send cookies with ` +
        "cross-site WebSocket handshakes too, so list the origins of your pages (e.g. 'https://chat.example.com')",
    );
  }
  const skewText = text(Env.AUTH_CLOCK_SKEW);
  const clockSkewSeconds = skewText === undefined ? DEFAULT_CLOCK_SKEW_SECONDS : Number(skewText);
  if (!Number.isInteger(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > MAX_CLOCK_SKEW_SECONDS) {
    throw new GripConfigError(
      `${Env.AUTH_CLOCK_SKEW} is ${JSON.stringify(skewText)}: give whole seconds from 0 to ${MAX_CLOCK_SKEW_SECONDS}`,
    );
  }
  const expiry = text(Env.AUTH_EXPIRY) ?? 'close';
  if (expiry !== 'close' && expiry !== 'keep') {
    throw new GripConfigError(`${Env.AUTH_EXPIRY} is ${JSON.stringify(expiry)}: use close or keep`);
  }
  const claimsText = env[Env.AUTH_CLAIMS];
  return {
    issuer: issuerUrl,
    jwksUri,
    audience: list(text(Env.AUTH_AUDIENCE)),
    ...(tokenUse === undefined ? {} : { tokenUse }),
    tokenFrom,
    origins,
    claims: claimsText === undefined ? DEFAULT_KEPT_CLAIMS : list(claimsText),
    clockSkewSeconds,
    expiry,
  };
}

/**
 * The token of a handshake: the first of `sources` that carries one. A `cookie:` source counts only when the
 * handshake's Origin is one of `origins` (a page of another site cannot ride on the user's cookie).
 */
export function findToken(
  handshake: Handshake,
  sources: readonly TokenSource[],
  origins: readonly string[] = [],
): FoundToken | undefined {
  for (const source of sources) {
    switch (source.kind) {
      case 'protocol': {
        const offered = list(handshake.headers['sec-websocket-protocol']);
        const entry = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
        if (entry === undefined) break;
        const token = entry.slice(TOKEN_PROTOCOL_PREFIX.length);
        const protocol = offered.find((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX));
        if (token)
          return protocol === undefined ? { token, source: 'protocol' } : { token, source: 'protocol', protocol };
        break;
      }
      case 'header': {
        const match = /^Bearer +([^\s]+)\s*$/i.exec(handshake.headers.authorization ?? '');
        if (match) return { token: match[1], source: 'header' };
        break;
      }
      case 'query': {
        const token = handshake.query[source.name];
        if (token) return { token, source: 'query' };
        break;
      }
      case 'cookie': {
        if (!origins.includes(handshake.headers.origin ?? '')) break;
        const token = cookie(handshake.headers.cookie ?? '', source.name);
        if (token) return { token, source: 'cookie' };
        break;
      }
    }
  }
  return undefined;
}

/** The meta value of a verified user (base64url JSON: compact, and never needs header encoding). */
export function encodeUser(user: VerifiedUser): string {
  const json = JSON.stringify({ s: user.sub, i: user.issuer, e: user.expiresAt, c: user.claims });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** The user of a meta value; undefined for anything that is not one {@link encodeUser} made. */
export function decodeUser(value: string | undefined): VerifiedUser | undefined {
  if (value === undefined || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  try {
    const o = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof o.s !== 'string' || typeof o.i !== 'string' || typeof o.e !== 'number') return undefined;
    const claims = typeof o.c === 'object' && o.c !== null && !Array.isArray(o.c) ? o.c : {};
    return { sub: o.s, issuer: o.i, expiresAt: o.e, claims: claims as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** True when `user`'s token has expired, `skewSeconds` of clock difference tolerated. */
export function isExpired(user: VerifiedUser, skewSeconds: number, nowMs: number = Date.now()): boolean {
  return nowMs / 1000 > user.expiresAt + skewSeconds;
}

function tokenSource(text: string): TokenSource {
  if (text === 'protocol' || text === 'header') return { kind: text };
  const match = /^(query|cookie):([A-Za-z0-9_.-]+)$/.exec(text);
  if (match) return { kind: match[1] as 'query' | 'cookie', name: match[2] };
  throw new GripConfigError(
    `${Env.AUTH_TOKEN_FROM} has ${JSON.stringify(text)}: use protocol, header, query:<name> or cookie:<name>`,
  );
}

function httpUrl(text: string, name: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GripConfigError(`${name} is ${JSON.stringify(text)}: give an absolute https URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new GripConfigError(
      `${name} is ${JSON.stringify(text)}: give an https URL (plain http only on loopback, for local development)`,
    );
  }
  return text;
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function cookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
