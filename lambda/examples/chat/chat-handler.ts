/**
 * The seed's chat, unchanged on both transports (GRIP proxy or API Gateway WebSocket API). Wire behaviour:
 *
 * - a new connection is accepted and joins channel `room`;
 * - `/nick <name>` sets the nickname (kept in meta) and answers `nickname set to [<name>]` to the sender only;
 *   with verified identity on (FAAS_GRIP_AUTH_ISSUER) the nickname is the signed-in user's name and `/nick` is
 *   refused;
 * - `/join <channel>` leaves the current channel, joins `<channel>` (kept in meta) and answers `joined [<channel>]`;
 *   a private channel (FAAS_GRIP_PRIVATE_CHANNELS) admits only its listed users, others get `error: ...` and stay;
 * - `/channels` answers `channels: <name>, <name>, ...`, the channels that have had a message (with a channel
 *   log; `error: ...` without one);
 * - a connection that subscribes through the protocol is a member of the channel's presence under its nick (with a
 *   presence table); it leaves on unsubscribe or when it closes, and a new nick leaves and joins again;
 * - `/ping` is a heartbeat (API Gateway closes connections idle for 10 minutes) and gets no answer;
 * - a channel protocol frame (a JSON object with an `fg` member, sent by `faas-grip-cdk/client`) subscribes with a
 *   position, fetches missed messages, reads history or answers a heartbeat (channels are durable when the
 *   function has a channel log table);
 * - any other text is published to the connection's channel as `<nick>: <text>` (`anonymous` until a nick is set)
 *   and reaches every subscriber, the sender included;
 * - a CLOSE is answered with a CLOSE carrying the same code (done by the runtime);
 * - bad input (nickname empty or over 64 characters, invalid channel name, message over 32 KiB, bytes that are
 *   not UTF-8) gets an `error: ...` answer and changes nothing.
 *
 * A request's messages are published together (publish() calls of one turn share control requests, in call order),
 * so each sender's messages arrive in the order they were sent and thousands of queued messages cost a few requests.
 * A message that could not be published is reported to the sender after the request's replies (and logged and
 * counted by `publish()`). The runtime bounds each request: a connection over its message rate is closed with 1008,
 * and messages left at the read deadline go back to the proxy (or the connection is closed with 1013).
 */

import { webSocketHandler } from '../../aws/websocket-handler';
import { handleChannelCommand } from '../../channels/channel-protocol';
import { channelLog } from '../../channels/durable';
import { connectionClosed, type PresenceIdentity, renamePresence, tolerantly } from '../../channels/presence-events';
import { defaultRules, isAllowed } from '../../core/channel-rules';
import { publish } from '../../core/publish';
import { runtimeSettings } from '../../core/settings';
import type { WebSocketContext } from '../../core/websocket-context';
import { WebSocketMessageFormat } from '../../grip/formats';
import {
  broadcastLine,
  CHANNEL_META,
  channelOf,
  channelsReply,
  forbiddenJoinReply,
  joinedReply,
  NICK_META,
  nickOf,
  nickOfUser,
  nickReply,
  parseChatMessage,
  SIGNED_IN_NICK_REPLY,
} from './chat-commands';

/** The chat's Lambda handler. */
export const handler = webSocketHandler(async (ws) => {
  if (ws.isOpening()) {
    ws.accept();
    ws.subscribe(channelOf(ws.meta));
  }
  const published: Array<Promise<string | undefined>> = [];
  // Asked once per request (and again after a /join), so the loop's publishes stay in one turn.
  let mayPublish = await mayPublishTo(ws, channelOf(ws.meta));
  while (ws.canRecv()) {
    const message = ws.recvRaw();
    if (message === null) {
      break;
    }
    // The channel protocol (history, resume after a reconnect) of faas-grip-cdk/client.
    const protocol = handleChannelCommand(ws, message, { presence: presenceOf });
    if (protocol) {
      await protocol;
      continue;
    }
    const command = parseChatMessage(message);
    switch (command.kind) {
      case 'nick':
        if (ws.user !== undefined) {
          ws.send(SIGNED_IN_NICK_REPLY);
          break;
        }
        ws.meta[NICK_META] = command.nick;
        ws.send(nickReply(command.nick));
        await renamed(ws);
        break;
      case 'join':
        if (!(await isAllowed({ user: ws.user, channel: command.channel, action: 'subscribe', op: 'join' }))) {
          ws.send(forbiddenJoinReply(command.channel));
          break;
        }
        ws.unsubscribe(channelOf(ws.meta));
        ws.subscribe(command.channel);
        ws.meta[CHANNEL_META] = command.channel;
        ws.send(joinedReply(command.channel));
        mayPublish = await mayPublishTo(ws, command.channel);
        break;
      case 'ping':
        break;
      case 'channels':
        ws.send(await channelList(ws));
        break;
      case 'invalid':
        ws.send(command.reply);
        break;
      case 'say': {
        const channel = channelOf(ws.meta);
        if (!mayPublish) {
          ws.send(`error: you may not publish to [${channel}]`);
          break;
        }
        // Not awaited here: the loop's publishes go out together when it ends.
        const line = new WebSocketMessageFormat(broadcastLine(nameOf(ws), command.text));
        published.push(
          publish(channel, line, ws.user ? { from: ws.user.sub } : {}).then(
            () => undefined,
            () => `error: your message could not be delivered to [${channel}]; please send it again`,
          ),
        );
        break;
      }
    }
  }
  for (const failure of await Promise.all(published)) {
    if (failure !== undefined) ws.send(failure);
  }
  // Closed (by the client, or its connection ended): it leaves the presence of every channel at once.
  if (ws.disconnected || ws.peerClose !== undefined) await tolerantly('leave', () => connectionClosed(ws.id));
});

function mayPublishTo(ws: WebSocketContext<unknown>, channel: string): Promise<boolean> {
  return isAllowed({ user: ws.user, channel, action: 'publish', op: 'say' });
}

/** The connection's name in the chat: the signed-in user's, else its nick. */
function nameOf(ws: WebSocketContext<unknown>): string {
  return ws.user !== undefined ? nickOfUser(ws.user) : nickOf(ws.meta);
}

/**
 * Who a connection is in presence: the signed-in user (by subject), else its nick (each anonymous connection its
 * own user).
 */
function presenceOf(ws: WebSocketContext<unknown>): PresenceIdentity {
  const nick = nameOf(ws);
  if (ws.user !== undefined) return { user: ws.user.sub, info: { nick } };
  return { user: ws.meta[NICK_META] ? nick : `${nick}#${ws.id}`, info: { nick } };
}

/** A new nick: the connection's presence entries leave and join again under it (announced both ways). */
async function renamed(ws: WebSocketContext<unknown>): Promise<void> {
  await tolerantly('rename', () => renamePresence(ws, presenceOf(ws)));
}

/** The answer to `/channels`: the channels with history that this connection may read (private ones left out). */
async function channelList(ws: WebSocketContext<unknown>): Promise<string> {
  if (!runtimeSettings().channelLogTable) return 'error: no channel list here: the chat keeps no history';
  try {
    const rules = defaultRules();
    const channels = await channelLog().channels();
    const readable = await Promise.all(
      channels.map(
        async (channel) => (await rules({ user: ws.user, channel, action: 'subscribe', op: 'list' })) === true,
      ),
    );
    return channelsReply(channels.filter((_, i) => readable[i]));
  } catch {
    return 'error: the channel list could not be read; please try again';
  }
}
