import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type { HttpResult } from '../../lambda/aws/http-event';
import { Env } from '../../lambda/contract';
import {
  decodeCloseContent,
  decodeWebSocketEvents,
  encodeWebSocketEvents,
  type WebSocketEventInput,
} from '../../lambda/grip/websocket-events';

/** The three HTTP event formats, each built from its AWS-documented sample in test/fixtures/http-events. */
export type EventShape = 'rest-v1' | 'http-v2' | 'function-url';

export const SHAPES: readonly EventShape[] = ['rest-v1', 'http-v2', 'function-url'];

const FIXTURES: Record<EventShape, string> = {
  'rest-v1': 'rest-v1-proxy-event.json',
  'http-v2': 'http-api-v2-event.json',
  'function-url': 'function-url-event.json',
};

/** Pushpin's defaults: `sig_iss=pushpin`, `sig_key=changeme`. */
export const SIG_ISS = 'pushpin';
export const SIG_KEY = 'changeme';

/** A Grip-Sig as Pushpin makes it (HS256, iss, exp in an hour), or with the given changes. */
export function gripSig(options: { key?: string; iss?: string; expiresInSeconds?: number } = {}): string {
  const { key = SIG_KEY, iss = SIG_ISS, expiresInSeconds = 3600 } = options;
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
  return jwt.sign({ iss, exp }, key, { algorithm: 'HS256' });
}

/** The fixture sample of a shape, parsed afresh. */
export function fixture(shape: EventShape): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'http-events', FIXTURES[shape]), 'utf8'));
}

export interface RequestInit {
  /** Events of the body; null sends `body: null` (keep-alive). */
  readonly events?: readonly WebSocketEventInput[] | null;
  readonly connectionId?: string;
  /** Raw meta header values by name (`nick` becomes `Meta-nick`). */
  readonly metaHeaders?: Readonly<Record<string, string>>;
  /** Grip-Sig value; undefined for none. @default a valid one */
  readonly sig?: string | null;
  readonly method?: string;
  readonly contentType?: string;
  readonly path?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

/**
 * A WebSocket-over-HTTP request as an event of `shape`: the fixture with its method, headers, path and body replaced
 * the way API Gateway would deliver them (base64 body, since application/websocket-events is a binary type).
 */
export function wohEvent(shape: EventShape, init: RequestInit = {}): Record<string, unknown> {
  const event = fixture(shape);
  const headers: Record<string, string> = {
    'Content-Type': init.contentType ?? 'application/websocket-events',
    Accept: 'application/websocket-events',
    'Connection-Id': init.connectionId ?? 'conn-1',
    ...init.extraHeaders,
  };
  for (const [name, value] of Object.entries(init.metaHeaders ?? {})) headers[`Meta-${name}`] = value;
  const sig = init.sig === undefined ? gripSig() : init.sig;
  if (sig !== null) headers['Grip-Sig'] = sig;
  const events = init.events === undefined ? [{ type: 'OPEN' as const }] : init.events;
  const body = events === null ? null : Buffer.from(encodeWebSocketEvents(events)).toString('base64');
  const method = init.method ?? 'POST';
  const path = init.path ?? '/ws';
  event.headers = headers;
  event.body = body;
  event.isBase64Encoded = body !== null;
  event.queryStringParameters = init.query ?? null;
  if (shape === 'rest-v1') {
    event.httpMethod = method;
    event.path = path;
    event.multiValueHeaders = null;
    event.multiValueQueryStringParameters = null;
  } else {
    const context = event.requestContext as { http: Record<string, unknown> };
    context.http = { ...context.http, method, path };
    event.rawPath = path;
    event.cookies = undefined;
  }
  return event;
}

/** A decoded WebSocket-over-HTTP result. */
export interface DecodedResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** Events as `TYPE` or `TYPE:text content`; CLOSE as `CLOSE:<code>:<reason>`. */
  readonly events: string[];
  readonly bodyText: string;
}

/** Reads a handler's result back into readable events. */
export function decodeResult(result: unknown): DecodedResult {
  const r = result as HttpResult;
  const bytes = r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body ?? '', 'utf8');
  const isEvents = r.headers['Content-Type'] === 'application/websocket-events';
  const events = isEvents
    ? decodeWebSocketEvents(new Uint8Array(bytes)).map((e) => {
        if (e.type === 'CLOSE') {
          const { code, reason } = decodeCloseContent(e.content);
          return `CLOSE:${code ?? ''}:${reason ?? ''}`;
        }
        return e.content === undefined ? e.type : `${e.type}:${Buffer.from(e.content).toString('utf8')}`;
      })
    : [];
  return { statusCode: r.statusCode, headers: r.headers, events, bodyText: bytes.toString('utf8') };
}

/** The `Set-Meta-*` headers of a result as the `Meta-*` request headers the proxy would send next. */
export function metaFromResult(result: DecodedResult, previous: Record<string, string> = {}): Record<string, string> {
  const meta = { ...previous };
  for (const [name, value] of Object.entries(result.headers)) {
    if (!name.startsWith('Set-Meta-')) continue;
    const key = name.slice('Set-Meta-'.length);
    if (value === '') delete meta[key];
    else meta[key] = value;
  }
  return meta;
}

/** Sets process.env entries for a test and returns a function that restores them. */
export function setEnv(values: Readonly<Record<string, string | undefined>>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply({ ...values });
  return () => apply(saved);
}

/**
 * Registers beforeEach/afterEach hooks that give each test a GRIP-only environment: `gripUrl()` as GRIP_URL, every
 * other GRIP and native setting unset, console.warn silenced; everything is restored after the test.
 */
export function useGripEnv(gripUrl: () => string): void {
  let restore: () => void = () => {};
  beforeEach(() => {
    restore = setEnv({
      [Env.GRIP_URL]: gripUrl(),
      [Env.GRIP_PROXIES]: undefined,
      [Env.GRIP_SECRET_ARN]: undefined,
      [Env.GRIP_PREFIX]: undefined,
      [Env.GRIP_SIG_VERIFY]: undefined,
      [Env.CONNECTION_TABLE]: undefined,
      [Env.MANAGEMENT_ENDPOINT]: undefined,
      [Env.CHANNEL_LOG_TABLE]: undefined,
      [Env.DURABLE_CHANNELS]: undefined,
      [Env.PRESENCE_TABLE]: undefined,
    });
    jest.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => {
    restore();
    jest.restoreAllMocks();
  });
}

/** A plain GET (no body) as an event of `shape`, signed like Pushpin signs it. */
export function getEvent(
  shape: EventShape,
  init: { path?: string; query?: Record<string, string>; accept?: string; sig?: string | null } = {},
): Record<string, unknown> {
  return wohEvent(shape, {
    method: 'GET',
    events: null,
    path: init.path ?? '/stream/news',
    query: init.query,
    sig: init.sig,
    extraHeaders: init.accept ? { Accept: init.accept } : {},
  });
}

/** Silences console.log/info/warn/error for the current test and returns the lines written to them. */
export function captureConsole(): string[] {
  const lines: string[] = [];
  const push = (line?: unknown) => {
    lines.push(String(line));
  };
  jest.spyOn(console, 'log').mockImplementation(push);
  jest.spyOn(console, 'info').mockImplementation(push);
  jest.spyOn(console, 'warn').mockImplementation(push);
  jest.spyOn(console, 'error').mockImplementation(push);
  return lines;
}
