/**
 * The function's side of the channel protocol (wire format: envelope.ts): subscribe with a position and get what
 * was missed, fetch to fill a gap, history pages, heartbeats. One call per received message, on either transport.
 *
 * No gap between replay and live, by design: a subscription takes effect when the function's answer is committed
 * (GRIP: when the proxy applies the answer's `subscribe`; native: when the connection's item is written), after
 * the replay was read. A message appended in between is in neither, so the client library sends a `fetch` from its
 * last offset once it gets `subscribed`: anything appended before the subscription took effect is then in the log
 * that fetch reads, and anything appended after reaches the subscription live (a publish appends before it
 * delivers). Messages that arrive twice (live and replayed) are dropped by offset, and order is restored by offset.
 */
import { loadAuth } from '../auth-loader';
import { type AuthorizeFunction, isAllowed } from '../core/channel-rules';
import { InvalidValueError } from '../core/errors';
import type { VerifiedUser } from '../core/identity';
import { runtimeSettings } from '../core/settings';
import { recordVerifiedUser, type WebSocketContext } from '../core/websocket-context';
import type { ChannelLog, ChannelPosition, LoggedMessage } from './channel-log';
import { channelLog, isDurableChannel } from './durable';
import {
  authenticatedFrame,
  type ChannelCommand,
  envelopeChannel,
  errorFrame,
  historyFrame,
  messageFrame,
  ProtocolError,
  parseChannelCommand,
  positionFrame,
  presenceFrame,
  simpleFrame,
} from './envelope';
import { presenceStore } from './presence';
import {
  joinPresence,
  leavePresence,
  memberChannels,
  type PresenceIdentity,
  presenceConfigured,
  presenceHeartbeat,
  tolerantly,
} from './presence-events';

/** Options of {@link handleChannelCommand}. */
export interface ChannelProtocolOptions {
  /** The log. @default - the container's log (FAAS_GRIP_CHANNEL_LOG_TABLE) */
  readonly log?: ChannelLog;
  /**
   * Decides whether the connection's user may read a channel (`subscribe`, `fetch`, `history` and `presence`, all
   * with action `subscribe`); a refusal is answered with an `error` frame (code `forbidden`) and changes nothing.
   * @default - the built-in rules (channelRules(): FAAS_GRIP_PRIVATE_CHANNELS, `user:<sub>` channels)
   */
  readonly authorize?: AuthorizeFunction;
  /** Most messages one `subscribed` or `fetched` answer replays; the client fetches the rest. @default 100 */
  readonly replayLimit?: number;
  /** Most bytes of frames one answer replays (at least one message is always sent). @default 262,144 */
  readonly replayBytes?: number;
  /**
   * Who the connection is in presence, when it subscribes to `channel` (undefined: not a member). Presence needs
   * FAAS_GRIP_PRESENCE_TABLE. @default - no presence
   */
  readonly presence?: (ws: WebSocketContext<unknown>, channel: string) => PresenceIdentity | undefined;
}

/**
 * Handles `message` when it is a channel protocol frame: returns the promise of its answer on `ws` (sent, and the
 * subscription changed, when it settles). Returns undefined at once, doing nothing, for the application's own
 * messages, so the publishes of a receive loop stay in one turn (and share control requests). A bad frame is
 * answered with an `error` frame, never thrown.
 * @example
 * while (ws.canRecv()) {
 *   const message = ws.recvRaw();
 *   if (message === null) break;
 *   const command = handleChannelCommand(ws, message);
 *   if (command) { await command; continue; }
 *   // the application's own message
 * }
 */
export function handleChannelCommand(
  ws: WebSocketContext<unknown>,
  message: string | Uint8Array,
  options: ChannelProtocolOptions = {},
): Promise<void> | undefined {
  let command: ChannelCommand | undefined;
  try {
    command = parseChannelCommand(message);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    ws.send(errorFrame(error));
    return Promise.resolve();
  }
  if (command === undefined) return undefined;
  if (command.op === 'ping') {
    ws.send(simpleFrame('pong'));
    // The heartbeat is also the member's liveness signal.
    return tolerantly('heartbeat', () => presenceHeartbeat(ws, options.presence));
  }
  if (command.op === 'auth') return refreshIdentity(ws, command.token);
  return run(ws, command, options);
}

/**
 * A fresh token over the connection: verified like the handshake's, it must name the same user; the connection's
 * identity then lasts until the new expiry. Answered with `authenticated`, or an `error` frame (`unauthorized`,
 * `no-auth`) that leaves the identity as it was.
 */
