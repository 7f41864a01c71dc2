/**
 * Small jest helpers of the reliability suite: console capture with every argument kept (the runtime logs JSON
 * lines; a test must see all of them to prove no secret is written), and forged Grip-Sig tokens.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import { format } from 'node:util';
import jwt from 'jsonwebtoken';

/** Console output captured during a test; `stop()` restores the console. */
export interface CapturedConsole {
  readonly lines: string[];
  text(): string;
  stop(): void;
}

/** Silences console.log/info/warn/error/debug and records each call (all arguments, formatted like console does). */
export function captureConsole(): CapturedConsole {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(`${level}: ${format(...args)}`);
    }),
  );
  return {
    lines,
    text: () => lines.join('\n'),
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Claims as a proxy writes them: issuer and expiry an hour ahead (or `exp` as given, `null` for none). */
export function claims(iss: string, exp: number | null = now() + 3600): Record<string, unknown> {
  return exp === null ? { iss } : { iss, exp };
}

/** A JWT signed with jsonwebtoken (HS256/HS512 with a secret, ES256 with a private key). */
export function signed(payload: Record<string, unknown>, key: string | KeyObject, algorithm: jwt.Algorithm): string {
  return jwt.sign(payload, key, { algorithm, noTimestamp: true });
}

/** A JWT with `alg: none` and an empty signature. */
export function unsigned(payload: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

/** An HS256 JWT whose HMAC key is the given text (algorithm confusion: the text of a public key). */
export function hmacWithText(payload: Record<string, unknown>, text: string): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', text).update(input).digest('base64url')}`;
}

/** Seconds since the epoch, shifted by `delta`. */
export function epoch(delta = 0): number {
  return now() + delta;
}
