/**
 * `faas-grip-cdk/client`: a WebSocket client for durable channels, on either transport (a GRIP proxy or an API
 * Gateway WebSocket API) and in browsers or Node. It subscribes to channels, reconnects with exponential backoff and
 * full jitter, resumes every channel from its last position, drops duplicates, restores offset order (filling a gap
 * from the log after `gapWaitMs` rather than waiting forever), sends heartbeats inside API Gateway's 10-minute idle
 * limit and closes a connection whose heartbeat goes unanswered, and reports all of it as typed events. No
 * dependencies: it speaks the wire format of `faas-grip-cdk/runtime` (envelope.ts), version 1.
 *
 * @example
 * const client = new ChannelClient('wss://example.com/chat');
 * client.on('message', (m) => console.log(m.channel, m.offset, m.data));
 * client.on('notRecovered', (r) => console.warn(`missed messages on ${r.channel}`));
 * client.subscribe('room', { recent: 50 });
 */

import { expiryOf, fromBase64, Listeners, reconnectDelay, refreshDelay } from './client-support';

/** The part of the WebSocket API the client uses (the browser's, Node 22's global, or the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Where a reader is in a channel: the last offset it has, in an epoch. */
export interface ChannelPosition {
  readonly offset: number;
  readonly epoch: string;
}

/** A message of a durable channel, delivered once and in offset order. */
export interface ChannelMessage {
  readonly channel: string;
  readonly offset: number;
  readonly epoch: string;
  /** Text, or bytes. */
  readonly data: string | Uint8Array;
  /** Who published it, when the publisher said (e.g. the user id of a signed-in sender). */
  readonly from?: string;
}

/** A channel whose messages since the client's position could not all be recovered. */
export interface NotRecovered {
  readonly channel: string;
  /** What the client had. */
  readonly previous?: ChannelPosition;
  /** Where the channel is now: delivery goes on from here. Read the gap's remains with `history()`. */
  readonly position: ChannelPosition;
}

/** An error the function answered (a bad request, a refused channel, the log unavailable) or a client limit. */
export interface ChannelClientError {
  readonly code: string;
  readonly message: string;
  readonly channel?: string;
  readonly op?: string;
}

/** A page of history. */
export interface HistoryPage {
  readonly channel: string;
  readonly epoch: string;
  readonly messages: ReadonlyArray<{
    readonly offset: number;
    readonly data: string | Uint8Array;
    readonly publishedAt: number;
    /** Who published it, when the publisher said. */
    readonly from?: string;
  }>;
  readonly next: number | null;
}

/** A member of a channel's presence. */
export interface PresenceMember {
  readonly connectionId: string;
  /** Who it is: the verified identity, or what the function chose (the chat: the nick). */
  readonly user: string;
  readonly info: Readonly<Record<string, string>>;
  /** `grip` or `native`. */
  readonly transport: string;
}

/** A page of a channel's members, and its counts. */
export interface PresencePage {
  readonly channel: string;
  readonly members: readonly PresenceMember[];
  /** Give it back as `pageToken` for the next page; null at the end. */
  readonly next: string | null;
  readonly stats: { readonly members: number; readonly users: number };
}

/** The connection's state. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The events and what their listeners get. */
export interface ChannelClientEvents {
  /** A channel message, once each, in offset order per channel. */
  message: ChannelMessage;
  /** The connection's state changed. */
  state: ConnectionState;
  /** A channel's subscription is in place (after each reconnect too); `recovered` false also fires `notRecovered`. */
  subscribed: { readonly channel: string; readonly recovered: boolean; readonly position: ChannelPosition };
  /** A gap that cannot be filled: the position was older than retention, or the channel's log started again. */
  notRecovered: NotRecovered;
  /** An error frame, or a client limit reached. */
  error: ChannelClientError;
  /** A message that is not part of the channel protocol (the application's own replies). */
  raw: string | Uint8Array;
  /** A heartbeat was sent: how many this client has sent. */
  heartbeat: number;
  /** Someone joined or left a channel this client follows (when the function keeps presence). */
  presence: { readonly type: 'join' | 'leave'; readonly channel: string; readonly member: PresenceMember };
}

