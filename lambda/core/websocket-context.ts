/**
 * The pseudo-socket a handler works with: inbound events to read, a mutable `meta`, the handshake decision and an
 * ordered list of outgoing operations. Transport-neutral and without I/O: a finisher turns it into a GRIP response
 * or commits it through API Gateway's management API.
 */

import { detachMessage, encodeControlMessage, validateChannel } from '../grip/control-message';
import { diffMeta, type EncodedMetaChanges } from '../grip/meta';
import { decodeCloseContent, type WebSocketEvent } from '../grip/websocket-events';
import { validateClose } from './close-frame';
import { invocationDeadline } from './deadline';
import { InvalidValueError, MetaError, TransportNotSupportedError, WebSocketStateError } from './errors';
import { decodeUser, encodeUser, type Handshake, USER_META, type VerifiedUser } from './identity';
import {
  chargedState,
  DEADLINE_CLOSE_CODE,
  DEADLINE_CLOSE_REASON,
  type MessageRate,
  messagesAllowed,
  RATE_LIMIT_CLOSE_CODE,
  RATE_LIMIT_CLOSE_REASON,
  RATE_META,
  READ_SHARE,
} from './inbound-limits';
import { runtimeSettings } from './settings';

/** Which system holds the connection. */
export class Transport {
  /** A GRIP proxy (Pushpin, Fastly Fanout) speaking WebSocket-over-HTTP. */
  static readonly GRIP = new Transport('grip');
  /** An API Gateway WebSocket API. */
  static readonly NATIVE = new Transport('native');

  private constructor(
    /** `grip` or `native`. */
    readonly name: string,
  ) {}

  /** The transport's name. */
  toString(): string {
    return this.name;
  }
}

/** One thing the handler asked to send or do, in call order. */
export type OutgoingOperation =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  | { readonly kind: 'subscribe'; readonly channel: string }
  | { readonly kind: 'unsubscribe'; readonly channel: string }
  | { readonly kind: 'control'; readonly message: Readonly<Record<string, unknown>> }
  | { readonly kind: 'ping'; readonly bytes?: Uint8Array }
  | { readonly kind: 'pong'; readonly bytes?: Uint8Array };

/** Turns a context into the Lambda result `R` of its transport. */
export interface WebSocketFinisher<R = unknown> {
  /** Synchronous proxy result (GRIP). Native: throws TransportNotSupportedError. */
  toResponse(ctx: WebSocketContext<R>): R;
  /** Commits the context's effects and returns the Lambda result (GRIP: same as toResponse). */
  finish(ctx: WebSocketContext<R>): Promise<R>;
}

/** What a transport factory gives a new context whose Lambda result is `R`. */
export interface WebSocketContextInit<R = unknown> {
  /** The connection id (Pushpin's Connection-Id, API Gateway's connectionId). */
  readonly id: string;
  readonly transport: Transport;
  /** Meta as the connection has it now. */
  readonly meta: Readonly<Record<string, string>>;
  /** Inbound events (native synthesizes OPEN/TEXT/BINARY/DISCONNECT). */
  readonly events: readonly WebSocketEvent[];
  /** Channel prefix (GRIP_PREFIX). @default '' */
  readonly prefix?: string;
  readonly finisher: WebSocketFinisher<R>;
  /**
   * The connection's inbound message rate; `null` turns the limit off.
   * @default - from FAAS_GRIP_MESSAGE_RATE and FAAS_GRIP_MESSAGE_BURST (50 messages/s, bursts of 500)
   */
  readonly messageRate?: MessageRate | null;
  /** True when the proxy honours `Content-Bytes-Accepted` (GRIP). @default false */
  readonly flowControl?: boolean;
  /** When the invocation must have answered (epoch ms). @default - the running invocation's deadline, if known */
  readonly deadline?: number;
  /**
   * The request's headers (lower-case names) and query: the handshake's on an opening request (where a token is
   * looked for). @default - none
   */
  readonly handshake?: Handshake;
}

