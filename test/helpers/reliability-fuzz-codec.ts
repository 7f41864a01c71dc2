/**
 * Fuzz targets of the `application/websocket-events` codec. The property everywhere: a body either raises
 * WebSocketEventDecodeError or decodes to events that survive a round trip, decode(encode(decode(x))) deep-equal
 * to decode(x); no other exception. Valid bodies (any hex case, leading zeros) decode to exactly what was encoded.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WebSocketEventDecodeError } from '../../lambda/core/errors';
import {
  decodeWebSocketEvents,
  encodeWebSocketEvents,
  type WebSocketEvent,
  type WebSocketEventType,
} from '../../lambda/grip/websocket-events';
import { type FuzzTarget, fuzzTarget } from './reliability-fuzz-target';

const TYPES: readonly WebSocketEventType[] = ['OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT'];
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

/** Decodes `body`; `undefined` when it raised the typed error, any other exception propagates. */
function decodeOrReject(body: Uint8Array | string): WebSocketEvent[] | undefined {
  try {
    return decodeWebSocketEvents(body);
  } catch (error) {
    if (error instanceof WebSocketEventDecodeError) return undefined;
    throw error;
  }
}

/** The round-trip property; returns `decoded` or `rejected`. */
export function checkRoundTrip(body: Uint8Array | string): string {
  const events = decodeOrReject(body);
  if (events === undefined) return 'rejected';
  const again = decodeWebSocketEvents(encodeWebSocketEvents(events));
  assert.deepStrictEqual(again, events);
  return events.length === 0 ? 'decoded-empty' : 'decoded';
}

/** Pieces of the grammar, so random concatenations often come close to valid bodies. */
const TOKEN = fc.constantFrom(
  ...TYPES,
  'text',
  'Open',
  ' ',
  '  ',
  '\r',
  '\n',
  '\r\n',
  '0',
  '1',
  '2',
  '5',
  'a',
  'B',
  'f',
  'ffffffff',
  '100000000',
  '-1',
  '0x5',
  'x',
  'é',
  '\u0000',
  '\uffff',
  '\ud83e',
);

/** How a valid event's size is written: Pushpin's lowercase, uppercase, or with leading zeros (8 digits at most). */
type SizeStyle = 'lower' | 'upper' | number;

interface PlannedEvent {
  readonly type: WebSocketEventType;
  readonly content?: Uint8Array;
  readonly style: SizeStyle;
}

const contentArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 16 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.constantFrom('\r\n', 'TEXT 1\r\nx\r\n', 'OPEN\r\n', '', '\u0003\u00e8bye').map((s) => Buffer.from(s, 'latin1')),
);

const plannedEventArb: fc.Arbitrary<PlannedEvent> = fc.record(
  {
    type: fc.constantFrom(...TYPES),
    content: contentArb,
    style: fc.oneof(fc.constantFrom<SizeStyle>('lower', 'upper'), fc.integer({ min: 0, max: 6 })),
  },
  { requiredKeys: ['type', 'style'] },
);

function sizeText(size: number, style: SizeStyle): string {
  const hex = size.toString(16);
  if (style === 'lower') return hex;
  if (style === 'upper') return hex.toUpperCase();
  return hex.padStart(Math.min(8, hex.length + style), '0');
}

/** A valid body for `events`, each size written in its own style. */
function plannedBody(events: readonly PlannedEvent[]): Buffer {
  return Buffer.concat(
    events.map((e) =>
      e.content === undefined
        ? Buffer.from(`${e.type}\r\n`, 'latin1')
        : Buffer.concat([
            Buffer.from(`${e.type} ${sizeText(e.content.length, e.style)}\r\n`, 'latin1'),
            e.content,
            Buffer.from('\r\n', 'latin1'),
          ]),
    ),
  );
}

/** A change to a valid body: none, or one byte-level edit at a position taken modulo the body's length. */
type Mutation =
  | { readonly kind: 'none' }
  | { readonly kind: 'flip' | 'insert'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate' | 'delete'; readonly at: number }
  | { readonly kind: 'splice'; readonly at: number; readonly text: string };

const byteArb = fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x20, 0x30, 0x39, 0x41, 0x46, 0x61, 0x66, 0x7a), fc.nat(255));
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({ kind: fc.constantFrom('flip' as const, 'insert' as const), at: fc.nat(), byte: byteArb }),
  fc.record({ kind: fc.constantFrom('truncate' as const, 'delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    text: fc.array(TOKEN, { maxLength: 4 }).map((t) => t.join('')),
  }),
);

function mutate(body: Buffer, m: Mutation): Buffer {
  if (m.kind === 'none') return body;
  const at = body.length === 0 ? 0 : m.at % (body.length + (m.kind === 'insert' || m.kind === 'splice' ? 1 : 0));
  switch (m.kind) {
    case 'flip': {
      if (body.length === 0) return Buffer.from([m.byte]);
      const copy = Buffer.from(body);
      copy[at] = m.byte;
      return copy;
    }
    case 'insert':
      return Buffer.concat([body.subarray(0, at), Buffer.from([m.byte]), body.subarray(at)]);
    case 'truncate':
      return body.subarray(0, at);
    case 'delete':
      return Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
    case 'splice':
      return Buffer.concat([body.subarray(0, at), Buffer.from(m.text, 'utf8'), body.subarray(at)]);
  }
}

const expectedEvents = (events: readonly PlannedEvent[]): WebSocketEvent[] =>
  events.map((e) =>
    e.content === undefined ? { type: e.type } : { type: e.type, content: new Uint8Array(e.content) },
  );

/** The codec targets (60% of all cases). */
export const CODEC_TARGETS: readonly FuzzTarget[] = [
  fuzzTarget({
    name: 'codec: arbitrary bytes',
    share: 0.2,
    arbitrary: fc.uint8Array({ maxLength: 300 }),
    check: (bytes: Uint8Array) => checkRoundTrip(bytes),
  }),
  fuzzTarget({
    name: 'codec: token soup (near the grammar)',
    share: 0.15,
    arbitrary: fc.array(TOKEN, { maxLength: 40 }).map((tokens) => tokens.join('')),
    check: (body: string) => checkRoundTrip(body),
  }),
  fuzzTarget({
    name: 'codec: valid bodies, mutated',
    share: 0.25,
    arbitrary: fc.tuple(fc.array(plannedEventArb, { maxLength: 8 }), mutationArb),
    check: ([events, mutation]: [PlannedEvent[], Mutation]) => {
      const body = plannedBody(events);
      if (mutation.kind === 'none') {
        assert.deepStrictEqual(decodeWebSocketEvents(body), expectedEvents(events));
        checkRoundTrip(body);
        return 'valid-exact';
      }
      const outcome = checkRoundTrip(mutate(body, mutation));
      return outcome === 'rejected' ? 'mutant-rejected' : 'mutant-decoded';
    },
  }),
  fuzzTarget({
    name: 'codec: unicode strings (string and bytes agree)',
    share: 0.05,
    arbitrary: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc
        .tuple(fc.constantFrom(...TYPES), fc.string({ unit: 'binary', maxLength: 20 }))
        .map(([type, text]) => `${type} ${Buffer.byteLength(text, 'utf8').toString(16)}\r\n${text}\r\n`),
    ),
    check: (text: string) => {
      const fromString = decodeOrReject(text);
      const fromBytes = decodeOrReject(new Uint8Array(Buffer.from(text, 'utf8')));
      assert.deepStrictEqual(
        fromString,
        fromBytes,
        `string and UTF-8 bytes decode differently: ${latin1(Buffer.from(text))}`,
      );
      return checkRoundTrip(text);
    },
  }),
];
