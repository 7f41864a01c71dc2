/**
 * The channel protocol's wire format, version 1: the frames a client and a function exchange over a WebSocket (on
 * either transport) for durable channels. Pure: no I/O. Every frame is one TEXT message holding one JSON object
 * whose `fg` member is the protocol version (1); anything else is the application's own message.
 *
 * Client → function (`op`):
 * - `{"fg":1,"op":"subscribe","channel":"room"}`: live from now; add `"offset":41,"epoch":"…"` to resume after a
 *   position, or `"recent":50` to start with the channel's last 50 messages.
 * - `{"fg":1,"op":"fetch","channel":"room","offset":41,"epoch":"…"}`: the messages after a position (no
 *   subscription change), to fill a gap.
 * - `{"fg":1,"op":"unsubscribe","channel":"room"}`
 * - `{"fg":1,"op":"history","channel":"room","limit":50,"before":120,"id":"h1"}`: a page of history (newest first;
 *   `"after":…` reads oldest first).
 * - `{"fg":1,"op":"presence","channel":"room","limit":100,"pageToken":"…","id":"p1"}`: who is in the channel.
 * - `{"fg":1,"op":"ping"}`: a heartbeat, answered with `pong` (it is also the member's liveness signal).
 *
 * Function → client (`type`):
 * - `{"fg":1,"type":"message","channel":"room","offset":42,"epoch":"…","data":"text"}` (`data64`: base64 bytes).
 * - `{"fg":1,"type":"subscribed","channel":"room","recovered":true,"offset":42,"epoch":"…"}`: after the replayed
 *   messages; `offset`/`epoch` are the channel's head when the function read it. `recovered: false`: the position
 *   could not be honoured (older than retention, or another epoch): what came between is not replayed.
 * - `{"fg":1,"type":"fetched",…}`: the same, after a `fetch`.
 * - `{"fg":1,"type":"unsubscribed","channel":"room"}`, `{"fg":1,"type":"pong"}`.
 * - `{"fg":1,"type":"history","id":"h1","channel":"room","epoch":"…","messages":[{"offset":…,"data":…,
 *   "publishedAt":…}],"next":117}` (`next`: the offset to continue from, or null).
 * - `{"fg":1,"type":"presence","id":"p1","channel":"room","members":[{"connectionId","user","info","transport"}],
 *   "next":"…","stats":{"members":3,"users":2}}`.
 * - `{"fg":1,"type":"join","channel":"room","member":{…}}` and `{"fg":1,"type":"leave",…}`: presence events.
 * - `{"fg":1,"type":"error","code":"invalid-position","message":"…","op":"subscribe","channel":"room"}`.
 */
import { CHANNEL_NAME_RULE, isValidChannel } from '../core/channel-name';
import type { ChannelPosition, LoggedMessage, LogPage } from './channel-log';

/** The version of the wire format, the value of every frame's `fg` member. */
export const PROTOCOL_VERSION = 1;

/** Most messages a `recent` subscribe or a `history` page asks for. */
export const MAX_PAGE_MESSAGES = 1000;

/** Default size of a `history` page. */
export const DEFAULT_HISTORY_LIMIT = 100;

/**
 * The channel a protocol subscriber of `channel` listens on: publishes to a durable channel go to `channel` as they
 * are (byte for byte, for clients that do not speak the protocol) and, as envelopes, to this one. `~` is not in
 * the channel names the protocol accepts, so it cannot collide with one.
 */
export function envelopeChannel(channel: string): string {
  return `~fg1~${channel}`;
}

/** What a client asks, parsed and checked. */
export type ChannelCommand =
  | {
      readonly op: 'subscribe';
      readonly channel: string;
      readonly position?: ChannelPosition;
      readonly recent?: number;
    }
  | { readonly op: 'fetch'; readonly channel: string; readonly position: ChannelPosition }
  | { readonly op: 'unsubscribe'; readonly channel: string }
  | {
      readonly op: 'history';
      readonly channel: string;
      readonly limit: number;
      readonly before?: number;
      readonly after?: number;
      readonly id?: string;
    }
  | {
      readonly op: 'presence';
      readonly channel: string;
      readonly limit: number;
      readonly pageToken?: string;
      readonly id?: string;
    }
  | { readonly op: 'ping' }
  /** A fresh token for the connection (same user), before the one it connected with expires. */
  | { readonly op: 'auth'; readonly token: string };

/** Longest token an `auth` frame may carry, in characters. */
export const MAX_AUTH_TOKEN_LENGTH = 16_384;

/** Why a frame was refused: answered to the client as an `error` frame. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    /** `invalid-frame`, `unsupported-version`, `unknown-op`, `invalid-channel`, `invalid-position`, `invalid-limit`. */
    readonly code: string,
    message: string,
    readonly op?: string,
    readonly channel?: string,
  ) {
    super(message);
  }
}