async function refreshIdentity(ws: WebSocketContext<unknown>, token: string): Promise<void> {
  const settings = runtimeSettings().auth;
  if (settings === undefined) {
    ws.send(errorFrame({ code: 'no-auth', message: 'verified identity is not configured here', op: 'auth' }));
    return;
  }
  const { tokenVerifier } = await loadAuth();
  let user: VerifiedUser;
  try {
    user = await tokenVerifier(settings).verify(token);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ws.send(errorFrame({ code: 'unauthorized', message, op: 'auth' }));
    return;
  }
  if (ws.user !== undefined && ws.user.sub !== user.sub) {
    ws.send(errorFrame({ code: 'unauthorized', message: 'the token is for another user', op: 'auth' }));
    return;
  }
  recordVerifiedUser(ws, user);
  ws.send(authenticatedFrame(user.expiresAt));
}

async function run(
  ws: WebSocketContext<unknown>,
  command: Exclude<ChannelCommand, { op: 'ping' } | { op: 'auth' }>,
  options: ChannelProtocolOptions,
): Promise<void> {
  const { op, channel } = command;
  try {
    if (!isDurableChannel(channel)) {
      throw new ProtocolError(
        'not-durable',
        `channel '${channel}' is not durable: it has no log to follow`,
        op,
        channel,
      );
    }
    if (
      op !== 'unsubscribe' &&
      !(await isAllowed({ user: ws.user, channel, action: 'subscribe', op }, options.authorize))
    ) {
      throw new ProtocolError('forbidden', `this connection may not ${op} channel '${channel}'`, op, channel);
    }
    await answer(ws, command, options);
  } catch (error) {
    if (error instanceof ProtocolError) ws.send(errorFrame(error));
    else if (error instanceof InvalidValueError) {
      ws.send(errorFrame({ code: 'invalid-position', message: error.message, op, channel }));
    } else {
      // The log is unavailable (ChannelLogError, no table): the client may try again.
      const reason = error instanceof Error ? error.message : String(error);
      ws.send(
        errorFrame({ code: 'unavailable', message: `the channel log could not be read: ${reason}`, op, channel }),
      );
    }
  }
}

async function answer(
  ws: WebSocketContext<unknown>,
  command: Exclude<ChannelCommand, { op: 'ping' } | { op: 'auth' }>,
  options: ChannelProtocolOptions,
): Promise<void> {
  const log = options.log ?? channelLog();
  const { channel } = command;
  switch (command.op) {
    case 'unsubscribe':
      ws.unsubscribe(envelopeChannel(channel));
      if (memberChannels(ws).includes(channel)) await tolerantly('leave', () => leavePresence(ws, channel));
      ws.send(simpleFrame('unsubscribed', channel));
      return;
    case 'presence': {
      if (!presenceConfigured()) {
        throw new ProtocolError(
          'no-presence',
          'presence is not configured here (no presence table)',
          'presence',
          channel,
        );
      }
      const store = presenceStore();
      const [page, stats] = await Promise.all([
        store.list(channel, { limit: command.limit, pageToken: command.pageToken }),
        store.stats(channel),
      ]);
      ws.send(presenceFrame(channel, page, stats, command.id));
      return;
    }
    case 'history': {
      const page = await log.read(channel, {
        after: command.after,
        before: command.before,
        limit: command.limit,
        newestFirst: command.after === undefined,
      });
      ws.send(historyFrame(channel, page, command.id));
      return;
    }
    case 'subscribe':
      // A protocol subscriber gets the channel's envelopes instead of its plain messages.
      ws.unsubscribe(channel);
      ws.subscribe(envelopeChannel(channel));
      if (command.position !== undefined) {
        await replay(ws, log, channel, command.position, 'subscribed', options);
      } else if (command.recent !== undefined && command.recent > 0) {
        const page = await log.read(channel, { newestFirst: true, limit: command.recent });
        sendMessages(ws, [...page.messages].reverse(), options);
        ws.send(positionFrame('subscribed', channel, true, page.head));
      } else {
        ws.send(positionFrame('subscribed', channel, true, await log.head(channel)));
      }
      if (options.presence !== undefined && presenceConfigured()) {
        const who = options.presence(ws, channel);
        if (who !== undefined) await tolerantly('join', () => joinPresence(ws, channel, who));
      }
      return;
    case 'fetch':
      await replay(ws, log, channel, command.position, 'fetched', options);
      return;
  }
}

/** Sends the messages after `position` (up to the replay limits), then where the log stands. */
async function replay(
  ws: WebSocketContext<unknown>,
  log: ChannelLog,
  channel: string,
  position: ChannelPosition,
  type: 'subscribed' | 'fetched',
  options: ChannelProtocolOptions,
): Promise<void> {
  const resumed = await log.resume(channel, position, options.replayLimit ?? 100);
  sendMessages(ws, resumed.messages, options);
  ws.send(positionFrame(type, channel, resumed.recovered, resumed.head));
}

function sendMessages(
  ws: WebSocketContext<unknown>,
  messages: readonly LoggedMessage[],
  options: ChannelProtocolOptions,
): void {
  const budget = options.replayBytes ?? 262_144;
  let bytes = 0;
  for (const message of messages) {
    const frame = messageFrame(message);
    bytes += frame.length;
    if (bytes > budget && bytes !== frame.length) return;
    ws.send(frame);
  }
}
