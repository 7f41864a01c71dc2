/**
 * `ChannelStream`: a reader of one durable channel over Server-Sent Events, for a GRIP stream endpoint
 * (`httpHoldHandler` with `durableEventStream`, like the package's stream example). It reads with `fetch`, not
 * EventSource, so it can send the token in the `Authorization` header and take a fresh one on every reconnect: it
 * reconnects with exponential backoff and full jitter after the stream ends or the network fails, resumes with
 * `Last-Event-ID` (the last position it delivered), drops duplicates, reports a gap it cannot fill
 * (`event: not-recovered`) and reconnects with a fresh token before the current one expires or at once after a 401.
 * Browsers and Node 18+; no dependencies.
 *
 * @example
 * const stream = new ChannelStream('https://example.com/stream/news', { token: () => auth.currentIdToken() });
 * stream.on('message', (m) => console.log(m.offset, m.data));
 */
import type { ChannelMessage, ChannelPosition, NotRecovered } from './channel-client';
import { expiryOf, fromBase64, Listeners, reconnectDelay } from './client-support';

/** The stream's state. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** An HTTP answer that ends the stream for good (the client does not retry it), or a token that could not be had. */
export interface ChannelStreamError {
  /** `forbidden` (403), `unauthorized` (401 with a fresh token too), `http-<status>`, or `token-failed`. */
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}

/** The events of a {@link ChannelStream} and what their listeners get. */
export interface ChannelStreamEvents {
  /** A message, once each, in offset order. */
  message: ChannelMessage;
  /** Messages since the stream's position could not all be recovered: delivery goes on from `position`. */
  notRecovered: NotRecovered;
  state: StreamState;
  error: ChannelStreamError;
}

/** Options of a {@link ChannelStream}. */
export interface ChannelStreamOptions {
  /** @default - globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Where to start: what came after it is replayed first. @default - live from now */
  readonly position?: ChannelPosition;
  /**
   * Gives the token (a JWT), called before every connect; it goes in the `Authorization` header, or in the query
   * parameter `tokenParameter` names.
   * @default - no token
   */
  readonly token?: () => string | Promise<string>;
  /** The query parameter the token goes in instead of the header (e.g. `access_token`). @default - the header */
  readonly tokenParameter?: string;
  /** How long before the token's expiry the stream reconnects with a fresh one, ms. @default 60000 */
  readonly tokenRefreshMs?: number;
  /** First reconnect delay's ceiling, ms (each try doubles it; the delay is a random share of it). @default 500 */
  readonly minReconnectDelayMs?: number;
  /** Largest reconnect delay, ms. @default 20000 */
  readonly maxReconnectDelayMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** One parsed Server-Sent Event. */
interface ServerSentEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/** A reader of one durable channel's SSE stream. It connects at once; `close()` stops it. */
export class ChannelStream {
  /** The channel, as the URL names it (`?channel=`, else the last path segment). */
  readonly channel: string;
  private readonly listeners = new Listeners<ChannelStreamEvents>();
  private readonly fetcher: typeof fetch;
  private last?: ChannelPosition;
  private currentState: StreamState = 'connecting';
  private attempt = 0;
  private unauthorized = 0;
  private abort?: AbortController;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly url: string,
    private readonly options: ChannelStreamOptions = {},
  ) {
    const fetcher = options.fetch ?? globalThis.fetch;
    if (fetcher === undefined) throw new TypeError('no fetch implementation: pass one as options.fetch');
    this.fetcher = fetcher;
    const parsed = new URL(url);
    this.channel = parsed.searchParams.get('channel') || parsed.pathname.split('/').filter(Boolean).pop() || '';
    this.last = options.position;
    void this.open();
  }

  get state(): StreamState {
    return this.currentState;
  }

