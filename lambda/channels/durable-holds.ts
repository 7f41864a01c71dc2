/**
 * Durable channels for HTTP holds on a GRIP proxy: Server-Sent Events that recover after a reconnect and after a
 * missed publish, and long-polls that read from an offset.
 *
 * - A durable publish also goes, as an SSE event (`id: <epoch>:<offset>`), to the channel's SSE subscribers and, as
 *   a JSON response, to its long-poll subscribers (each on its own derived channel, with the offset as the item's
 *   `id`/`prev-id`).
 * - {@link durableEventStream}: a stream that starts with what the client missed (its `Last-Event-ID`), then holds
 *   with `prev-id` = the last offset sent and a `Grip-Link rel=next` back to the same URL: when a publish does not
 *   follow the last id the proxy saw (a publish it missed), or when the link's timeout passes, the proxy requests the
 *   link with `Grip-Last: <channel>; last-id=<offset>` and appends the answer, so the stream fills its own gap.
 * - {@link durableLongPoll}: `after=<offset>&epoch=<epoch>` answers at once when newer messages exist, else holds
 *   with `prev-id` = that offset until the next one.
 *
 * The SSE `id` carries the epoch, so a client that comes back to a log that started again (another epoch) or after
 * retention gets an explicit `event: not-recovered` with the current position, never a silent gap.
 */
import { InvalidValueError } from '../core/errors';
import { HttpResponseFormat, HttpStreamFormat } from '../grip/formats';
import { formatServerSentEvent, type HoldResult, holdEventStream, holdResponse } from '../grip/hold';
import type { ChannelLog, ChannelPosition, LoggedMessage } from './channel-log';
import { channelLog } from './durable';
import { PROTOCOL_VERSION } from './envelope';

/** Most messages one stream opening or long-poll answer carries; the rest come with the next request. */
export const MAX_HOLD_REPLAY = 100;

/** The channel the durable SSE subscribers of `channel` hold on. */
export function eventStreamChannel(channel: string): string {
  return `~sse1~${channel}`;
}

/** The channel the durable long-poll subscribers of `channel` hold on. */
export function longPollChannel(channel: string): string {
  return `~poll1~${channel}`;
}

/** One message as a Server-Sent Event: `id: <epoch>:<offset>`, text as `data:` lines, bytes as base64 (`event: bytes`). */
export function messageEvent(message: LoggedMessage): string {
  const id = `${message.epoch}:${message.offset}`;
  return typeof message.data === 'string'
    ? formatServerSentEvent({ id, data: message.data })
    : formatServerSentEvent({ id, event: 'bytes', data: Buffer.from(message.data).toString('base64') });
}

/** A long-poll answer: `{"fg":1,"channel","recovered","epoch","offset","messages":[{offset,data|data64}]}`. */
export function longPollBody(
  channel: string,
  recovered: boolean,
  head: ChannelPosition,
  messages: readonly LoggedMessage[],
): string {
  return JSON.stringify({
    fg: PROTOCOL_VERSION,
    channel,
    recovered,
    epoch: head.epoch,
    offset: messages.at(-1)?.offset ?? head.offset,
    messages: messages.map((m) =>
      typeof m.data === 'string'
        ? { offset: m.offset, data: m.data }
        : { offset: m.offset, data64: Buffer.from(m.data).toString('base64') },
    ),
  });
}

/** The extra items a durable publish sends to hold subscribers: an SSE event and a long-poll response. */
export function holdFormats(message: LoggedMessage): { sse: HttpStreamFormat; poll: HttpResponseFormat } {
  return {
    sse: new HttpStreamFormat(messageEvent(message)),
    poll: new HttpResponseFormat({
      headers: { 'Content-Type': 'application/json' },
      body: longPollBody(message.channel, true, message, [message]),
    }),
  };
}

/**
 * Reads a position from a `Last-Event-ID` (`<epoch>:<offset>`) or a `Grip-Last` `last-id` (`<offset>`, with the
 * epoch of the link).
 * @throws InvalidValueError for a value that is not one.
 */
export function parseEventId(value: string): ChannelPosition {
  const match = /^([A-Za-z0-9_-]{0,64}):(\d{1,15})$/.exec(value.trim());
  if (match === null) {
    throw new InvalidValueError(`event id ${JSON.stringify(value)} is not a position: use <epoch>:<offset>`);
  }
  return { epoch: match[1], offset: Number(match[2]) };
}

/** The position a stream request resumes from, and whether the proxy asks it to continue an open stream. */
export interface StreamResumption {
  readonly position?: ChannelPosition;
  /** True on the proxy's next-link request (`Grip-Last`): the answer is appended to the stream. */
  readonly continuation: boolean;
}

/**
 * Where an SSE request resumes: on the proxy's next-link request (its `epoch` and `after` parameters), the
 * `Grip-Last: <channel>; last-id=<offset>` it sends or else the link's `after`; otherwise the client's `Last-Event-ID` header (or `lastEventId` query parameter, for clients that cannot set
 * headers), else nowhere (live from now).
 * @throws InvalidValueError for an id that is not a position.
 */
