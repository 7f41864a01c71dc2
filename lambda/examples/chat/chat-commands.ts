/**
 * The chat's pure logic: turning one received message into a command, validating it, and the exact reply
 * texts clients rely on. No I/O; the handler (chat.ts) applies the result to the connection.
 */
import { CHANNEL_NAME_RULE, isValidChannel } from '../../core/channel-name';

/** The chat's heartbeat command (the chat page sends it inside API Gateway's 10-minute idle limit). */
export const PING_COMMAND = '/ping';
/** The chat's channel list command (seed 003's channel list). */
export const CHANNELS_COMMAND = '/channels';
/** Channel every connection joins when it opens. */
export const DEFAULT_CHANNEL = 'room';
/** Longest nickname, in characters (Unicode code points). */
export const MAX_NICK_LENGTH = 64;
/** Largest chat message, in UTF-8 bytes (32 KiB; API Gateway's WebSocket frame limit). */
export const MAX_MESSAGE_BYTES = 32 * 1024;
/** Meta key holding the nickname. */
export const NICK_META = 'nick';
/** Meta key holding the current channel. */
export const CHANNEL_META = 'channel';
/** Name shown for a connection that has not set a nickname. */
export const ANONYMOUS = 'anonymous';

// C0 and C1 control characters (CR, LF, TAB, NUL, ...): they would break one-line chat output.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI): they reorder what follows, so a nick could show as
// someone else's or carry the rest of the line along.
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** Separates the nick from the text in a broadcast line, so a nick never contains it. */
const NICK_SEPARATOR = ':';
/** Nicks that would read as a server reply (`error: ...`), compared case-insensitively. */
const RESERVED_NICKS: ReadonlySet<string> = new Set(['error']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What one received message asks the chat to do. */
export type ChatCommand =
  /** `/nick <name>`: set the nickname. */
  | { readonly kind: 'nick'; readonly nick: string }
  /** `/join <channel>`: move to another channel. */
  | { readonly kind: 'join'; readonly channel: string }
  /** `/ping`: a heartbeat that keeps an idle connection open; it gets no answer. */
  | { readonly kind: 'ping' }
  /** `/channels`: the list of channels that have had a message. */
  | { readonly kind: 'channels' }
  /** Anything else: text to publish to the connection's channel. */
  | { readonly kind: 'say'; readonly text: string }
  /** Input the chat refuses; `reply` tells the sender why. */
  | { readonly kind: 'invalid'; readonly reply: string };

/** The reply to a successful `/nick`. */
export function nickReply(nick: string): string {
  return `nickname set to [${nick}]`;
}

/** The reply to a successful `/join`. */
export function joinedReply(channel: string): string {
  return `joined [${channel}]`;
}

/** The reply to `/channels`: `channels: a, b, c` (`channels: none` when there is none yet). */
export function channelsReply(channels: readonly string[]): string {
  return `channels: ${channels.length > 0 ? channels.join(', ') : 'none'}`;
}

/** The line published for a message: `<nick>: <text>`. */
export function broadcastLine(nick: string, text: string): string {
  return `${nick}: ${text}`;
}

/** The connection's channel from its meta; the default channel when unset or not a valid name. */
export function channelOf(meta: Readonly<Record<string, string>>): string {
  const channel = meta[CHANNEL_META];
  return channel !== undefined && isValidChannel(channel) ? channel : DEFAULT_CHANNEL;
}

/** The connection's nickname from its meta; `anonymous` when unset. */
export function nickOf(meta: Readonly<Record<string, string>>): string {
  return meta[NICK_META] || ANONYMOUS;
}

/**
 * The nickname of a signed-in user: the first of the token's `name`, `preferred_username`, `cognito:username` and
 * `sub` that is a valid nickname (`sub` always counts, shown as is when nothing else is usable).
 */
export function nickOfUser(user: { readonly sub: string; readonly claims: Readonly<Record<string, unknown>> }): string {
  for (const claim of ['name', 'preferred_username', 'cognito:username']) {
    const value = user.claims[claim];
    if (typeof value === 'string' && parseNick(value).kind === 'nick') return value;
  }
  return parseNick(user.sub).kind === 'nick'
    ? user.sub
    : `user ${[...user.sub]
        .slice(0, 32)
        .join('')
        .replace(/[^\w.@-]/g, '_')}`;
}

/** The reply to `/nick` from a signed-in user: the name comes from the sign-in. */
export const SIGNED_IN_NICK_REPLY = 'error: your name comes from your sign-in; sign in as another user to change it';

/** The reply to a `/join` the channel rules refuse. */
export function forbiddenJoinReply(channel: string): string {
  return `error: [${channel}] is private; you are not on its list`;
}

function parseNick(nick: string): ChatCommand {
  const length = [...nick].length;
  if (nick.trim() === '') {
    return { kind: 'invalid', reply: 'error: empty nickname; send /nick <name>' };
  }
  if (length > MAX_NICK_LENGTH) {
    return {
      kind: 'invalid',
      reply: `error: nickname too long (${length} characters, the limit is ${MAX_NICK_LENGTH})`,
    };
  }
  if (CONTROL.test(nick)) {
    return { kind: 'invalid', reply: 'error: a nickname cannot contain control characters such as newlines' };
  }
  if (BIDI_CONTROL.test(nick)) {
    return { kind: 'invalid', reply: 'error: a nickname cannot contain bidirectional control characters' };
  }
  if (nick.includes(NICK_SEPARATOR)) {
    return { kind: 'invalid', reply: "error: a nickname cannot contain ':' (it separates the nickname from the text)" };
  }
  if (RESERVED_NICKS.has(nick.trim().toLowerCase())) {
    return { kind: 'invalid', reply: `error: the nickname [${nick}] is reserved` };
  }
  return { kind: 'nick', nick };
}

function parseJoin(channel: string): ChatCommand {
  if (!isValidChannel(channel)) {
    const shown = [...channel].slice(0, MAX_NICK_LENGTH).join('').replace(CONTROL, '?');
    return {
      kind: 'invalid',
      reply: `error: invalid channel name [${shown}]; use ${CHANNEL_NAME_RULE}`,
    };
  }
  return { kind: 'join', channel };
}

function argumentOf(text: string, command: string): string | undefined {
  if (text === command) {
    return '';
  }
  return text.startsWith(`${command} `) ? text.slice(command.length + 1) : undefined;
}

/**
 * Reads one received message (TEXT, or BINARY that is valid UTF-8) into a command.
 *
 * @example
 * parseChatMessage(new TextEncoder().encode('/nick 🦊')); // { kind: 'nick', nick: '🦊' }
 */
export function parseChatMessage(bytes: Uint8Array): ChatCommand {
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    return {
      kind: 'invalid',
      reply: `error: message too large (${bytes.byteLength} bytes, the limit is ${MAX_MESSAGE_BYTES})`,
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'invalid', reply: 'error: messages must be UTF-8 text' };
  }
  if (text === PING_COMMAND) {
    return { kind: 'ping' };
  }
  if (text === CHANNELS_COMMAND) {
    return { kind: 'channels' };
  }
  const nick = argumentOf(text, '/nick');
  if (nick !== undefined) {
    return parseNick(nick);
  }
  const channel = argumentOf(text, '/join');
  if (channel !== undefined) {
    return parseJoin(channel);
  }
  return { kind: 'say', text };
}
