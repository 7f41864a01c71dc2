/**
 * GRIP WebSocket control messages: `c:` + JSON in a TEXT event, read by the proxy (never relayed to the client).
 * Builders validate their arguments so the proxy never rejects or silently drops a message.
 */
import { FORBIDDEN_CHANNEL_CHARACTER } from '../contract';
import { InvalidValueError, OutputLimitError } from '../core/errors';

/** A control message: a JSON object with a `type`. */
export interface ControlMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Pushpin ignores control messages over one 16 KiB frame; `c:` and the JSON must fit in this many bytes. */
export const MAX_CONTROL_MESSAGE_BYTES = 16_384;

/** The prefix that marks a TEXT message as a control message. */
export const CONTROL_PREFIX = 'c:';

/** What a keep-alive message sends to the client. */
export type KeepAliveMessageType = 'text' | 'binary' | 'ping' | 'pong';

/** Options of keepAliveMessage(). */
export interface KeepAliveOptions {
  /** What to send; omit to turn keep-alives off. Bytes are sent base64-encoded as `content-bin`. */
  readonly content?: string | Uint8Array;
  /** Frame type of the keep-alive. @default 'text' */
  readonly messageType?: KeepAliveMessageType;
  /** Seconds of idle time (or the interval) before a keep-alive is sent. */
  readonly timeout?: number;
  /** `idle`: after `timeout` seconds without traffic; `interval`: every `timeout` seconds. @default 'idle' */
  readonly mode?: 'idle' | 'interval';
}

/**
 * Checks a channel name (as sent, prefix included): a non-empty string without control characters and without
 * `,` `;` `"`, which Grip-Channel uses as separators. Throws InvalidValueError otherwise.
 */
export function validateChannel(channel: unknown): string {
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new InvalidValueError(`channel name must be a non-empty string, got ${JSON.stringify(channel)}`);
  }
  const bad = FORBIDDEN_CHANNEL_CHARACTER.exec(channel);
  if (bad) {
    throw new InvalidValueError(
      `channel name ${JSON.stringify(channel)} contains ${JSON.stringify(bad[0])} at index ${bad.index}: ` +
        'channel names cannot contain control characters, comma, semicolon or double quote',
    );
  }
  return channel;
}

/** `subscribe`: the proxy subscribes the connection to `channel`, with optional publish filters. */
export function subscribeMessage(channel: string, filters?: readonly string[]): ControlMessage {
  validateChannel(channel);
  if (filters === undefined) return { type: 'subscribe', channel };
  if (!Array.isArray(filters) || filters.some((f) => typeof f !== 'string' || f.length === 0)) {
    throw new InvalidValueError(`subscribe filters must be non-empty strings, got ${JSON.stringify(filters)}`);
  }
  return { type: 'subscribe', channel, filters: [...filters] };
}

/** `unsubscribe`: the proxy removes the connection from `channel`. */
export function unsubscribeMessage(channel: string): ControlMessage {
  return { type: 'unsubscribe', channel: validateChannel(channel) };
}

/** `detach`: the proxy stops sending this connection's messages to the backend; subscriptions stay. */
export function detachMessage(): ControlMessage {
  return { type: 'detach' };
}

/** `keep-alive`: the proxy sends `content` to the client when idle (or periodically); no content turns it off. */
export function keepAliveMessage(options: KeepAliveOptions = {}): ControlMessage {
  const { content, messageType, timeout, mode } = options;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0)) {
    throw new InvalidValueError(`keep-alive timeout must be a whole number of seconds >= 0, got ${timeout}`);
  }
  if (messageType !== undefined && !['text', 'binary', 'ping', 'pong'].includes(messageType)) {
    throw new InvalidValueError(`keep-alive message type must be text, binary, ping or pong, got ${messageType}`);
  }
  if (mode !== undefined && mode !== 'idle' && mode !== 'interval') {
    throw new InvalidValueError(`keep-alive mode must be idle or interval, got ${mode}`);
  }
  const message: Record<string, unknown> = { type: 'keep-alive' };
  if (typeof content === 'string') message.content = content;
  else if (content instanceof Uint8Array) message['content-bin'] = Buffer.from(content).toString('base64');
  if (messageType !== undefined) message['message-type'] = messageType;
  if (timeout !== undefined) message.timeout = timeout;
  if (mode !== undefined) message.mode = mode;
  return message as ControlMessage;
}

/**
 * `set-meta`: sets (or, without a value, removes) subscription meta used by publish filters such as `skip-self`.
 * This is a different store from the `Set-Meta-*` header meta of the context.
 */
export function setMetaMessage(name: string, value?: string): ControlMessage {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidValueError(`set-meta name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (value === undefined) return { type: 'set-meta', name };
  if (typeof value !== 'string') {
    throw new InvalidValueError(`set-meta value must be a string, got ${JSON.stringify(value)}`);
  }
  return { type: 'set-meta', name, value };
}

/** `session`: binds the connection to a session id. */
export function sessionMessage(id: string): ControlMessage {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidValueError(`session id must be a non-empty string, got ${JSON.stringify(id)}`);
  }
  return { type: 'session', id };
}

/**
 * Serializes a control message as `c:` + JSON. Throws InvalidValueError without a string `type`, and
 * OutputLimitError when the result is over MAX_CONTROL_MESSAGE_BYTES (the proxy would silently ignore it).
 */
export function encodeControlMessage(message: Readonly<Record<string, unknown>>): string {
  if (message === null || typeof message !== 'object' || typeof message.type !== 'string' || !message.type) {
    throw new InvalidValueError(`control message needs a string "type", got ${safeJson(message)}`);
  }
  let text: string;
  try {
    text = CONTROL_PREFIX + JSON.stringify(message);
  } catch (error) {
    throw new InvalidValueError(`control message "${message.type}" cannot be serialized as JSON: ${error}`);
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONTROL_MESSAGE_BYTES) {
    throw new OutputLimitError(
      `control message "${message.type}" is ${bytes} bytes, over the ${MAX_CONTROL_MESSAGE_BYTES}-byte limit ` +
        'of one frame (the proxy would ignore it): send less data in it',
    );
  }
  return text;
}

function safeJson(value: unknown): string {
  try {
    return String(JSON.stringify(value)).slice(0, 100);
  } catch {
    return String(value);
  }
}
