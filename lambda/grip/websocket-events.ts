/**
 * The `application/websocket-events` codec of WebSocket-over-HTTP: each event is its type, an optional space and
 * hexadecimal byte length, CRLF, then that many content bytes and CRLF. Works on bytes; strings are UTF-8.
 */
import { InvalidValueError, WebSocketEventDecodeError } from '../core/errors';

/** The event types of WebSocket-over-HTTP. Case-sensitive on the wire. */
export type WebSocketEventType = 'OPEN' | 'TEXT' | 'BINARY' | 'PING' | 'PONG' | 'CLOSE' | 'DISCONNECT';

/** A decoded event. `content` is absent when the event carried no size (`OPEN\r\n`). */
export interface WebSocketEvent {
  readonly type: WebSocketEventType;
  readonly content?: Uint8Array;
}

/** An event to encode; string content is UTF-8 encoded. */
export interface WebSocketEventInput {
  readonly type: WebSocketEventType;
  readonly content?: Uint8Array | string;
}

/** Largest `application/websocket-events` body Pushpin accepts (its `RESPONSE_BODY_MAX`), and our decode limit. */
export const MAX_WEBSOCKET_EVENTS_BYTES = 1_000_000;

const TYPES: readonly WebSocketEventType[] = ['OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT'];
const TYPE_LIST = TYPES.join(', ');
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
/** Longest accepted size field: 8 hex digits (leading zeros allowed up to that). */
const MAX_SIZE_DIGITS = 8;
const MAX_TYPE_LETTERS = 16;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Hex digit value per byte, -1 for non-hex bytes. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

/**
 * Encodes events into an `application/websocket-events` body. Sizes are byte lengths in lowercase hex; an event
 * without `content` is written without a size (`OPEN\r\n`), one with empty content as `TEXT 0\r\n\r\n`.
 * Throws InvalidValueError for an unknown event type.
 */
export function encodeWebSocketEvents(events: readonly WebSocketEventInput[]): Uint8Array {
  const sizes = new Array<number>(events.length);
  let total = 0;
  for (let i = 0; i < events.length; i++) {
    const { type, content } = events[i];
    if (!TYPES.includes(type)) {
      throw new InvalidValueError(
        `cannot encode websocket event type ${JSON.stringify(type)}: use one of ${TYPE_LIST}`,
      );
    }
    if (content === undefined) {
      sizes[i] = -1;
      total += type.length + 2;
    } else {
      if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
        throw new InvalidValueError(`content of ${type} event must be a string or Uint8Array, got ${typeof content}`);
      }
      const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;
      sizes[i] = size;
      total += type.length + 1 + hexLength(size) + 2 + size + 2;
    }
  }
  const out = Buffer.allocUnsafeSlow(total); // every byte is written below; unpooled, so .buffer is ours
  let pos = 0;
  for (let i = 0; i < events.length; i++) {
    const { type, content } = events[i];
    pos = writeAscii(out, pos, type);
    const size = sizes[i];
    if (content !== undefined) {
      out[pos++] = SPACE;
      pos = writeAscii(out, pos, size.toString(16));
      out[pos++] = CR;
      out[pos++] = LF;
      if (typeof content === 'string') out.write(content, pos, size, 'utf8');
      else out.set(content, pos);
      pos += size;
    }
    out[pos++] = CR;
    out[pos++] = LF;
  }
  return new Uint8Array(out.buffer, out.byteOffset, total);
}

/**
 * Decodes an `application/websocket-events` body in one pass. Contents are views into the input (or into the
 * UTF-8 encoding of a string input), not copies. Accepts uppercase hex sizes and content on any event type.
 * Throws WebSocketEventDecodeError, naming the byte position and what was expected, for anything else:
 * truncated content, a missing CRLF, a malformed size, an unknown type, or a body over MAX_WEBSOCKET_EVENTS_BYTES.
 */