/** Options of a {@link ChannelClient}. */
export interface ChannelClientOptions {
  /** @default - globalThis.WebSocket (browsers, Node 22+); Node 20: pass `WebSocket` from the `ws` package */
  readonly WebSocket?: WebSocketConstructor;
  /** Subprotocols offered. @default - none */
  readonly protocols?: string | string[];
  /** First reconnect delay's ceiling, ms (each try doubles it; the delay is a random share of it). @default 500 */
  readonly minReconnectDelayMs?: number;
  /** Largest reconnect delay, ms. @default 20000 */
  readonly maxReconnectDelayMs?: number;
  /**
   * Heartbeat interval, ms; 0 turns heartbeats off. Heartbeats keep the connection inside API Gateway's 10-minute
   * idle limit and are presence's liveness signal (keep it below the presence timeout, 45 s by default).
   * @default 25000
   */
  readonly heartbeatMs?: number;
  /** A heartbeat unanswered this long closes the connection (and a reconnect follows), ms. @default 15000 */
  readonly heartbeatTimeoutMs?: number;
  /** How long an out-of-order message waits for the ones before it before they are fetched from the log, ms. @default 1500 */
  readonly gapWaitMs?: number;
  /** Most out-of-order messages held per channel; past it the gap is fetched at once. @default 1000 */
  readonly maxBuffered?: number;
  /** Most application messages queued while disconnected; past it `send()` reports an error. @default 1000 */
  readonly maxQueued?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /**
   * Gives the token (a JWT) the connection signs in with, called before every connect: it travels in the
   * subprotocol list (`faas-grip` and `faas-grip.bearer.<token>`; browsers cannot set headers on a WebSocket).
   * Before the token expires, a fresh one is sent over the connection (`auth`), so a long connection stays signed
   * in; a connection the server closes with 4401 (token expired) reconnects at once with a fresh token.
   * @default - no token
   */
  readonly token?: () => string | Promise<string>;
  /** How long before the token's expiry a fresh one is sent, ms. @default 60000 */
  readonly tokenRefreshMs?: number;
}

/** The close code of a connection whose token expired: the client reconnects at once with a fresh token. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;

interface ChannelState {
  last?: number;
  epoch?: string;
  readonly buffer: Map<number, ChannelMessage>;
  gapTimer?: ReturnType<typeof setTimeout>;
  recent?: number;
  /** The offset the last fetch asked from: a fetch that brings nothing new is not repeated at once. */
  fetchedFrom?: number;
  fetching: boolean;
}

const OPEN = 1;
const VERSION = 1;