  /** The last position delivered (where a reconnect resumes). */
  position(): ChannelPosition | undefined {
    return this.last;
  }

  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof ChannelStreamEvents>(event: E, listener: (value: ChannelStreamEvents[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  /** Stops reading; no reconnect follows. */
  close(): void {
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    this.abort?.abort();
  }

  private async open(): Promise<void> {
    if (this.isClosed()) return;
    let token: string | undefined;
    try {
      token = this.options.token === undefined ? undefined : await this.options.token();
    } catch (error) {
      this.listeners.emit('error', { code: 'token-failed', message: String(error) });
      this.scheduleReconnect();
      return;
    }
    if (this.isClosed()) return;
    const abort = new AbortController();
    this.abort = abort;
    try {
      const response = await this.fetcher(this.requestUrl(token), {
        headers: this.headers(token),
        signal: abort.signal,
        cache: 'no-store',
      });
      if (response.status === 401 && this.options.token !== undefined && this.unauthorized++ === 0) {
        // Perhaps the token expired on the way: once at once with a fresh one, then with backoff.
        await response.body?.cancel();
        void this.open();
        return;
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        this.fail(response.status);
        return;
      }
      this.unauthorized = 0;
      this.attempt = 0;
      this.setState('open');
      if (token !== undefined) this.scheduleRefresh(token, abort);
      await this.read(response.body);
    } catch {
      // The network failed, or the stream was aborted (closed, or refreshed): decided below.
    } finally {
      clearTimeout(this.refreshTimer);
    }
    if (this.isClosed()) return;
    // The stream ended (the proxy ended it, the network failed, or a refresh): resume from the last position.
    if (abort.signal.aborted) void this.open();
    else this.scheduleReconnect();
  }

  private requestUrl(token: string | undefined): string {
    if (token === undefined || this.options.tokenParameter === undefined) return this.url;
    const url = new URL(this.url);
    url.searchParams.set(this.options.tokenParameter, token);
    return url.toString();
  }

  private headers(token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.last !== undefined) headers['Last-Event-ID'] = `${this.last.epoch}:${this.last.offset}`;
    if (token !== undefined && this.options.tokenParameter === undefined) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  /** An answer that is not a stream: 5xx and 429 are retried with backoff; other refusals end the stream. */
  private fail(status: number): void {
    if (status >= 500 || status === 429) {
      this.scheduleReconnect();
      return;
    }
    const code = status === 403 ? 'forbidden' : status === 401 ? 'unauthorized' : `http-${status}`;
    this.listeners.emit('error', { code, status, message: `the stream was refused with ${status}` });
    this.close();
  }

  /** Reconnects with a fresh token `tokenRefreshMs` before `token` expires (the position carries over). */
  private scheduleRefresh(token: string, abort: AbortController): void {
    const expiresAt = expiryOf(token);
    if (expiresAt === undefined) return;
    const delay = Math.max(1000, expiresAt * 1000 - Date.now() - (this.options.tokenRefreshMs ?? 60_000));
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => abort.abort(), delay);
  }

  private scheduleReconnect(): void {
    if (this.isClosed()) return;
    this.setState('reconnecting');
    const delay = reconnectDelay(
      this.attempt,
      this.options.minReconnectDelayMs ?? 500,
      this.options.maxReconnectDelayMs ?? 20_000,
      this.options.random ?? Math.random,
    );
    this.attempt = Math.min(this.attempt + 1, 30);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let event: { id?: string; event?: string; data: string[] } = { data: [] };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffered += decoder.decode(value, { stream: true });
      // A CR at the end may be the first half of a CRLF: it waits for the next chunk.
      const held = buffered.endsWith('\r') ? 1 : 0;
      const lines = buffered.slice(0, buffered.length - held).split(/\r\n|\r|\n/);
      buffered = (lines.pop() ?? '') + (held ? '\r' : '');
      for (const line of lines) {
        if (line === '') {
          if (event.data.length > 0 || event.id !== undefined) {
            this.dispatch({ id: event.id, event: event.event ?? 'message', data: event.data.join('\n') });
          }
          event = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (field === 'data') event.data.push(text);
        else if (field === 'id') event.id = text;
        else if (field === 'event') event.event = text;
      }
    }
  }

  private dispatch(sse: ServerSentEvent): void {
    if (this.isClosed()) return;
    const position = positionOf(sse.id);
    if (sse.event === 'not-recovered') {
      const now = position ?? headOf(sse.data);
      if (now === undefined) return;
      const previous = this.last;
      this.last = now;
      this.listeners.emit('notRecovered', { channel: this.channel, ...(previous ? { previous } : {}), position: now });
      return;
    }
    if (position === undefined || (sse.event !== 'message' && sse.event !== 'bytes')) return;
    // A duplicate: at or before what was delivered, in the same epoch.
    if (this.last !== undefined && this.last.epoch === position.epoch && position.offset <= this.last.offset) return;
    this.last = position;
    this.listeners.emit('message', {
      channel: this.channel,
      offset: position.offset,
      epoch: position.epoch,
      data: sse.event === 'bytes' ? fromBase64(sse.data) : sse.data,
    });
  }

  /** Whether `close()` was called (a method: the state changes across awaits). */
  private isClosed(): boolean {
    return this.currentState === 'closed';
  }

  private setState(state: StreamState): void {
    if (this.currentState === state || this.isClosed()) return;
    this.currentState = state;
    this.listeners.emit('state', state);
  }
}

/** An event id `<epoch>:<offset>` as a position. */
function positionOf(id: string | undefined): ChannelPosition | undefined {
  const match = id === undefined ? null : /^([A-Za-z0-9_-]{0,64}):(\d{1,15})$/.exec(id);
  return match ? { epoch: match[1], offset: Number(match[2]) } : undefined;
}

/** The position in a `not-recovered` event's data (`{"channel","offset","epoch"}`). */
function headOf(data: string): ChannelPosition | undefined {
  try {
    const head = JSON.parse(data) as { offset?: unknown; epoch?: unknown };
    return typeof head.offset === 'number' && typeof head.epoch === 'string'
      ? { offset: head.offset, epoch: head.epoch }
      : undefined;
  } catch {
    return undefined;
  }
}