/** What the runtime did to bound a request's work, for the finisher. */
export interface InboundLimits {
  /** Messages of this request that were not handed out because the connection is over its rate (then closed). */
  readonly refused: number;
  /**
   * Messages left unread at the read deadline; with `flowControl` they are handed back to the proxy, else refused
   * (and the connection closed with 1013).
   */
  readonly deferred: number;
  /** Content bytes of the events before the first unread one: the request's `Content-Bytes-Accepted` when deferring. */
  readonly acceptedBytes: number;
  /** True when the proxy honours `Content-Bytes-Accepted`. */
  readonly flowControl: boolean;
}

/** Largest ping payload: a WebSocket control frame carries at most 125 bytes. */
const MAX_PING_BYTES = 125;
const READABLE = new Set(['TEXT', 'BINARY', 'CLOSE', 'DISCONNECT']);
const MESSAGE = new Set(['TEXT', 'BINARY']);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A connection's verified user, kept beside the context where only this module's functions reach it. */
interface Identity {
  readonly user: VerifiedUser | undefined;
  /** True when the runtime set the user in this request (saved with the meta). */
  readonly changed: boolean;
  /** The subprotocol the handshake answers with. */
  readonly protocol?: string;
}
/**
 * Where a context keeps its identity: a registered symbol, so every copy of this module (a bundle's, a test's
 * isolated registry, the modules behind the doors) reaches the same slot.
 */
const IDENTITY: unique symbol = Symbol.for('faas-grip.identity') as never;
type WithIdentity = { [IDENTITY]?: Identity };

/**
 * Sets the verified user of `ws` (saved with the connection when the context finishes) and the subprotocol its
 * handshake answers with. For the runtime's authentication step only: not exported from the package.
 */
export function recordVerifiedUser(ws: WebSocketContext<unknown>, user: VerifiedUser, protocol?: string): void {
  (ws as unknown as WithIdentity)[IDENTITY] =
    protocol === undefined ? { user, changed: true } : { user, changed: true, protocol };
}

/** The subprotocol the opening handshake of `ws` answers with, when the runtime chose one. */
export function handshakeProtocol(ws: WebSocketContext<unknown>): string | undefined {
  return identityOf(ws)?.protocol;
}

function identityOf(ws: object): Identity | undefined {
  return (ws as WithIdentity)[IDENTITY];
}

/** Whether verified identity is on; a configuration that cannot be read counts as on (the pipeline refuses it). */
function identityOn(): boolean {
  try {
    return runtimeSettings().auth !== undefined;
  } catch {
    return true;
  }
}

/**
 * A WebSocket connection as seen by one handler invocation. `R` is the Lambda result its transport answers with
 * (`HttpResult` on GRIP, `NativeResult` on an API Gateway WebSocket API).
 */
export class WebSocketContext<R = unknown> {
  readonly id: string;
  readonly transport: Transport;
  /** The request's headers (lower-case names) and query parameters. */
  readonly handshake: Handshake;
  /** The connection's meta: set, change or delete string values; changes are saved when the context finishes. */
  meta: Record<string, string>;
  private readonly originalMeta: Readonly<Record<string, string>>;
  private readonly events: readonly WebSocketEvent[];
  private readonly prefix: string;
  private readonly finisher: WebSocketFinisher<R>;
  private readonly ops: OutgoingOperation[] = [];
  private readPos = 0;
  private acceptedFlag = false;
  private rejected: { readonly status: number; readonly body?: string } | undefined;
  private closed: { readonly code: number; readonly reason?: string } | undefined;
  private readonly peerCloseInfo: { readonly code?: number; readonly reason?: string } | undefined;
  private readonly disconnectedFlag: boolean;
  private readonly rate: MessageRate | undefined;
  private readonly rateState: string | undefined;
  private readonly arrivedAt = Date.now();
  private readonly allowedMessages: number;
  private readonly messageCount: number;
  private readonly readUntil: number | undefined;
  private readonly flowControl: boolean;
  private handedOut = 0;
  private deferredAt: number | undefined;