/** A client for durable channels. It connects at once; `close()` stops it. */
export class ChannelClient {
  private readonly url: string;
  private readonly options: Required<Omit<ChannelClientOptions, 'protocols' | 'WebSocket' | 'token'>> &
    Pick<ChannelClientOptions, 'protocols' | 'token'>;
  private readonly Socket: WebSocketConstructor;
  private readonly channels = new Map<string, ChannelState>();
  private readonly listeners = new Listeners<ChannelClientEvents>();
  private readonly queued: string[] = [];
  /** Requests waiting for their answer (history, presence), by id. */
  private readonly requests = new Map<
    string,
    { readonly op: string; resolve: (frame: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  private socket?: WebSocketLike;
  private currentState: ConnectionState = 'connecting';
  private attempt = 0;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private heartbeatTimer?: ReturnType<typeof setInterval>;
  private pongTimer?: ReturnType<typeof setTimeout>;
  private requestId = 0;
  private heartbeats = 0;
  private refreshTimer?: ReturnType<typeof setTimeout>;

  constructor(url: string, options: ChannelClientOptions = {}) {
    const Socket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Socket === undefined) {
      throw new TypeError('no WebSocket implementation: pass one as options.WebSocket (on Node 20, the ws package)');
    }
    this.url = url;
    this.Socket = Socket;
    this.options = {
      minReconnectDelayMs: options.minReconnectDelayMs ?? 500,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 20_000,
      heartbeatMs: options.heartbeatMs ?? 25_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 15_000,
      gapWaitMs: options.gapWaitMs ?? 1500,
      maxBuffered: options.maxBuffered ?? 1000,
      maxQueued: options.maxQueued ?? 1000,
      random: options.random ?? Math.random,
      protocols: options.protocols,
      token: options.token,
      tokenRefreshMs: options.tokenRefreshMs ?? 60_000,
    };
    this.open();
  }

  /** The connection's state. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof ChannelClientEvents>(event: E, listener: (value: ChannelClientEvents[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  /**
   * Subscribes to a durable channel: from `position` when given (what was missed is replayed), else with the
   * `recent` last messages (default none: live from now). Kept across reconnects, each resuming from the last
   * message delivered.
   */
  subscribe(channel: string, options: { position?: ChannelPosition; recent?: number } = {}): void {
    const state: ChannelState = { buffer: new Map(), fetching: false };
    if (options.position !== undefined) {
      state.last = options.position.offset;
      state.epoch = options.position.epoch;
    } else if (options.recent !== undefined) {
      state.recent = options.recent;
    }
    this.clearChannel(channel);
    this.channels.set(channel, state);
    if (this.isOpen()) this.sendSubscribe(channel, state);
  }

  /** Stops a subscription. */
  unsubscribe(channel: string): void {
    this.clearChannel(channel);
    this.channels.delete(channel);
    if (this.isOpen()) this.frame({ op: 'unsubscribe', channel });
  }

  /** The last position delivered on a channel (to store, and give back to `subscribe` in another session). */
  position(channel: string): ChannelPosition | undefined {
    const state = this.channels.get(channel);
    return state?.last !== undefined && state.epoch !== undefined
      ? { offset: state.last, epoch: state.epoch }
      : undefined;
  }

  /** Sends an application message; queued while the connection is down, in order. */
  send(text: string): void {
    if (this.isOpen()) {
      this.socket?.send(text);
    } else if (this.queued.length < this.options.maxQueued) {
      this.queued.push(text);
    } else {
      this.emit('error', {
        code: 'queue-full',
        message: `${this.queued.length} messages already wait for the connection`,
      });
    }
  }

  /** A page of a channel's history: the newest first, or oldest first after `after`. Needs an open connection. */
  async history(
    channel: string,
    options: { limit?: number; before?: number; after?: number } = {},
  ): Promise<HistoryPage> {
    const frame = await this.request('history', { channel, ...options });
    const messages = (frame.messages as Array<Record<string, unknown>>).map((m) => ({
      offset: m.offset as number,
      data: typeof m.data64 === 'string' ? fromBase64(m.data64) : String(m.data ?? ''),
      publishedAt: m.publishedAt as number,
      ...(typeof m.from === 'string' ? { from: m.from } : {}),
    }));
    return { channel, epoch: frame.epoch as string, messages, next: frame.next as number | null };
  }

  /** Who is in a channel (a page of members) and its counts. Needs an open connection. */
  async presence(channel: string, options: { limit?: number; pageToken?: string } = {}): Promise<PresencePage> {
    const frame = await this.request('presence', { channel, ...options });
    return {
      channel,
      members: frame.members as PresenceMember[],
      next: (frame.next as string | null) ?? null,
      stats: frame.stats as PresencePage['stats'],
    };
  }

  private request(op: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.isOpen()) return Promise.reject(new Error(`${op}() needs an open connection`));
    const id = `r${++this.requestId}`;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { op, resolve, reject });
      this.frame({ op, id, ...body });
    });
  }

  /** Closes the connection for good. */
  close(): void {
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    this.stopHeartbeat();
    for (const channel of this.channels.keys()) this.clearChannel(channel);
    for (const pending of this.requests.values()) pending.reject(new Error('the client was closed'));
    this.requests.clear();
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
  }

  private open(): void {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const source = this.options.token;
    if (source === undefined) {
      this.connect(this.options.protocols);
      return;
    }
    Promise.resolve()
      .then(source)
      .then(
        (token) => {
          if (this.currentState === 'closed') return;
          const own = this.options.protocols === undefined ? [] : ([] as string[]).concat(this.options.protocols);
          this.connect([...own, 'faas-grip', `faas-grip.bearer.${token}`]);
          this.scheduleRefresh(token);
        },
        (error: unknown) => {
          if (this.currentState === 'closed') return;
          this.emit('error', { code: 'token-failed', message: String(error) });
          this.scheduleReconnect();
        },
      );
  }

  /** Sends a fresh token over the connection `tokenRefreshMs` before `token` expires. */
  private scheduleRefresh(token: string, previousExp?: number): void {
    clearTimeout(this.refreshTimer);
    const source = this.options.token;
    const expiresAt = expiryOf(token);
    if (source === undefined || expiresAt === undefined) return;
    const delay = refreshDelay(expiresAt, this.options.tokenRefreshMs, previousExp);
    this.refreshTimer = setTimeout(() => {
      Promise.resolve()
        .then(source)
        .then(
          (fresh) => {
            if (!this.isOpen()) return;
            if (expiryOf(fresh) !== expiresAt) this.frame({ op: 'auth', token: fresh });
            this.scheduleRefresh(fresh, expiresAt);
          },
          (error: unknown) => this.emit('error', { code: 'token-failed', message: String(error) }),
        );
    }, delay);
  }

  private connect(protocols: string | string[] | undefined): void {
    let socket: WebSocketLike;
    try {
      socket = new this.Socket(this.url, protocols);
    } catch (error) {
      this.emit('error', { code: 'connect-failed', message: String(error) });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setState('open');
      for (const [channel, state] of this.channels) this.sendSubscribe(channel, state);
      for (const text of this.queued.splice(0)) socket.send(text);
      this.startHeartbeat();
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.received(event.data);
    };
    socket.onclose = (event) => {
      // The token expired: sign in again at once instead of backing off.
      if (event?.code === TOKEN_EXPIRED_CLOSE_CODE) {
        this.attempt = 0;
        if (this.socket === socket) this.emit('error', { code: 'token-expired', message: 'signing in again' });
      }
      this.closed(socket);
    };
    socket.onerror = () => {};
  }

  /** The socket is gone: fail what waited on it and reconnect (unless closed for good). */
  private closed(socket: WebSocketLike): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.stopHeartbeat();
    for (const pending of this.requests.values()) pending.reject(new Error('the connection closed'));
    this.requests.clear();
    for (const state of this.channels.values()) {
      clearTimeout(state.gapTimer);
      state.gapTimer = undefined;
      state.fetching = false;
    }
    if (this.currentState !== 'closed') this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const { minReconnectDelayMs, maxReconnectDelayMs, random } = this.options;
    const delay = reconnectDelay(this.attempt, minReconnectDelayMs, maxReconnectDelayMs, random);
    this.attempt = Math.min(this.attempt + 1, 30);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private sendSubscribe(channel: string, state: ChannelState): void {
    state.fetching = false;
    state.fetchedFrom = undefined;
    if (state.last !== undefined && state.epoch !== undefined) {
      this.frame({ op: 'subscribe', channel, offset: state.last, epoch: state.epoch });
    } else {
      this.frame({ op: 'subscribe', channel, ...(state.recent ? { recent: state.recent } : {}) });
    }
  }

  private fetch(channel: string, state: ChannelState): void {
    if (!this.isOpen() || state.fetching || state.last === undefined || state.epoch === undefined) return;
    state.fetching = true;
    state.fetchedFrom = state.last;
    this.frame({ op: 'fetch', channel, offset: state.last, epoch: state.epoch });
  }

  private received(data: unknown): void {
    if (typeof data !== 'string') {
      this.emit('raw', new Uint8Array(data as ArrayBuffer));
      return;
    }
    const frame = protocolFrame(data);
    if (frame === undefined) {
      this.emit('raw', data);
      return;
    }
    this.attempt = 0;
    const channel = typeof frame.channel === 'string' ? frame.channel : undefined;
    const state = channel === undefined ? undefined : this.channels.get(channel);
    switch (frame.type) {
      case 'message':
        if (state && channel) this.onMessage(channel, state, frame);
        return;
      case 'subscribed':
      case 'fetched':
        if (state && channel) this.onPosition(channel, state, frame);
        return;
      case 'history':
      case 'presence': {
        const pending = this.requests.get(frame.id as string);
        if (pending === undefined) return;
        this.requests.delete(frame.id as string);
        pending.resolve(frame);
        return;
      }
      case 'join':
      case 'leave':
        if (channel !== undefined) {
          this.emit('presence', { type: frame.type, channel, member: frame.member as PresenceMember });
        }
        return;
      case 'pong':
        clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
        return;
      case 'error':
        this.onError(frame, state);
        return;
    }
  }

  private onMessage(channel: string, state: ChannelState, frame: Record<string, unknown>): void {
    const offset = frame.offset as number;
    const epoch = frame.epoch as string;
    const data = typeof frame.data64 === 'string' ? fromBase64(frame.data64) : String(frame.data ?? '');
    const message: ChannelMessage =
      typeof frame.from === 'string'
        ? { channel, offset, epoch, data, from: frame.from }
        : { channel, offset, epoch, data };
    if (state.last === undefined || state.epoch === '') {
      // The starting point is not known yet (before `subscribed`, or the channel was empty and its log has begun
      // since): held until a `subscribed` or `fetched` answer says where the log starts.
      state.buffer.set(offset, message);
      if (state.epoch === '') this.fetch(channel, state);
      return;
    }
    if (state.epoch !== undefined && epoch !== state.epoch) {
      // The channel's log started again: what came between cannot be recovered.
      const previous = this.position(channel);
      state.buffer.clear();
      state.epoch = epoch;
      state.last = offset - 1;
      this.emit('notRecovered', { channel, previous, position: { offset: offset - 1, epoch } });
    }
    if (offset <= state.last) return;
    state.buffer.set(offset, message);
    this.drain(channel, state);
  }

  private onPosition(channel: string, state: ChannelState, frame: Record<string, unknown>): void {
    const head: ChannelPosition = { offset: frame.offset as number, epoch: frame.epoch as string };
    const recovered = frame.recovered === true;
    const wasFetching = frame.type === 'fetched';
    if (wasFetching) state.fetching = false;
    if (!recovered) {
      const previous = this.position(channel);
      state.last = head.offset;
      state.epoch = head.epoch;
      this.emit('notRecovered', { channel, previous, position: head });
    } else if (state.last === undefined || (state.epoch === '' && head.epoch !== '')) {
      // A new subscription (live from the head, or from the first of the `recent` messages replayed before this),
      // or an empty channel whose log has begun (from its first message, replayed before this).
      const replayed = [...state.buffer.keys()].filter((o) => o <= head.offset);
      state.last = replayed.length > 0 ? Math.min(...replayed) - 1 : head.offset;
      state.epoch = head.epoch;
      state.recent = undefined;
    } else {
      state.epoch = head.epoch;
    }
    this.drain(channel, state);
    if (!wasFetching) {
      this.emit('subscribed', { channel, recovered, position: head });
      // What was published between the function's read and the subscription taking effect.
      this.fetch(channel, state);
    } else if ((state.last as number) < head.offset && (state.last as number) > (state.fetchedFrom ?? -1)) {
      this.fetch(channel, state); // the answer was cut at its replay limit: ask for the rest
    }
  }

  /** Delivers the buffered messages that follow the last one; waits (bounded) for a missing one, then fetches it. */
  private drain(channel: string, state: ChannelState): void {
    const buffer = state.buffer;
    for (const offset of buffer.keys()) if (offset <= (state.last as number)) buffer.delete(offset);
    let next = buffer.get((state.last as number) + 1);
    while (next !== undefined) {
      buffer.delete(next.offset);
      state.last = next.offset;
      state.epoch = next.epoch;
      this.emit('message', next);
      if (!this.channels.has(channel)) return;
      next = buffer.get(state.last + 1);
    }
    clearTimeout(state.gapTimer);
    state.gapTimer = undefined;
    if (buffer.size === 0) return;
    if (buffer.size >= this.options.maxBuffered) {
      this.fetch(channel, state);
    } else {
      state.gapTimer = setTimeout(() => {
        state.gapTimer = undefined;
        state.fetching = false; // a fetch unanswered this long is asked again
        this.fetch(channel, state);
      }, this.options.gapWaitMs);
    }
  }

  private onError(frame: Record<string, unknown>, state: ChannelState | undefined): void {
    // The server closes this connection because its token expired (the native transport's way of saying 4401).
    if (frame.code === 'token-expired') this.attempt = 0;
    const error: ChannelClientError = {
      code: String(frame.code),
      message: String(frame.message),
      ...(typeof frame.channel === 'string' ? { channel: frame.channel } : {}),
      ...(typeof frame.op === 'string' ? { op: frame.op } : {}),
    };
    if (error.op === 'history' || error.op === 'presence') {
      // The request it answers is the oldest one of that op waiting.
      for (const [id, pending] of this.requests) {
        if (pending.op !== error.op) continue;
        this.requests.delete(id);
        pending.reject(new Error(`${error.code}: ${error.message}`));
        break;
      }
    }
    if (state !== undefined && error.code === 'unavailable' && error.channel !== undefined) {
      // The log could not be read: try again after a while.
      const channel = error.channel;
      state.fetching = false;
      setTimeout(() => {
        if (this.channels.get(channel) !== state || !this.isOpen()) return;
        if (error.op === 'subscribe') this.sendSubscribe(channel, state);
        else this.fetch(channel, state);
      }, this.options.gapWaitMs);
    }
    this.emit('error', error);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    if (this.options.heartbeatMs <= 0) return;
    this.heartbeatTimer = setInterval(() => {
      // One heartbeat at a time: while one waits for its pong, the next is not sent and the wait is not reset.
      if (!this.isOpen() || this.pongTimer !== undefined) return;
      this.frame({ op: 'ping' });
      this.emit('heartbeat', ++this.heartbeats);
      const socket = this.socket;
      this.pongTimer = setTimeout(() => {
        this.pongTimer = undefined;
        // No answer: the connection is dead without having said so. Drop it and reconnect.
        if (this.socket !== socket || socket === undefined) return;
        socket.onclose = null;
        socket.close(4000, 'heartbeat unanswered');
        this.closed(socket);
      }, this.options.heartbeatTimeoutMs);
    }, this.options.heartbeatMs);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  private clearChannel(channel: string): void {
    const state = this.channels.get(channel);
    if (state !== undefined) clearTimeout(state.gapTimer);
  }

  private isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === OPEN && this.currentState === 'open';
  }

  private frame(body: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify({ fg: VERSION, ...body }));
  }

  private setState(state: ConnectionState): void {
    if (this.currentState === state || this.currentState === 'closed') return;
    this.currentState = state;
    this.emit('state', state);
  }

  private emit<E extends keyof ChannelClientEvents>(event: E, value: ChannelClientEvents[E]): void {
    this.listeners.emit(event, value);
  }
}

/** A protocol frame of version 1, or undefined for the application's own message. */
function protocolFrame(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{"fg":')) return undefined;
  try {
    const frame = JSON.parse(text) as Record<string, unknown>;
    return frame.fg === VERSION ? frame : undefined;
  } catch {
    return undefined;
  }
}
