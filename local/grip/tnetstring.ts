/**
 * Tnetstring encoding (`<length>:<data><type>`), the format Pushpin's ZeroMQ publish socket reads. Strings are
 * written as byte strings (`,`), integers as `#`, other numbers as `^`, booleans as `!`, null as `~`, arrays as
 * `]` and objects as `}`.
 */
import { InvalidValueError } from '../../lambda/core/errors';

function frame(data: Buffer, type: string): Buffer {
  return Buffer.concat([Buffer.from(`${data.length}:`, 'ascii'), data, Buffer.from(type, 'ascii')]);
}

/** Encodes a JSON-like value (what `JSON.parse` returns) as a tnetstring. */
export function encodeTnetstring(value: unknown): Buffer {
  if (typeof value === 'string') return frame(Buffer.from(value, 'utf8'), ',');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidValueError(`tnetstring: ${value} is not a finite number`);
    return frame(Buffer.from(String(value), 'ascii'), Number.isInteger(value) ? '#' : '^');
  }
  if (typeof value === 'boolean') return frame(Buffer.from(String(value), 'ascii'), '!');
  if (value === null) return frame(Buffer.alloc(0), '~');
  if (Array.isArray(value)) return frame(Buffer.concat(value.map(encodeTnetstring)), ']');
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .flatMap(([key, item]) => [encodeTnetstring(key), encodeTnetstring(item)]);
    return frame(Buffer.concat(parts), '}');
  }
  throw new InvalidValueError(`tnetstring: cannot encode a ${typeof value}`);
}
