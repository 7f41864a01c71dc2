/**
 * Publish formats: what subscribers of a channel receive. Each exports the JSON object the GRIP
 * control API expects under `formats.<name>`.
 */

import { validateClose } from '../core/close-frame';
import { InvalidValueError } from '../core/errors';

/** A publish format: its name (`ws-message`, `http-stream`, `http-response`) and its JSON form. */
export abstract class Format {
  /** The format's key in an item's `formats` object. */
  abstract readonly name: string;
  /** The JSON object sent to the proxy. */
  abstract export(): Record<string, unknown>;
}

/** A message to WebSocket subscribers: text, binary, or a close of their connections. */
export class WebSocketMessageFormat extends Format {
  /**
   * A format that closes every subscribed connection with a code (1000-1003, 1007-1014 or 3000-4999, see
   * RFC 6455) and optional reason.
   *
   * @throws InvalidValueError for a code that cannot be sent or a reason over 123 UTF-8 bytes.
   */
  static close(code = 1000, reason?: string): WebSocketMessageFormat {
    validateClose(code, reason);
    const format = new WebSocketMessageFormat('');
    format.#close = { code, reason };
    return format;
  }

  readonly name = 'ws-message';
  readonly #content: string | Uint8Array;
  #close: { code: number; reason?: string } | undefined;

  /**
   * A text message (string) or a binary message (bytes).
   *
   * @throws InvalidValueError for anything else (plain JavaScript callers).
   */
  constructor(content: string | Uint8Array) {
    super();
    this.#content = checkedContent('WebSocketMessageFormat content', content);
  }

  /** The message, text or bytes; undefined when this format is a close. */
  get message(): string | Uint8Array | undefined {
    return this.#close === undefined ? this.#content : undefined;
  }

  /** `{content}` for text, `{"content-bin"}` (base64) for bytes, `{action: "close", code, reason}` for a close. */
  export(): Record<string, unknown> {
    if (this.#close !== undefined) {
      const { code, reason } = this.#close;
      return reason === undefined ? { action: 'close', code } : { action: 'close', code, reason };
    }
    return contentField(this.#content);
  }
}

/** Data appended to held HTTP streams, or a close of those streams. */
export class HttpStreamFormat extends Format {
  /** A format that closes every subscribed stream. */
  static close(): HttpStreamFormat {
    const format = new HttpStreamFormat('');
    format.#closing = true;
    return format;
  }

  readonly name = 'http-stream';
  readonly #content: string | Uint8Array;
  #closing = false;

  /**
   * Text or bytes to append to each stream.
   *
   * @throws InvalidValueError for anything else (plain JavaScript callers).
   */
  constructor(content: string | Uint8Array) {
    super();
    this.#content = checkedContent('HttpStreamFormat content', content);
  }

  /** `{content}` for text, `{"content-bin"}` (base64) for bytes, `{action: "close"}` for a close. */
  export(): Record<string, unknown> {
    return this.#closing ? { action: 'close' } : contentField(this.#content);
  }
}

/** The response released to held long-poll requests. */
export interface HttpResponseInit {
  /** Status code, 100-999. @default 200 */
  readonly code?: number;
  /** Reason phrase. @default - the proxy's phrase for the code */
  readonly reason?: string;
  /** Response headers. @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Response body (text, or bytes sent as `body-bin`). @default '' */
  readonly body?: string | Uint8Array;
}

/** The response a long-poll subscriber receives. Always exports a body (`''` when none). */
export class HttpResponseFormat extends Format {
  readonly name = 'http-response';
  readonly #init: HttpResponseInit;

  /**
   * A response from a body (text or bytes) or from `{code, reason, headers, body}`.
   *
   * @throws InvalidValueError for a bad code, a reason or header with CR/LF, or (from plain JavaScript) an argument,
   *   field or body of another type.
   */
  constructor(init: string | Uint8Array | HttpResponseInit = {}) {
    super();
    const given = typeof init === 'string' || init instanceof Uint8Array ? { body: init } : checkedInit(init);
    // JavaScript callers may pass the code as a numeric string; it is exported as a number.
    const raw: unknown = given.code ?? 200;
    const code = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    this.#init = { ...given, code: code as number };
    const { reason, headers = {} } = given;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 999) {
      throw new InvalidValueError(`http-response code ${String(code)} is not valid: use an integer status such as 200`);
    }
    if (reason !== undefined) validateHeaderValue('http-response reason', reason);
    for (const [name, value] of Object.entries(headers)) {
      validateHeaderName(name);
      validateHeaderValue(`header '${name}'`, value);
    }
  }

  /** `{code, reason?, headers?, body}` or `body-bin` (base64) for bytes; `code` is numeric. */
  export(): Record<string, unknown> {
    const { code = 200, reason, headers, body = '' } = this.#init;
    return {
      code,
      ...(reason === undefined ? {} : { reason }),
      ...(headers === undefined ? {} : { headers: { ...headers } }),
      ...(body instanceof Uint8Array ? { 'body-bin': Buffer.from(body).toString('base64') } : { body }),
    };
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks an HTTP header name (RFC 9110 token).
 *
 * @throws InvalidValueError when the name is empty or has characters outside a token.
 */
export function validateHeaderName(name: string): void {
  if (!TOKEN.test(name)) {
    throw new InvalidValueError(`header name ${JSON.stringify(name)} is not valid: use letters, digits and -`);
  }
}

/**
 * Checks that a header value cannot split the header block (no CR, LF or NUL).
 *
 * @throws InvalidValueError naming what the value is for.
 */
export function validateHeaderValue(what: string, value: string): void {
  if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
    throw new InvalidValueError(`${what} value ${JSON.stringify(value)} contains CR, LF or NUL: remove them`);
  }
}

/** The value's type as a message shows it: `number`, `null`, `an array`, `Object`... */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

function checkedContent(what: string, content: unknown): string | Uint8Array {
  if (typeof content === 'string' || content instanceof Uint8Array) return content;
  throw new InvalidValueError(`${what} must be a string or bytes (Uint8Array), got ${typeName(content)}`);
}

const INIT_FIELDS: ReadonlySet<string> = new Set(['code', 'reason', 'headers', 'body']);

/** An HttpResponseInit as plain JavaScript may pass it, checked field by field. */
function checkedInit(init: unknown): HttpResponseInit {
  if (init === null || typeof init !== 'object' || Array.isArray(init) || init instanceof ArrayBuffer) {
    throw new InvalidValueError(
      `HttpResponseFormat got ${typeName(init)}: give a string, bytes or {code, reason, headers, body}`,
    );
  }
  for (const name of Object.keys(init)) {
    if (!INIT_FIELDS.has(name)) {
      throw new InvalidValueError(`HttpResponseFormat has no field '${name}': use code, reason, headers and body`);
    }
  }
  const { reason, headers, body } = init as Record<string, unknown>;
  if (reason !== undefined && typeof reason !== 'string') {
    throw new InvalidValueError(`http-response reason must be a string, got ${typeName(reason)}`);
  }
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Array.isArray(headers))) {
    throw new InvalidValueError(`http-response headers must be an object of name: value, got ${typeName(headers)}`);
  }
  if (body !== undefined) checkedContent('HttpResponseFormat body', body);
  return init as HttpResponseInit;
}

function contentField(content: string | Uint8Array): Record<string, unknown> {
  return typeof content === 'string' ? { content } : { 'content-bin': Buffer.from(content).toString('base64') };
}