const OPS = new Set(['subscribe', 'fetch', 'unsubscribe', 'history', 'presence', 'ping', 'auth']);

/**
 * Reads one received message: a command when it is a protocol frame, `undefined` when it is the application's own
 * message (not a JSON object with an `fg` member).
 * @throws ProtocolError for a protocol frame that is malformed, of another version, or asks something invalid.
 */
export function parseChannelCommand(message: string | Uint8Array): ChannelCommand | undefined {
  if (typeof message !== 'string') {
    // A protocol frame is TEXT; bytes are read as text only to recognise one sent as BINARY.
    if (message.byteLength < 7 || message[0] !== 0x7b) return undefined;
    message = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('utf8');
  }
  const text = message.trimStart();
  if (!text.startsWith('{') || !text.includes('"fg"')) return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || !('fg' in frame)) return undefined;
  const f = frame as Record<string, unknown>;
  const op = typeof f.op === 'string' ? f.op : undefined;
  if (f.fg !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      'unsupported-version',
      `protocol version ${JSON.stringify(f.fg)} is not supported: this function speaks version ${PROTOCOL_VERSION}`,
      op,
    );
  }
  if (op === undefined || !OPS.has(op)) {
    throw new ProtocolError('unknown-op', `unknown op ${JSON.stringify(f.op)}: use ${[...OPS].join(', ')}`, op);
  }
  if (op === 'ping') return { op };
  if (op === 'auth') {
    if (typeof f.token !== 'string' || f.token.length === 0 || f.token.length > MAX_AUTH_TOKEN_LENGTH) {
      throw new ProtocolError(
        'invalid-frame',
        `auth needs a token (a string of 1 to ${MAX_AUTH_TOKEN_LENGTH} characters)`,
        op,
      );
    }
    return { op, token: f.token };
  }
  const channel = f.channel;
  if (typeof channel !== 'string' || !isValidChannel(channel)) {
    throw new ProtocolError(
      'invalid-channel',
      `invalid channel name ${JSON.stringify(channel)}: use ${CHANNEL_NAME_RULE}`,
      op,
      typeof channel === 'string' ? channel : undefined,
    );
  }
  switch (op) {
    case 'unsubscribe':
      return { op, channel };
    case 'presence': {
      const limit = f.limit === undefined ? DEFAULT_HISTORY_LIMIT : limitOf(f.limit, op, channel, 'limit', 1);
      if (f.pageToken !== undefined && (typeof f.pageToken !== 'string' || f.pageToken.length > 512)) {
        throw new ProtocolError('invalid-frame', 'pageToken must be the string a presence answer gave', op, channel);
      }
      if (f.id !== undefined && (typeof f.id !== 'string' || f.id.length > 64)) {
        throw new ProtocolError('invalid-frame', 'id must be a string of at most 64 characters', op, channel);
      }
      return {
        op,
        channel,
        limit,
        ...(typeof f.pageToken === 'string' ? { pageToken: f.pageToken } : {}),
        ...(typeof f.id === 'string' ? { id: f.id } : {}),
      };
    }
    case 'fetch':
      return { op, channel, position: positionOf(f, op, channel, true) as ChannelPosition };
    case 'subscribe': {
      const position = positionOf(f, op, channel, false);
      const recent = f.recent === undefined ? undefined : limitOf(f.recent, op, channel, 'recent', 0);
      if (position !== undefined && recent !== undefined) {
        throw new ProtocolError('invalid-position', 'give a position (offset, epoch) or recent, not both', op, channel);
      }
      return { op, channel, ...(position ? { position } : {}), ...(recent !== undefined ? { recent } : {}) };
    }
    default: {
      const limit = f.limit === undefined ? DEFAULT_HISTORY_LIMIT : limitOf(f.limit, op, channel, 'limit', 1);
      const before = f.before === undefined ? undefined : offsetOf(f.before, op, channel, 'before');
      const after = f.after === undefined ? undefined : offsetOf(f.after, op, channel, 'after');
      if (before !== undefined && after !== undefined) {
        throw new ProtocolError('invalid-position', 'give before or after, not both', op, channel);
      }
      if (f.id !== undefined && (typeof f.id !== 'string' || f.id.length > 64)) {
        throw new ProtocolError('invalid-frame', 'id must be a string of at most 64 characters', op, channel);
      }
      return {
        op: 'history',
        channel,
        limit,
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
        ...(typeof f.id === 'string' ? { id: f.id } : {}),
      };
    }
  }
}

