import { ConnectionTableSchema } from '../contract';
import { InvalidValueError, OutputLimitError, TransportNotSupportedError, WebSocketStateError } from '../core/errors';
import {
  handshakeProtocol,
  type OutgoingOperation,
  Transport,
  WebSocketContext,
  type WebSocketContextInit,
  type WebSocketFinisher,
} from '../core/websocket-context';
import { gripPrefix } from '../grip/io/grip-config';
import type { WebSocketEvent } from '../grip/websocket-events';
import { type PendingMessage, type PendingSend, payloadOf } from './connection-items';
import type { ConnectionRecord } from './connection-store';
import { checkNativeMessageSize, deleteRemoteConnection, postOrThrow } from './management';
import { loggerOf, managementOf, type NativeDeps, storeOf } from './native-deps';
import { type NativeEvent, readNativeEvent } from './native-event';
import { deliverTakenPending, schedulePendingDelivery } from './pending';

/** Largest total of messages sent during `$connect` (they wait on the connection's item, 400 KB at most). */
export const MAX_PENDING_BYTES = 300 * 1024;

/**
 * Longest channel name (with its prefix, UTF-8 bytes) a native connection can join: a membership item carries it
 * as `CHAN#<channel>`, which the table's `reverse` index uses as its sort key, and DynamoDB caps sort keys at
 * 1,024 bytes.
 */
export const MAX_NATIVE_CHANNEL_BYTES = 1024 - ConnectionTableSchema.channelPrefix.length;

/** A context on the native transport: `finish()` commits its effects and gives the route's result. */
export type NativeContext = WebSocketContext<NativeResult>;

/** The Lambda result of an API Gateway WebSocket route. */
export interface NativeResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * Builds the context of an API Gateway WebSocket event (Transport.NATIVE): `$connect` gives [OPEN] and empty
 * meta; a message gives [TEXT] or [BINARY] and the meta stored for the connection; `$disconnect` gives
 * [DISCONNECT]. `await ctx.finish()` commits what the handler did and returns the route's result.
 */
export async function createNativeContext(event: unknown, deps: NativeDeps = {}): Promise<NativeContext> {
  const native = readNativeEvent(event);
  const record = native.type === 'CONNECT' ? undefined : await storeOf(deps).getConnection(native.connectionId);
  const prefix = deps.prefix ?? gripPrefix();
  return new NativeWebSocketContext(prefix, {
    id: native.connectionId,
    transport: Transport.NATIVE,
    handshake: { headers: native.headers, query: native.query },
    meta: record?.meta ?? {},
    events: [inboundEvent(native)],
    prefix,
    finisher: new NativeFinisher(native, record, deps),
  });
}

/** The context of a native connection: subscribe() also checks the name against the table's key limit. */
class NativeWebSocketContext extends WebSocketContext<NativeResult> {
  constructor(
    private readonly channelPrefix: string,
    init: WebSocketContextInit<NativeResult>,
  ) {
    super(init);
  }

  /** Subscribes the connection to a channel; InvalidValueError for a bad name or one over the native limit. */
  override subscribe(channel: string): void {
    const bytes = typeof channel === 'string' ? Buffer.byteLength(this.channelPrefix + channel, 'utf8') : 0;
    if (bytes > MAX_NATIVE_CHANNEL_BYTES) {
      throw new InvalidValueError(
        `channel name of ${bytes} bytes (with its prefix) is over the ${MAX_NATIVE_CHANNEL_BYTES}-byte limit of ` +
          'API Gateway WebSocket connections (the connection table keys it): use a shorter name, e.g. a hash',
      );
    }
    super.subscribe(channel);
  }
}

function inboundEvent(native: NativeEvent): WebSocketEvent {
  if (native.type === 'CONNECT') return { type: 'OPEN' };
  if (native.type === 'DISCONNECT') return { type: 'DISCONNECT' };
  return { type: native.message?.binary ? 'BINARY' : 'TEXT', content: native.message?.content };
}

/** Commits a native context: DynamoDB for meta and subscriptions, the management API for sends and close. */
class NativeFinisher implements WebSocketFinisher<NativeResult> {
  private finished = false;

  constructor(
    private readonly event: NativeEvent,
    private readonly record: ConnectionRecord | undefined,
    private readonly deps: NativeDeps,
  ) {}

  toResponse(): never {
    throw new TransportNotSupportedError(
      'toResponse() cannot answer an API Gateway WebSocket event: its effects need I/O; ' +
        'use webSocketHandler or await ws.finish()',
    );
  }

  async finish(ctx: NativeContext): Promise<NativeResult> {
    if (this.finished) throw new WebSocketStateError('finish() called twice: a context is committed once');
    this.finished = true;
    if (this.event.type === 'CONNECT') return this.connect(ctx);
    if (this.event.type === 'MESSAGE') return this.message(ctx);
    return this.disconnect(ctx);
  }