export function streamResumption(request: {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
}): StreamResumption {
  const gripLast = request.headers['grip-last'];
  if (gripLast !== undefined || request.query.epoch !== undefined) {
    // The proxy's next-link request: the link holds the position the stream was at when it was held; Grip-Last,
    // when the proxy sends it, the last id it delivered since.
    const lastId = gripLast === undefined ? request.query.after : /;\s*last-id=([^;,\s]+)/.exec(gripLast)?.[1];
    if (lastId === undefined) throw new InvalidValueError(`the next link has no last id (Grip-Last or after=)`);
    return { position: parseEventId(`${request.query.epoch ?? ''}:${lastId}`), continuation: true };
  }
  const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventId;
  return { position: lastEventId ? parseEventId(lastEventId) : undefined, continuation: false };
}

/** What a durable SSE hold needs. */
export interface DurableStreamOptions {
  /** The channel (without the GRIP prefix). */
  readonly channel: string;
  /** The GRIP prefix to put before the held channel. @default '' */
  readonly prefix?: string;
  /**
   * The verified request: where it resumes from (`Last-Event-ID`, or the proxy's next-link request) and the URL the
   * next link points back to.
   */
  readonly request: {
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly query: Readonly<Record<string, string>>;
  };
  /** Seconds of silence before a keep-alive comment. @default 20 */
  readonly keepAliveSeconds?: number;
  /** Seconds between next-link requests on a quiet stream. @default 120 */
  readonly linkTimeout?: number;
  /** @default - the container's log */
  readonly log?: ChannelLog;
}

/**
 * A Server-Sent Events hold on a durable channel: what came after the request's position first (or, for a new
 * stream, an id-only event with the head's position: live from there), then live events, with gap recovery by the
 * proxy through the next link.
 * @throws InvalidValueError for a `Last-Event-ID` or next link that is not a position.
 */
export async function durableEventStream(options: DurableStreamOptions): Promise<HoldResult> {
  const log = options.log ?? channelLog();
  const { channel, request } = options;
  const { position, continuation } = streamResumption(request);
  let body = continuation ? '' : ': stream opened\n\n';
  let last: ChannelPosition;
  if (position === undefined) {
    last = await log.head(channel);
    // An id-only event: no message, but the client's last event id from now on (EventSource keeps it too), so a
    // stream that reconnects before its first message resumes from here instead of from the head of then.
    body += `id: ${last.epoch}:${last.offset}\n\n`;
  } else {
    const resumed = await log.resume(channel, position, MAX_HOLD_REPLAY);
    if (resumed.recovered) {
      for (const m of resumed.messages) body += messageEvent(m);
      last = resumed.messages.at(-1) ?? position;
    } else {
      last = resumed.head;
      body += formatServerSentEvent({
        event: 'not-recovered',
        id: `${last.epoch}:${last.offset}`,
        data: JSON.stringify({ channel, offset: last.offset, epoch: last.epoch }),
      });
    }
  }
  const held = `${options.prefix ?? ''}${eventStreamChannel(channel)}`;
  return holdEventStream({
    // prev-id always (0 on an empty channel): the proxy tracks the last id only on a channel held with one.
    channels: [{ name: held, prevId: String(last.offset) }],
    body,
    keepAlive: { content: ':\n\n', timeout: options.keepAliveSeconds ?? 20 },
    nextLink: { uri: nextLinkUri(request, last), timeout: options.linkTimeout ?? 120 },
  });
}

/** What a durable long-poll needs. */
export interface DurableLongPollOptions {
  readonly channel: string;
  /** @default '' */
  readonly prefix?: string;
  /** The client's position (`after` and `epoch` of the request). */
  readonly position: ChannelPosition;
  /** Seconds to hold before answering with no message. @default 55 */
  readonly timeout?: number;
  /** @default - the container's log */
  readonly log?: ChannelLog;
}

/** A long-poll from an offset: newer messages at once, else held until the next one (or the timeout). */
export async function durableLongPoll(options: DurableLongPollOptions): Promise<HoldResult> {
  const log = options.log ?? channelLog();
  const { channel, position } = options;
  const resumed = await log.resume(channel, position, MAX_HOLD_REPLAY);
  const json = { 'Content-Type': 'application/json' };
  if (!resumed.recovered || resumed.messages.length > 0) {
    return {
      statusCode: 200,
      headers: json,
      body: longPollBody(channel, resumed.recovered, resumed.head, resumed.messages),
    };
  }
  const held = `${options.prefix ?? ''}${longPollChannel(channel)}`;
  return holdResponse({
    channels: [{ name: held, prevId: String(position.offset) }],
    headers: json,
    body: longPollBody(channel, true, resumed.head, []),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  });
}

/** This request's URL with the stream's position as `epoch` and `after` (replacing any the request had). */
function nextLinkUri(request: DurableStreamOptions['request'], position: ChannelPosition): string {
  const query = new URLSearchParams({ ...request.query, epoch: position.epoch, after: String(position.offset) });
  return `${request.path}?${query}`;
}