function positionOf(
  f: Record<string, unknown>,
  op: string,
  channel: string,
  required: boolean,
): ChannelPosition | undefined {
  if (f.offset === undefined && f.epoch === undefined && !required) return undefined;
  const offset = offsetOf(f.offset, op, channel, 'offset');
  if (typeof f.epoch !== 'string' || f.epoch.length > 64) {
    throw new ProtocolError(
      'invalid-position',
      `epoch ${JSON.stringify(f.epoch)} is not an epoch: a position is an offset with the epoch it came with`,
      op,
      channel,
    );
  }
  return { offset, epoch: f.epoch };
}

function offsetOf(value: unknown, op: string, channel: string, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError(
      'invalid-position',
      `${name} ${JSON.stringify(value)} is not a whole number >= 0`,
      op,
      channel,
    );
  }
  return value;
}

function limitOf(value: unknown, op: string, channel: string, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > MAX_PAGE_MESSAGES) {
    throw new ProtocolError(
      'invalid-limit',
      `${name} ${JSON.stringify(value)} is not a whole number from ${min} to ${MAX_PAGE_MESSAGES}`,
      op,
      channel,
    );
  }
  return value;
}

/** The data of a message in a frame: `data` for text, `data64` for bytes. */
function dataOf(data: string | Uint8Array): { data: string } | { data64: string } {
  return typeof data === 'string'
    ? { data }
    : { data64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

/** A `message` frame: one message of a durable channel with its position. */
export function messageFrame(message: Pick<LoggedMessage, 'channel' | 'offset' | 'epoch' | 'data' | 'from'>): string {
  return JSON.stringify({
    fg: PROTOCOL_VERSION,
    type: 'message',
    channel: message.channel,
    offset: message.offset,
    epoch: message.epoch,
    ...dataOf(message.data),
    ...(message.from === undefined ? {} : { from: message.from }),
  });
}

/** A `subscribed` or `fetched` frame: whether the position was honoured, and the head. */
export function positionFrame(
  type: 'subscribed' | 'fetched',
  channel: string,
  recovered: boolean,
  head: ChannelPosition,
): string {
  return JSON.stringify({ fg: PROTOCOL_VERSION, type, channel, recovered, offset: head.offset, epoch: head.epoch });
}

/** A `history` frame. */
export function historyFrame(channel: string, page: Pick<LogPage, 'head' | 'messages' | 'next'>, id?: string): string {
  return JSON.stringify({
    fg: PROTOCOL_VERSION,
    type: 'history',
    ...(id !== undefined ? { id } : {}),
    channel,
    epoch: page.head.epoch,
    messages: page.messages.map((m) => ({
      offset: m.offset,
      ...dataOf(m.data),
      publishedAt: m.publishedAt,
      ...(m.from === undefined ? {} : { from: m.from }),
    })),
    next: page.next,
  });
}

/** An `unsubscribed` or `pong` frame. */
export function simpleFrame(type: 'unsubscribed' | 'pong', channel?: string): string {
  return JSON.stringify({ fg: PROTOCOL_VERSION, type, ...(channel !== undefined ? { channel } : {}) });
}

/** The answer to an accepted `auth` frame: the connection's identity now lasts until `expiresAt` (epoch seconds). */
export function authenticatedFrame(expiresAt: number): string {
  return JSON.stringify({ fg: PROTOCOL_VERSION, type: 'authenticated', expiresAt });
}

/** An `error` frame. */
export function errorFrame(error: { code: string; message: string; op?: string; channel?: string }): string {
  return JSON.stringify({
    fg: PROTOCOL_VERSION,
    type: 'error',
    code: error.code,
    message: error.message,
    ...(error.op !== undefined ? { op: error.op } : {}),
    ...(error.channel !== undefined ? { channel: error.channel } : {}),
  });
}

/** A member as frames carry it. */
export interface MemberFrame {
  readonly connectionId: string;
  readonly user: string;
  readonly info: Readonly<Record<string, string>>;
  readonly transport: string;
}

/** A `join` or `leave` frame. */
export function presenceEventFrame(type: 'join' | 'leave', channel: string, member: MemberFrame): string {
  return JSON.stringify({ fg: PROTOCOL_VERSION, type, channel, member: memberOf(member) });
}

/** A `presence` frame: a page of members and the channel's counts. */
export function presenceFrame(
  channel: string,
  page: { readonly members: readonly MemberFrame[]; readonly next: string | null },
  stats: { readonly members: number; readonly users: number },
  id?: string,
): string {
  return JSON.stringify({
    fg: PROTOCOL_VERSION,
    type: 'presence',
    ...(id !== undefined ? { id } : {}),
    channel,
    members: page.members.map(memberOf),
    next: page.next,
    stats: { members: stats.members, users: stats.users },
  });
}

function memberOf(m: MemberFrame): MemberFrame {
  return { connectionId: m.connectionId, user: m.user, info: m.info, transport: m.transport };
}