  private async connect(ctx: WebSocketContext): Promise<NativeResult> {
    if (ctx.rejection) return { statusCode: ctx.rejection.status, body: ctx.rejection.body };
    if (!ctx.accepted) return { statusCode: 403, body: 'connection neither accepted nor rejected' };
    const pending: PendingMessage[] = messagesOf(ctx.outgoing);
    if (ctx.closing) pending.push({ kind: 'close' });
    checkPendingSize(pending);
    const { set } = ctx.metaChanges();
    const id = ctx.id;
    await storeOf(this.deps).putConnection(id, { meta: set, channels: netSubscriptions(ctx.outgoing).add, pending });
    if (pending.length > 0) await schedulePendingDelivery(id, this.deps);
    const protocol =
      handshakeProtocol(ctx) ??
      selectedSubprotocol(this.event.headers['sec-websocket-protocol'], this.deps.subprotocols);
    return protocol ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': protocol } } : { statusCode: 200 };
  }

  private async message(ctx: WebSocketContext): Promise<NativeResult> {
    const sends = messagesOf(ctx.outgoing);
    for (const m of sends) checkNativeMessageSize(payloadOf(m));
    const store = storeOf(this.deps);
    const id = ctx.id;
    if (this.record && this.record.pendingCount > 0) {
      const taken = await store.takePending(id);
      if (taken.length > 0) await deliverTakenPending(id, taken, this.deps);
    }
    const { set, removed } = ctx.metaChanges();
    const { add, remove } = netSubscriptions(ctx.outgoing);
    if (!this.record && (Object.keys(set).length > 0 || add.length > 0)) {
      // A connection this store never saw (no $connect route, or its commit was lost): adopt it.
      await store.putConnection(id, { meta: set, channels: add });
    } else {
      if (Object.keys(set).length + removed.length > 0) await store.updateMeta(id, set, removed);
      await store.subscribe(id, add, this.record?.expiresAt);
    }
    await store.unsubscribe(id, remove);
    if (sends.length > 0 || ctx.closing) await this.sendAndClose(ctx, sends);
    return { statusCode: 200 };
  }

  private async disconnect(ctx: WebSocketContext): Promise<NativeResult> {
    const dropped = ctx.outgoing.filter((op) => op.kind === 'text' || op.kind === 'binary').length;
    if (dropped > 0) {
      loggerOf(this.deps).warn('messages sent in $disconnect were dropped: the connection is closed', {
        connectionId: ctx.id,
        dropped,
      });
    }
    if (this.record && this.record.pendingCount > 0) {
      loggerOf(this.deps).warn('pending messages lost: the connection closed before they were delivered', {
        connectionId: ctx.id,
        lost: this.record.pendingCount,
      });
    }
    await storeOf(this.deps).deleteConnection(ctx.id);
    return { statusCode: 200 };
  }

  private async sendAndClose(ctx: WebSocketContext, sends: readonly PendingSend[]): Promise<void> {
    const client = await managementOf(this.deps);
    for (const m of sends) {
      const outcome = await postOrThrow(client, ctx.id, payloadOf(m), this.deps.postRetry);
      if (outcome === 'gone') {
        loggerOf(this.deps).info('connection left while answering it', { connectionId: ctx.id });
        return;
      }
    }
    if (ctx.closing) await deleteRemoteConnection(client, ctx.id);
  }
}

/**
 * The subprotocol to answer `$connect` with: the first of the handler's `supported` ones that the client offered,
 * else none. API Gateway leaves the choice to the handler and sends whatever the route answers, so an offered
 * protocol the handler does not speak is never echoed.
 */
function selectedSubprotocol(offered: string | undefined, supported: readonly string[] = []): string | undefined {
  if (!offered) return undefined;
  const list = offered.split(',').map((p) => p.trim());
  return supported.find((p) => list.includes(p));
}

/** The text and binary sends, in order. */
function messagesOf(ops: readonly OutgoingOperation[]): PendingSend[] {
  const out: PendingSend[] = [];
  for (const op of ops) {
    if (op.kind === 'text') out.push({ kind: 'text', text: op.text });
    else if (op.kind === 'binary') out.push({ kind: 'binary', bytes: op.bytes });
  }
  return out;
}

/** The channels to join and leave, the last subscribe/unsubscribe of each channel winning. */
function netSubscriptions(ops: readonly OutgoingOperation[]): { add: string[]; remove: string[] } {
  const last = new Map<string, boolean>();
  for (const op of ops) {
    if (op.kind === 'subscribe') last.set(op.channel, true);
    else if (op.kind === 'unsubscribe') last.set(op.channel, false);
  }
  const add = [...last].filter(([, on]) => on).map(([channel]) => channel);
  const remove = [...last].filter(([, on]) => !on).map(([channel]) => channel);
  return { add, remove };
}

function checkPendingSize(pending: readonly PendingMessage[]): void {
  let total = 0;
  for (const m of pending) {
    if (m.kind === 'close') continue;
    checkNativeMessageSize(payloadOf(m));
    total += m.kind === 'text' ? Buffer.byteLength(m.text, 'utf8') : m.bytes.byteLength;
  }
  if (total > MAX_PENDING_BYTES) {
    throw new OutputLimitError(
      `messages sent during $connect total ${total} bytes, over ${MAX_PENDING_BYTES}: they wait in the ` +
        "connection's DynamoDB item until it opens; send less, or send after the first message",
    );
  }
}
