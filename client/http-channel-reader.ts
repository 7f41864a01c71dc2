/**
 * What the HTTP readers of one durable channel share (`ChannelStream` over Server-Sent Events, `ChannelPoller`
 * over long-polls): requests with `fetch`, the token in the `Authorization` header (or a query parameter) taken
 * fresh for every request, a 401 retried once at once with a fresh token, reconnects with exponential backoff and
 * full jitter after a network failure or a 5xx, other refusals ending the reader with a typed error, and delivery of
 * each message once, in offset order, from the reader's position.
 */
import type { ChannelMessage, ChannelPosition, NotRecovered } from './channel-client';
import { expiryOf, Listeners, reconnectDelay, refreshDelay } from './client-support';

/** A reader's state. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * What went wrong. `forbidden` (403), `unauthorized` (401 with a fresh token too), `http-<status>` and `not-durable`
 * (the endpoint answers, but not as a durable channel's) end the reader; `token-failed` (the token function threw)
 * and `network` (requests keep failing without an answer) are reported while it goes on trying with backoff.
 */
export interface ChannelStreamError {
  /** `forbidden`, `unauthorized`, `http-<status>`, `not-durable`, `token-failed` or `network`. */
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}

/** The events of a reader and what their listeners get. */
export interface ChannelStreamEvents {
  /** A message, once each, in offset order. */
  message: ChannelMessage;
  /** Messages since the reader's position could not all be recovered: delivery goes on from `position`. */
  notRecovered: NotRecovered;
  state: StreamState;
  error: ChannelStreamError;
}

/** Options of the readers. */
export interface ChannelStreamOptions {
  /** @default - globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Where to start: what came after it is delivered first. @default - see the reader */
  readonly position?: ChannelPosition;
  /**
   * Gives the token (a JWT), called before every request; it goes in the `Authorization` header, or in the query
   * parameter `tokenParameter` names.
   * @default - no token
   */
  readonly token?: () => string | Promise<string>;
  /** The query parameter the token goes in instead of the header (e.g. `access_token`). @default - the header */
  readonly tokenParameter?: string;
  /** How long before the token's expiry a stream reconnects with a fresh one, ms. @default 60000 */
  readonly tokenRefreshMs?: number;
  /** First reconnect delay's ceiling, ms (each try doubles it; the delay is a random share of it). @default 500 */
  readonly minReconnectDelayMs?: number;
  /** Largest reconnect delay, ms. @default 20000 */
  readonly maxReconnectDelayMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** Requests failing in a row (no answer at all) before the reader says so (it goes on trying). */
const NETWORK_FAILURES_REPORTED = 3;

/** What to do after a response was read. */
export type AfterResponse = 'next' | 'reconnect';

/**
 * A reader of one durable channel over HTTP. It starts at once; `close()` stops it. From a browser, the endpoint is
 * best on the page's origin: a token in the `Authorization` header makes a cross-origin request need CORS, which the
 * hold handlers do not answer (`tokenParameter` avoids the header).
 */
export abstract class HttpChannelReader {
  /** The channel, as the URL names it (`?channel=`, else the last path segment). */
  readonly channel: string;
  protected last?: ChannelPosition;
  /** When the current request was sent (Date.now()). */
  protected requestedAt = 0;
  private readonly listeners = new Listeners<ChannelStreamEvents>();
  private readonly fetcher: typeof fetch;
  private currentState: StreamState = 'connecting';
  private attempt = 0;
  private unauthorized = 0;
  private abort?: AbortController;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private idleTimer?: ReturnType<typeof setTimeout>;
  private refreshedExp?: number;
  private failures = 0;

  constructor(
    protected readonly url: string,
    protected readonly options: ChannelStreamOptions = {},
  ) {
    const fetcher = options.fetch ?? globalThis.fetch;
    if (fetcher === undefined) throw new TypeError('no fetch implementation: pass one as options.fetch');
    this.fetcher = fetcher;
    const parsed = new URL(url);
    this.channel = parsed.searchParams.get('channel') || parsed.pathname.split('/').filter(Boolean).pop() || '';
    this.last = options.position;
    queueMicrotask(() => void this.request());
  }

  get state(): StreamState {
    return this.currentState;
  }

