/**
 * What a close we send may carry (RFC 6455 section 7.4): the codes an endpoint may put in a close frame, and a reason
 * that fits the frame.
 */
import { InvalidValueError } from './errors';

/** Longest close reason: a close frame's payload is at most 125 bytes, 2 of them the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

const utf8Encoder = new TextEncoder();

/**
 * True for a close code an endpoint may send: 1000-1003, 1007-1014 (defined by the protocol) and 3000-4999
 * (registered and application codes). 1004, 1005, 1006 and 1015 are reserved and never sent; 1016-2999 are
 * unassigned.
 */
export function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}

/**
 * Checks a close we are about to send: a sendable code and a reason of at most 123 UTF-8 bytes.
 *
 * @throws InvalidValueError showing the bad code, or the reason's size.
 */
export function validateClose(code: number, reason?: string): void {
  if (!isSendableCloseCode(code)) {
    throw new InvalidValueError(
      `close code ${code} cannot be sent: use 1000 (normal), 1001-1003, 1007-1014 or 3000-4999 ` +
        '(4000-4999 are for applications); 1004, 1005, 1006 and 1015 are reserved',
    );
  }
  if (reason === undefined) return;
  if (typeof reason !== 'string') throw new InvalidValueError(`close reason must be a string, got ${typeof reason}`);
  const bytes = utf8Encoder.encode(reason).length;
  if (bytes > MAX_CLOSE_REASON_BYTES) {
    throw new InvalidValueError(
      `close reason is ${bytes} bytes in UTF-8, over the WebSocket limit of ${MAX_CLOSE_REASON_BYTES}: shorten it`,
    );
  }
}
