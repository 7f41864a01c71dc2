/**
 * The channel protocol's wire format: which messages are protocol frames, what a valid command reads as, and that
 * no input makes the parser fail any other way than with a ProtocolError.
 */
import fc from 'fast-check';
import {
  envelopeChannel,
  messageFrame,
  PROTOCOL_VERSION,
  ProtocolError,
  parseChannelCommand,
} from '../../../lambda/channels/envelope';

test("the application's own messages are not protocol frames", () => {
  for (const message of ['hello', '/nick ann', '{"a":1}', '{"fg" broken', '[{"fg":1}]', '', new Uint8Array([1, 2])]) {
    expect(parseChannelCommand(message)).toBeUndefined();
  }
});

test('commands read as typed values, from TEXT or BINARY', () => {
  expect(parseChannelCommand('{"fg":1,"op":"subscribe","channel":"room"}')).toEqual({
    op: 'subscribe',
    channel: 'room',
  });
  expect(parseChannelCommand('{"fg":1,"op":"subscribe","channel":"room","offset":4,"epoch":"e"}')).toEqual({
    op: 'subscribe',
    channel: 'room',
    position: { offset: 4, epoch: 'e' },
  });
  expect(parseChannelCommand(Buffer.from('{"fg":1,"op":"history","channel":"r","after":3,"id":"x"}'))).toEqual({
    op: 'history',
    channel: 'r',
    limit: 100,
    after: 3,
    id: 'x',
  });
  expect(parseChannelCommand(' {"fg":1,"op":"ping"}')).toEqual({ op: 'ping' });
});

test('frames start with the version, and the envelope channel cannot be a protocol channel name', () => {
  const frame = messageFrame({ channel: 'room', offset: 7, epoch: 'e', data: new Uint8Array([255]) });
  expect(frame.startsWith(`{"fg":${PROTOCOL_VERSION},`)).toBe(true);
  expect(JSON.parse(frame).data64).toBe('/w==');
  const name = envelopeChannel('room');
  expect(() => parseChannelCommand(JSON.stringify({ fg: 1, op: 'subscribe', channel: name }))).toThrow(ProtocolError);
});

test('any input: a command, undefined, or a ProtocolError; nothing else', () => {
  const value = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
  );
  const frames = fc.oneof(
    fc.string(),
    fc
      .record(
        {
          fg: fc.oneof(fc.constant(1), value),
          op: fc.oneof(fc.constantFrom('subscribe', 'fetch', 'unsubscribe', 'history', 'ping'), value),
          channel: fc.oneof(fc.constantFrom('room', 'a.b-c_d'), value),
          offset: value,
          epoch: value,
          recent: value,
          limit: value,
          before: value,
          after: value,
          id: value,
        },
        { requiredKeys: ['fg'] },
      )
      .map((f) => JSON.stringify(f)),
  );
  fc.assert(
    fc.property(frames, (text) => {
      try {
        const command = parseChannelCommand(text);
        if (command !== undefined && command.op !== 'ping' && command.op !== 'auth')
          expect(typeof command.channel).toBe('string');
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
      }
    }),
    { numRuns: 2000 },
  );
});
