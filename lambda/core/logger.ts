/**
 * A small structured logger: one JSON object per line, written through `console` so the Lambda runtime
 * attaches the request id. It never prints secrets: fields whose name looks like a credential
 * (Grip-Sig, Authorization, key, secret, token, password) are replaced, and anything shaped like a JWT
 * inside a string is masked.
 */
import { LOG_LEVELS, type LogLevel, runtimeSettings } from './settings';

/** Severity of a log line, ordered from most to least verbose. */
export type { LogLevel };

/** Extra structured fields of a log line. Values are serialised as JSON; errors keep name, message and cause. */
export type LogFields = Readonly<Record<string, unknown>>;

const LEVELS: readonly LogLevel[] = LOG_LEVELS;
const SECRET_NAME = /grip-sig|authori[sz]ation|secret|token|password|passwd|^pass$|key$|^key|credential|cookie/i;
const JWT_SHAPE = /eyJ[\w-]*\.[\w-]+\.[\w-]*/g;
const REDACTED = '[redacted]';
const MAX_DEPTH = 5;

function threshold(): number {
  return LEVELS.indexOf(runtimeSettings().logLevel);
}

function scrubString(value: string): string {
  return value.replace(JWT_SHAPE, '[redacted-jwt]');
}

function describeError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: scrubString(error.message) };
  const failures = (error as { failures?: unknown }).failures;
  if (Array.isArray(failures)) {
    out.failures = failures.map((f) => scrub(f, depth + 1));
  }
  if (error.cause !== undefined) {
    out.cause = scrub(error.cause, depth + 1);
  }
  return out;
}

/** Returns a JSON-safe copy of `value` with credentials replaced and JWT-shaped strings masked. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return scrubString(value);
  }
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (depth >= MAX_DEPTH) {
    return '[truncated]';
  }
  if (value instanceof Error) {
    return describeError(value, depth);
  }
  if (value instanceof Uint8Array) {
    return `[${value.byteLength} bytes]`;
  }
  if (Array.isArray(value)) {
    return value.map((item) => scrub(item, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] = SECRET_NAME.test(name) ? REDACTED : scrub(field, depth + 1);
  }
  return out;
}

function write(level: LogLevel, message: string, fields?: LogFields): void {
  if (LEVELS.indexOf(level) < threshold()) {
    return;
  }
  const line = JSON.stringify({ level, message: scrubString(message), ...(scrub(fields ?? {}) as object) });
  if (level === 'error') {
    console.error(line);
  } else if (level === 'warn') {
    console.warn(line);
  } else {
    console.log(line);
  }
}

/**
 * The runtime's logger. The level comes from `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's advanced logging
 * controls) or `LOG_LEVEL`, default `info`.
 *
 * @example
 * logger.warn('publish failed', { channel: 'room', error });
 */
export const logger = {
  /** Detail useful while developing. */
  debug: (message: string, fields?: LogFields): void => write('debug', message, fields),
  /** A normal event worth recording. */
  info: (message: string, fields?: LogFields): void => write('info', message, fields),
  /** Something went wrong but the request was answered. */
  warn: (message: string, fields?: LogFields): void => write('warn', message, fields),
  /** A failure the operator should look at. */
  error: (message: string, fields?: LogFields): void => write('error', message, fields),
} as const;