  constructor(init: WebSocketContextInit<R>) {
    this.id = init.id;
    this.transport = init.transport;
    this.handshake = init.handshake ?? { headers: {}, query: {} };
    // The rate state and the verified user are the runtime's: user code neither sees nor changes them.
    const { [RATE_META]: rateState, [USER_META]: userMeta, ...meta } = init.meta;
    this.rateState = rateState;
    this.originalMeta = { ...meta };
    this.meta = { ...meta };
    this.events = [...init.events];
    // An opening request has no user yet, whatever meta it came with: the handshake's token decides.
    const user = this.isOpening() || !identityOn() ? undefined : decodeUser(userMeta);
    Object.defineProperty(this, IDENTITY, { value: { user, changed: false }, writable: true, enumerable: false });
    this.prefix = init.prefix ?? '';
    this.finisher = init.finisher;
    const close = this.events.find((e) => e.type === 'CLOSE');
    this.peerCloseInfo = close ? decodeCloseContent(close.content) : undefined;
    this.disconnectedFlag = this.events.some((e) => e.type === 'DISCONNECT');
    this.rate = init.messageRate === undefined ? runtimeSettings().messageRate : (init.messageRate ?? undefined);
    this.messageCount = this.events.filter((e) => MESSAGE.has(e.type)).length;
    this.allowedMessages =
      this.rate === undefined ? Number.POSITIVE_INFINITY : messagesAllowed(rateState, this.rate, this.arrivedAt);
    const deadline = init.deadline ?? invocationDeadline();
    this.readUntil = deadline === undefined ? undefined : this.arrivedAt + (deadline - this.arrivedAt) * READ_SHARE;
    this.flowControl = init.flowControl === true;
    if (this.transport === Transport.GRIP) {
      for (const e of this.events) {
        if (e.type === 'PING') this.ops.push(e.content ? { kind: 'pong', bytes: e.content } : { kind: 'pong' });
      }
    }
  }

  /** True when this request opens the connection (its first event is OPEN): accept() or reject() it. */
  isOpening(): boolean {
    return this.events[0]?.type === 'OPEN';
  }

  /** Accepts the connection. Only on an opening request that was not rejected. */
  accept(): void {
    if (!this.isOpening()) {
      throw new WebSocketStateError(
        'accept() called on a request that does not open the connection (it is already open): ' +
          'call accept() only when isOpening() is true',
      );
    }
    if (this.rejected) throw new WebSocketStateError('accept() called after reject(): choose one');
    this.acceptedFlag = true;
  }

