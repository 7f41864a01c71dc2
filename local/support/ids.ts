/** Identifiers shaped like those API Gateway and Lambda hand out. */
import { randomBytes, randomUUID } from 'node:crypto';

/** A 16-character id like API Gateway's connection, request and message ids (`BFHPhfCWIAMCKlQ=`). */
export function apiGatewayId(): string {
  return randomBytes(11).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A 10-character lower-case id like an API id (`abcdef1234`). */
export function apiId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join('');
}

/** A request id like Lambda's and REST API Gateway's (a UUID). */
export function requestId(): string {
  return randomUUID();
}

/** An X-Amzn-Trace-Id header value (`Root=1-<8 hex time>-<24 hex>`). */
export function traceId(now = Date.now()): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A time in the CLF form API Gateway uses for `requestTime` (`11/Nov/2024:11:35:24 +0000`). */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}