  /** The last position delivered (where the next request resumes). */
  position(): ChannelPosition | undefined {
    return this.last;
  }

  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof ChannelStreamEvents>(event: E, listener: (value: ChannelStreamEvents[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  /** Stops reading; no request follows. */
  close(): void {
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    clearTimeout(this.idleTimer);
    this.abort?.abort();
  }

  /** The URL of the next request (the token's parameter is added after). */
  protected abstract requestUrl(): URL;
  /** The headers of the next request (the token's header is added after). */
  protected abstract requestHeaders(): Record<string, string>;
  /** Reads an accepted response (2xx with a body). */
  protected abstract consume(body: ReadableStream<Uint8Array>, contentType: string): Promise<AfterResponse>;
  /** Whether a token should be refreshed during one response (a stream that lasts). */
  protected abstract readonly lasting: boolean;
  /** How long a request may go without a byte before it is taken for dead, ms. */
  protected abstract readonly idleMs: number;

  /** Delivers a message at `position` unless it is at or before the last one delivered in its epoch. */
  protected deliver(position: ChannelPosition, data: string | Uint8Array): void {
    if (this.last !== undefined && this.last.epoch === position.epoch && position.offset <= this.last.offset) return;
    this.last = position;
    this.listeners.emit('message', { channel: this.channel, offset: position.offset, epoch: position.epoch, data });
  }

  /** Reports that delivery goes on from `now`, messages before it not recovered. */
  protected notRecovered(now: ChannelPosition): void {
    const previous = this.last;
    this.last = now;
    this.listeners.emit('notRecovered', { channel: this.channel, ...(previous ? { previous } : {}), position: now });
  }

  /** Ends the reader with `error`. */
  protected end(error: ChannelStreamError): void {
    this.close();
    this.listeners.emit('error', error);
  }

  /**
   * Keeps the request alive for `idleMs` more (a stream's keep-alives arrive every 20 s, a long-poll is held 55 s):
   * past it the connection is taken for dead and the request starts again from the position.
   */
  protected touch(): void {
    clearTimeout(this.idleTimer);
    const abort = this.abort;
    this.idleTimer = setTimeout(() => abort?.abort(), this.idleMs);
  }

  /** Whether `close()` was called (a method: the state changes across awaits). */
  protected isClosed(): boolean {
    return this.currentState === 'closed';
  }

  private async request(): Promise<void> {
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
    this.touch();
    this.requestedAt = Date.now();
    let after: AfterResponse = 'reconnect';
    try {
      const response = await this.fetcher(this.urlWith(token), {
        headers: this.headersWith(token),
        signal: abort.signal,
      });
      if (response.status === 401 && this.options.token !== undefined && this.unauthorized++ === 0) {
        // Perhaps the token expired on the way: once at once with a fresh one, then it counts as a refusal.
        await response.body?.cancel();
        void this.request();
        return;
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        if (response.ok) this.end({ code: 'not-durable', status: response.status, message: 'the answer has no body' });
        else this.refused(response.status);
        return;
      }
      this.unauthorized = 0;
      this.failures = 0;
      this.attempt = 0;
      this.setState('open');
      if (token !== undefined && this.lasting) this.scheduleRefresh(token, abort);
      after = await this.consume(response.body, response.headers.get('content-type') ?? '');
    } catch (error) {
      // The network failed (reported once after a few in a row), or the request was aborted (closed, a token
      // refresh, a dead connection): decided below.
      if (!abort.signal.aborted && ++this.failures === NETWORK_FAILURES_REPORTED) {
        this.listeners.emit('error', {
          code: 'network',
          message: `${NETWORK_FAILURES_REPORTED} requests in a row failed (${String(error)}); still trying. From a browser, a cross-origin endpoint without CORS fails this way`,
        });
      }
    } finally {
      clearTimeout(this.refreshTimer);
      clearTimeout(this.idleTimer);
    }
    if (this.isClosed()) return;
    if (after === 'next' || abort.signal.aborted) void this.request();
    else this.scheduleReconnect();
  }

  private urlWith(token: string | undefined): string {
    const url = this.requestUrl();
    if (token !== undefined && this.options.tokenParameter !== undefined) {
      url.searchParams.set(this.options.tokenParameter, token);
    }
    return url.toString();
  }

  private headersWith(token: string | undefined): Record<string, string> {
    const headers = this.requestHeaders();
    if (token !== undefined && this.options.tokenParameter === undefined) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  /** A refusal: 5xx and 429 are retried with backoff; the others end the reader. */
  private refused(status: number): void {
    if (status >= 500 || status === 429) {
      this.scheduleReconnect();
      return;
    }
    const code = status === 403 ? 'forbidden' : status === 401 ? 'unauthorized' : `http-${status}`;
    this.end({ code, status, message: `the request was refused with ${status}` });
  }

  /** Starts again with a fresh token `tokenRefreshMs` before `token` expires (the position carries over). */
  private scheduleRefresh(token: string, abort: AbortController): void {
    const expiresAt = expiryOf(token);
    if (expiresAt === undefined) return;
    const delay = refreshDelay(expiresAt, this.options.tokenRefreshMs ?? 60_000, this.refreshedExp);
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshedExp = expiresAt;
      abort.abort();
    }, delay);
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
    this.reconnectTimer = setTimeout(() => void this.request(), delay);
  }

  private setState(state: StreamState): void {
    if (this.currentState === state || this.isClosed()) return;
    this.currentState = state;
    this.listeners.emit('state', state);
  }
}

/** An id `<epoch>:<offset>` as a position. */
export function positionOf(id: string | undefined): ChannelPosition | undefined {
  const match = id === undefined ? null : /^([A-Za-z0-9_-]{0,64}):(\d{1,15})$/.exec(id);
  return match ? { epoch: match[1], offset: Number(match[2]) } : undefined;
}