  /** Refuses the handshake with an HTTP status (default 403, 400-599) and an optional text body. */
  reject(status = 403, body?: string): void {
    if (!this.isOpening()) {
      throw new WebSocketStateError(
        'reject() called on a request that does not open the connection: use close() to end an open connection',
      );
    }
    if (this.acceptedFlag) throw new WebSocketStateError('reject() called after accept(): choose one');
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new InvalidValueError(`reject() status must be an integer from 400 to 599, got ${status}`);
    }
    if (body !== undefined && typeof body !== 'string') {
      throw new InvalidValueError(`reject() body must be a string, got ${typeof body}`);
    }
    this.rejected = body === undefined ? { status } : { status, body };
  }

  /**
   * Closes the connection with a code (default 1000; 1000-1003, 1007-1014 or 3000-4999, see RFC 6455) and an
   * optional reason of at most 123 UTF-8 bytes.
   */
  close(code = 1000, reason?: string): void {
    validateClose(code, reason);
    if (this.isOpening() && !this.acceptedFlag) {
      throw new WebSocketStateError('close() on an opening request that was not accepted: accept() first, or reject()');
    }
    if (this.closed) throw new WebSocketStateError('close() called twice: a connection closes once');
    this.closed = reason === undefined ? { code } : { code, reason };
  }

  /**
   * True when a TEXT, BINARY, CLOSE or DISCONNECT event remains to be read. False once the connection's message rate
   * is used up (the rest is refused and the connection closed with 1008), and once half of the invocation's time has
   * passed (the rest is handed back to a proxy that supports it, else refused with a close 1013): loop on canRecv()
   * and a request never outlives its invocation. At least one message is handed out per request.
   */
  canRecv(): boolean {
    if (this.deferredAt !== undefined) return false;
    for (let i = this.readPos; i < this.events.length; i++) {
      const e = this.events[i];
      if (!READABLE.has(e.type)) continue;
      if (!MESSAGE.has(e.type)) return true;
      if (this.handedOut >= this.allowedMessages) return false;
      // An empty message cannot be held back (the proxy drops it with the accepted content), so it is handed out.
      if (this.handedOut > 0 && this.pastReadDeadline() && (e.content?.length ?? 0) > 0) {
        this.deferredAt = i;
        return false;
      }
      return true;
    }
    return false;
  }

  /** The next message as text (BINARY decoded as UTF-8; use recvRaw() for bytes), or null for CLOSE/DISCONNECT. */
  recv(): string | null {
    const bytes = this.recvRaw();
    return bytes === null ? null : utf8Decoder.decode(bytes);
  }

  /** The next message as bytes, or null for CLOSE/DISCONNECT. Throws WebSocketStateError when none is left. */
  recvRaw(): Uint8Array | null {
    if (!this.canRecv()) {
      throw new WebSocketStateError('recv() called with no message left: check canRecv() first');
    }
    for (;;) {
      const e = this.events[this.readPos++];
      if (!READABLE.has(e.type)) continue;
      if (e.type === 'CLOSE' || e.type === 'DISCONNECT') return null;
      this.handedOut++;
      return e.content ?? new Uint8Array(0);
    }
  }

  /** Sends a text message. */
  send(text: string): void {
    if (typeof text !== 'string') {
      throw new InvalidValueError(`send() takes a string, got ${typeof text}: use sendBinary() for bytes`);
    }
    this.ops.push({ kind: 'text', text });
  }

  /** Sends a binary message. */
  sendBinary(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new InvalidValueError(`sendBinary() takes a Uint8Array, got ${typeof bytes}: use send() for text`);
    }
    this.ops.push({ kind: 'binary', bytes });
  }

  /** Sends a control message to the GRIP proxy (OutputLimitError over 16 KiB). GRIP only. */
  sendControl(message: Record<string, unknown>): void {
    this.requireGrip('sendControl()', 'API Gateway has no control channel: use subscribe()/unsubscribe()');
    encodeControlMessage(message);
    this.ops.push({ kind: 'control', message: { ...message } });
  }

  /** Subscribes the connection to a channel (the prefix is added). InvalidValueError for a bad name. */
  subscribe(channel: string): void {
    this.ops.push({ kind: 'subscribe', channel: this.channelName(channel) });
  }

  /** Unsubscribes the connection from a channel (the prefix is added). InvalidValueError for a bad name. */
  unsubscribe(channel: string): void {
    this.ops.push({ kind: 'unsubscribe', channel: this.channelName(channel) });
  }

  /** Stops the proxy from sending this connection's messages to the backend. GRIP only. */
  detach(): void {
    this.requireGrip('detach()', 'API Gateway always routes messages to the backend: ignore them in the handler');
    this.ops.push({ kind: 'control', message: detachMessage() });
  }

  /** Sends a ping with an optional payload of at most 125 bytes. GRIP only. */
  ping(payload?: Uint8Array | string): void {
    this.requireGrip('ping()', 'API Gateway answers client pings itself and cannot send pings: send a message');
    if (payload === undefined) {
      this.ops.push({ kind: 'ping' });
      return;
    }
    const bytes = typeof payload === 'string' ? utf8Encoder.encode(payload) : payload;
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_PING_BYTES) {
      throw new InvalidValueError(`ping payload must be a string or Uint8Array of at most ${MAX_PING_BYTES} bytes`);
    }
    this.ops.push({ kind: 'ping', bytes });
  }

  /**
   * The connection's verified user (subject and kept claims), when verified identity is on (FAAS_GRIP_AUTH_ISSUER):
   * checked from the handshake's token before the handler runs, and the same on every later event of the
   * connection. Undefined when identity is off.
   */
  get user(): VerifiedUser | undefined {
    return identityOf(this)?.user;
  }

  /** True once accept() was called. */
  get accepted(): boolean {
    return this.acceptedFlag;
  }

  /** The handshake refusal, when reject() was called. */
  get rejection(): { readonly status: number; readonly body?: string } | undefined {
    return this.rejected;
  }

  /**
   * The close this connection gets: 1008 when it went over its message rate, 1013 when messages were left unread at
   * the deadline and the proxy cannot take them back, else our close(), when called.
   */
  get closing(): { readonly code: number; readonly reason?: string } | undefined {
    if (this.messageCount > this.allowedMessages) {
      return { code: RATE_LIMIT_CLOSE_CODE, reason: RATE_LIMIT_CLOSE_REASON };
    }
    if (this.deferredAt !== undefined && !this.flowControl) {
      return { code: DEADLINE_CLOSE_CODE, reason: DEADLINE_CLOSE_REASON };
    }
    return this.closed;
  }

  /** What the inbound limits did to this request (see {@link WebSocketContextInit.messageRate}). */
  get limits(): InboundLimits {
    const refused = Math.max(0, this.messageCount - this.allowedMessages);
    const deferredAt = this.deferredAt;
    if (deferredAt === undefined) return { refused, deferred: 0, acceptedBytes: 0, flowControl: this.flowControl };
    const before = this.events.slice(0, deferredAt);
    return {
      refused,
      deferred: this.events.slice(deferredAt).filter((e) => MESSAGE.has(e.type)).length,
      acceptedBytes: before.reduce((sum, e) => sum + (e.content?.length ?? 0), 0),
      flowControl: this.flowControl,
    };
  }

  /** The peer's CLOSE (code and reason when it sent them), when one was received. */
  get peerClose(): { readonly code?: number; readonly reason?: string } | undefined {
    return this.peerCloseInfo;
  }

  /** True when the client went away without a close handshake (DISCONNECT received). */
  get disconnected(): boolean {
    return this.disconnectedFlag;
  }

  /** Everything the handler asked to send or do, in call order (a GRIP PING's PONG first). */
  get outgoing(): readonly OutgoingOperation[] {
    return this.ops;
  }

  /** The inbound events of this request. */
  get inbound(): readonly WebSocketEvent[] {
    return this.events;
  }

  /**
   * Meta the handler set or changed (with each value's header encoding), and names it removed. MetaError for bad
   * names, non-strings or over the caps.
   */
  metaChanges(): EncodedMetaChanges {
    const changes = diffMeta(this.meta, this.originalMeta);
    for (const name of [RATE_META, USER_META]) {
      if (name in changes.set || changes.removed.includes(name)) {
        throw new MetaError(`meta.${name} is the runtime's own: use another name`);
      }
    }
    const runtime: Record<string, string> = {};
    const identity = identityOf(this);
    if (identity?.changed && identity.user !== undefined) runtime[USER_META] = encodeUser(identity.user);
    if (this.rate !== undefined) {
      const state = chargedState(this.rateState, this.rate, this.arrivedAt, this.handedOut);
      if (state !== undefined && state !== this.rateState) runtime[RATE_META] = state;
    }
    if (Object.keys(runtime).length === 0) return changes;
    return {
      set: { ...changes.set, ...runtime },
      removed: changes.removed,
      encoded: { ...changes.encoded, ...runtime },
    };
  }

  /** The transport's synchronous result (GRIP proxy response). */
  toResponse(): R {
    return this.finisher.toResponse(this);
  }

  /** Commits the context's effects and returns the Lambda result. */
  finish(): Promise<R> {
    return this.finisher.finish(this);
  }

  private pastReadDeadline(): boolean {
    return this.readUntil !== undefined && Date.now() >= this.readUntil;
  }

  private channelName(channel: string): string {
    if (typeof channel !== 'string' || channel.length === 0) validateChannel(channel);
    return validateChannel(this.prefix + channel);
  }

  private requireGrip(method: string, advice: string): void {
    if (this.transport !== Transport.GRIP) {
      throw new TransportNotSupportedError(
        `${method} is not supported on the ${this.transport.name} transport: ${advice}; ` +
          'or serve this connection through a GRIP proxy (Pushpin, Fastly Fanout)',
      );
    }
  }
}
