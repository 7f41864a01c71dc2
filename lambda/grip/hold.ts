/**
 * Builders of the responses that make a GRIP proxy hold a request: an HTTP stream (`Grip-Hold: stream`,
 * plain or Server-Sent Events) or a long-poll (`Grip-Hold: response`). They return plain
 * `{statusCode, headers, body}` objects; the handler layer turns them into Lambda results.
 */
import { InvalidValueError } from '../core/errors';
import { validateHeaderName, validateHeaderValue } from './formats';

/** A channel to subscribe the held request to. */
export interface HoldChannel {
  /** Channel name, prefix included; no `,` `;` `"`, CR, LF or surrounding spaces. */
  readonly name: string;
  /** Id of the last item the client has; a mismatch with the next publish triggers the next link. */
  readonly prevId?: string;
  /** Subscription filters (for example `skip-self`). */
  readonly filters?: readonly string[];
}

/** Data the proxy sends on an idle stream. */
export interface KeepAlive {
  /** The data; sent raw when plain printable text, else base64-encoded in the header. */
  readonly content: string | Uint8Array;
  /** Seconds (at least 1). @default - the proxy's default (55 on Pushpin) */
  readonly timeout?: number;
  /** `idle`: after that much silence; `interval`: every timeout. @default 'idle' */
  readonly mode?: 'idle' | 'interval';
}

/** A URI the proxy requests next (paging, or recovery after a missed publish). */
export interface NextLink {
  /** Absolute or relative URI. */
  readonly uri: string;
  /** Seconds before the proxy requests it on its own (at least 1). @default - the proxy's default (120 on Pushpin) */
  readonly timeout?: number;
}

/** What every hold has in common. */
export interface HoldOptions {
  /** Channels the request subscribes to (at least one). */
  readonly channels: readonly (string | HoldChannel)[];
  /** Status code sent to the client. @default 200 */
  readonly statusCode?: number;
  /** Extra response headers (a `Content-Type` here replaces the default). @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stream: initial data. Long-poll: the response released on timeout. @default '' */
  readonly body?: string | Uint8Array;
  /** Keep-alive data on an idle stream. @default - none */
  readonly keepAlive?: KeepAlive;
  /** The link the proxy requests next. @default - none */
  readonly nextLink?: NextLink;
}

/** Options of a long-poll hold. */
export interface ResponseHoldOptions extends HoldOptions {
  /** Seconds the proxy holds the request before releasing `body`; Pushpin enforces at least 5. @default 55 */
  readonly timeout?: number;
}

/** A proxy result for the handler layer. */
export interface HoldResult {
  /** Status code for the client (and the proxy). */
  readonly statusCode: number;
  /** Response headers, `Grip-*` included (the proxy strips those). */
  readonly headers: Record<string, string>;
  /** Stream: the initial data. Long-poll: the response released on timeout. */
  readonly body: string | Uint8Array;
}

/** Pushpin's minimum `Grip-Timeout`: shorter values are raised to it, so they are refused here. */
export const MIN_HOLD_TIMEOUT_SECONDS = 5;

/** Holds the request as an HTTP stream: `body` is sent at once, then whatever is published. */
export function holdStream(options: HoldOptions): HoldResult {
  return hold('stream', { 'Content-Type': 'text/plain' }, options);
}