export function decodeWebSocketEvents(body: Uint8Array | string): WebSocketEvent[] {
  if (body.length > MAX_WEBSOCKET_EVENTS_BYTES) throw tooLarge(body.length);
  const b = typeof body === 'string' ? utf8Encoder.encode(body) : plainView(body);
  const n = b.length;
  if (n > MAX_WEBSOCKET_EVENTS_BYTES) throw tooLarge(n);
  const events: WebSocketEvent[] = [];
  let pos = 0;
  while (pos < n) {
    const start = pos;
    while (pos < n && pos - start <= MAX_TYPE_LETTERS && isLetter(b[pos])) pos++;
    const type = matchType(b, start, pos);
    if (type === undefined) throw badType(b, start, pos);
    if (pos >= n) throw fail(`event type ${type} at byte ${start} is not followed by CRLF (body ends)`);
    if (b[pos] === CR) {
      if (b[pos + 1] !== LF) throw expected(`CRLF after event type ${type}`, b, pos);
      events.push({ type });
      pos += 2;
      continue;
    }
    if (b[pos] !== SPACE) throw expected(`a space and a hex size, or CRLF, after event type ${type}`, b, pos);
    pos++;
    const sizeStart = pos;
    let size = 0;
    while (pos < n) {
      const digit = HEX[b[pos]];
      if (digit < 0) break;
      size = size * 16 + digit;
      pos++;
    }
    const digits = pos - sizeStart;
    if (digits === 0) throw expected(`a hexadecimal size after "${type} "`, b, sizeStart);
    if (digits > MAX_SIZE_DIGITS) {
      throw fail(`size of ${type} event at byte ${sizeStart} has ${digits} digits: at most ${MAX_SIZE_DIGITS} allowed`);
    }
    if (b[pos] !== CR || b[pos + 1] !== LF) throw expected(`CRLF after the size of ${type} event`, b, pos);
    pos += 2;
    const end = pos + size;
    if (end > n) {
      throw fail(
        `truncated content: ${type} event at byte ${start} declares ${size} bytes, only ${n - pos} remain in the body`,
      );
    }
    if (b[end] !== CR || b[end + 1] !== LF) {
      throw expected(`CRLF after the ${size}-byte content of ${type} event (declared at byte ${start})`, b, end);
    }
    events.push({ type, content: b.subarray(pos, end) });
    pos = end + 2;
  }
  return events;
}

/** Encodes a CLOSE payload: the 2-byte big-endian code, then the UTF-8 reason. */
export function encodeCloseContent(code: number, reason?: string): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new InvalidValueError(`close code ${code} does not fit in 2 bytes: use an integer from 1000 to 4999`);
  }
  const text = reason ? utf8Encoder.encode(reason) : new Uint8Array(0);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/**
 * Decodes a CLOSE payload. No content means no code (`{}`); a reason is present only when bytes follow the code.
 * A 1-byte payload throws WebSocketEventDecodeError.
 */
export function decodeCloseContent(content?: Uint8Array): { code?: number; reason?: string } {
  if (content === undefined || content.length === 0) return {};
  if (content.length === 1) throw fail('CLOSE content of 1 byte: expected none, or a 2-byte code and a reason');
  const code = (content[0] << 8) | content[1];
  return content.length === 2 ? { code } : { code, reason: utf8Decoder.decode(content.subarray(2)) };
}

/** A plain Uint8Array over the same bytes (Buffer's subarray is slower and would leak Buffers into events). */
function plainView(bytes: Uint8Array): Uint8Array {
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function hexLength(n: number): number {
  let digits = 1;
  while (n >= 16) {
    n = Math.floor(n / 16);
    digits++;
  }
  return digits;
}

function writeAscii(out: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[pos++] = text.charCodeAt(i);
  return pos;
}

function isLetter(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

/** Matches b[start, end) against the known types without building a string. */
function matchType(b: Uint8Array, start: number, end: number): WebSocketEventType | undefined {
  let candidate: WebSocketEventType | undefined;
  switch (b[start]) {
    case 0x4f: // O
      candidate = 'OPEN';
      break;
    case 0x54: // T
      candidate = 'TEXT';
      break;
    case 0x42: // B
      candidate = 'BINARY';
      break;
    case 0x50: // P
      candidate = b[start + 1] === 0x49 ? 'PING' : 'PONG';
      break;
    case 0x43: // C
      candidate = 'CLOSE';
      break;
    case 0x44: // D
      candidate = 'DISCONNECT';
      break;
    default:
      return undefined;
  }
  if (candidate.length !== end - start) return undefined;
  for (let i = 1; i < candidate.length; i++) {
    if (b[start + i] !== candidate.charCodeAt(i)) return undefined;
  }
  return candidate;
}

function fail(message: string): WebSocketEventDecodeError {
  return new WebSocketEventDecodeError(`invalid application/websocket-events body: ${message}`);
}

function tooLarge(length: number): WebSocketEventDecodeError {
  return fail(`body of ${length} bytes is over the ${MAX_WEBSOCKET_EVENTS_BYTES}-byte limit`);
}

function badType(b: Uint8Array, start: number, end: number): WebSocketEventDecodeError {
  if (end === start) return expected(`an event type (${TYPE_LIST})`, b, start);
  const word = String.fromCharCode(...b.subarray(start, Math.min(end, start + MAX_TYPE_LETTERS)));
  return fail(`unknown event type "${word}" at byte ${start}: expected one of ${TYPE_LIST} (upper-case)`);
}

function expected(what: string, b: Uint8Array, pos: number): WebSocketEventDecodeError {
  return fail(`expected ${what} at byte ${pos}, found ${describe(b, pos)}`);
}

/** Shows up to 16 bytes from pos as an escaped string, for error messages only. */
function describe(b: Uint8Array, pos: number): string {
  if (pos >= b.length) return 'the end of the body';
  let out = '';
  const end = Math.min(b.length, pos + 16);
  for (let i = pos; i < end; i++) {
    const c = b[i];
    if (c === CR) out += '\\r';
    else if (c === LF) out += '\\n';
    else if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `"${out}${end < b.length ? '...' : ''}"`;
}