/** Holds the request as a Server-Sent Events stream (`text/event-stream`, not cached). */
export function holdEventStream(options: HoldOptions): HoldResult {
  return hold('stream', { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' }, options);
}

/**
 * Holds the request as a long-poll: the first publish answers it, or `body` is released after `timeout`.
 *
 * @throws InvalidValueError for a timeout below 5 s or any invalid channel, keep-alive or link.
 */
export function holdResponse(options: ResponseHoldOptions): HoldResult {
  const result = hold('response', { 'Content-Type': 'text/plain' }, options);
  if (options.timeout !== undefined) {
    result.headers['Grip-Timeout'] = String(wholeNumber('Grip-Timeout', options.timeout, MIN_HOLD_TIMEOUT_SECONDS));
  }
  return result;
}

/** One Server-Sent Event. */
export interface ServerSentEvent {
  /** The data; each line becomes a `data:` line. */
  readonly data: string;
  /** The event type. @default - a plain `message` event */
  readonly event?: string;
  /** The event id (becomes the client's Last-Event-ID). @default - none */
  readonly id?: string;
  /** Reconnection delay in milliseconds. @default - the browser's */
  readonly retry?: number;
}

/**
 * Formats one Server-Sent Event, blank line included (`event: x\ndata: a\ndata: b\n\n`).
 *
 * @throws InvalidValueError when `event` or `id` has CR, LF (or NUL), or `retry` is not a whole number.
 */
export function formatServerSentEvent(sse: ServerSentEvent): string {
  const lines: string[] = [];
  if (sse.event !== undefined) lines.push(`event: ${singleLine('SSE event', sse.event)}`);
  if (sse.id !== undefined) lines.push(`id: ${singleLine('SSE id', sse.id)}`);
  if (sse.retry !== undefined) lines.push(`retry: ${wholeNumber('SSE retry', sse.retry, 0)}`);
  for (const line of sse.data.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * The `Grip-Channel` header value: `name; prev-id=..; filter=..`, comma-separated.
 *
 * @throws InvalidValueError for no channel or a name, id or filter with `,` `;` `"`, CR, LF or surrounding spaces.
 */
export function gripChannelHeader(channels: readonly (string | HoldChannel)[]): string {
  if (channels.length === 0) {
    throw new InvalidValueError('a hold needs at least one channel: give the channel to subscribe to');
  }
  return channels
    .map((entry) => {
      const channel = typeof entry === 'string' ? { name: entry } : entry;
      const parts = [param('channel name', channel.name)];
      if (channel.prevId !== undefined) parts.push(`prev-id=${param('prev-id', channel.prevId)}`);
      for (const filter of channel.filters ?? []) parts.push(`filter=${param('filter', filter)}`);
      return parts.join('; ');
    })
    .join(', ');
}

/**
 * The `Grip-Keep-Alive` header value. Data is sent raw only when it is printable ASCII without `;` or `\`
 * and without surrounding spaces (Pushpin cuts at `;` and trims); anything else is base64-encoded.
 *
 * @throws InvalidValueError for empty content or a bad timeout.
 */
export function keepAliveHeader(keepAlive: KeepAlive): string {
  const bytes = Buffer.from(keepAlive.content);
  if (bytes.length === 0) {
    throw new InvalidValueError('keep-alive content is empty: give the data to send (for SSE, ":\\n\\n")');
  }
  const text = bytes.toString('latin1');
  const raw = typeof keepAlive.content === 'string' && /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(text);
  const safe = raw && !/[;\\]/.test(text);
  const parts = [safe ? `${text}; format=raw` : `${bytes.toString('base64')}; format=base64`];
  if (keepAlive.timeout !== undefined) parts.push(`timeout=${wholeNumber('keep-alive timeout', keepAlive.timeout, 1)}`);
  if (keepAlive.mode !== undefined) {
    if (keepAlive.mode !== 'idle' && keepAlive.mode !== 'interval') {
      throw new InvalidValueError(`keep-alive mode '${String(keepAlive.mode)}' is not valid: use idle or interval`);
    }
    parts.push(`mode=${keepAlive.mode}`);
  }
  return parts.join('; ');
}

/**
 * The `Grip-Link` header value for the next link: `<uri>; rel=next[; timeout=N]`.
 *
 * @throws InvalidValueError for a URI with `<`, `>`, spaces or control characters, or a bad timeout.
 */
export function nextLinkHeader(link: NextLink): string {
  if (link.uri === '' || /[<>\s\p{Cc}]/u.test(link.uri)) {
    throw new InvalidValueError(`next link ${JSON.stringify(link.uri)} is not valid: percent-encode spaces and <>`);
  }
  const timeout = link.timeout === undefined ? '' : `; timeout=${wholeNumber('next link timeout', link.timeout, 1)}`;
  return `<${link.uri}>; rel=next${timeout}`;
}

function hold(mode: 'stream' | 'response', defaults: Record<string, string>, options: HoldOptions): HoldResult {
  const grip: Record<string, string> = { 'Grip-Hold': mode, 'Grip-Channel': gripChannelHeader(options.channels) };
  if (options.keepAlive !== undefined) grip['Grip-Keep-Alive'] = keepAliveHeader(options.keepAlive);
  if (options.nextLink !== undefined) grip['Grip-Link'] = nextLinkHeader(options.nextLink);
  // Later sources win, whatever the case of the header names: defaults, then the caller's, then Grip-*.
  const headers: Record<string, string> = {};
  for (const [name, value] of [defaults, options.headers ?? {}, grip].flatMap((h) => Object.entries(h))) {
    validateHeaderName(name);
    validateHeaderValue(`header '${name}'`, value);
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    headers[name] = value;
  }
  const statusCode = options.statusCode ?? 200;
  if (!Number.isInteger(statusCode) || statusCode < 200 || statusCode > 599) {
    throw new InvalidValueError(`hold status ${statusCode} is not valid: use 200-599`);
  }
  return { statusCode, headers, body: options.body ?? '' };
}

function param(what: string, value: string): string {
  if (value === '' || value.trim() !== value || /[,;"\r\n\0]/.test(value)) {
    throw new InvalidValueError(`${what} ${JSON.stringify(value)} is not valid: no , ; " CR LF or surrounding spaces`);
  }
  return value;
}

function singleLine(what: string, value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new InvalidValueError(`${what} ${JSON.stringify(value)} contains CR, LF or NUL: remove them`);
  }
  return value;
}

function wholeNumber(what: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidValueError(`${what} ${value} is not valid: use a whole number of at least ${min}`);
  }
  return value;
}
