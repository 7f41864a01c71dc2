import {
  ANONYMOUS,
  broadcastLine,
  channelOf,
  DEFAULT_CHANNEL,
  MAX_MESSAGE_BYTES,
  nickOf,
  parseChatMessage,
} from '../../../../lambda/examples/chat/chat-commands';

const parse = (text: string) => parseChatMessage(new TextEncoder().encode(text));

test.each([
  ['/nick 🦊', { kind: 'nick', nick: '🦊' }],
  ['/nick  two spaces ', { kind: 'nick', nick: ' two spaces ' }],
  ['/join lobby-2.b_c', { kind: 'join', channel: 'lobby-2.b_c' }],
  ['/ping', { kind: 'ping' }],
  ['hello', { kind: 'say', text: 'hello' }],
  ['/nickname is not a command', { kind: 'say', text: '/nickname is not a command' }],
  ['/ping me', { kind: 'say', text: '/ping me' }],
  ['/unknown', { kind: 'say', text: '/unknown' }],
  ['', { kind: 'say', text: '' }],
])('%j parses to %j', (text, command) => {
  expect(parse(text)).toEqual(command);
});

test('the size limit is in bytes: 32 KiB of text passes, one byte more is refused', () => {
  expect(parse('é'.repeat(MAX_MESSAGE_BYTES / 2)).kind).toBe('say');
  expect(parse(`${'é'.repeat(MAX_MESSAGE_BYTES / 2)}x`)).toEqual({
    kind: 'invalid',
    reply: `error: message too large (${MAX_MESSAGE_BYTES + 1} bytes, the limit is ${MAX_MESSAGE_BYTES})`,
  });
});

test('invalid UTF-8 (overlong, lone surrogate, truncated) is refused', () => {
  for (const bytes of [
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xe2, 0x82],
  ]) {
    expect(parseChatMessage(new Uint8Array(bytes))).toEqual({
      kind: 'invalid',
      reply: 'error: messages must be UTF-8 text',
    });
  }
});

test('a leading byte order mark is kept as text', () => {
  expect(parseChatMessage(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))).toEqual({ kind: 'say', text: '\ufeffhi' });
});

test('an invalid channel name is shown without control characters', () => {
  const result = parse('/join a\nb');

  expect(result.kind).toBe('invalid');
  expect(result.kind === 'invalid' && result.reply).not.toContain('\n');
});

test("a nick cannot pose as the server or as another speaker: ':', bidirectional controls and 'error' are refused", () => {
  for (const [nick, reason] of [
    ['alice: I am', "':'"],
    ['a:b', "':'"],
    ['\u202Eecila', 'bidirectional'],
    ['x\u2066y', 'bidirectional'],
    ['\u200Fz', 'bidirectional'],
    ['error', 'reserved'],
    ['ERROR', 'reserved'],
  ]) {
    const result = parse(`/nick ${nick}`);
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.reply).toContain(reason);
    expect(result.kind === 'invalid' && result.reply.startsWith('error: ')).toBe(true);
  }
  expect(parse('/nick errors')).toEqual({ kind: 'nick', nick: 'errors' });
  expect(parse('/nick Zoë (عربي)')).toEqual({ kind: 'nick', nick: 'Zoë (عربي)' });
});

test('channel and nick come from meta, with safe defaults', () => {
  expect(channelOf({})).toBe(DEFAULT_CHANNEL);
  expect(channelOf({ channel: 'lobby' })).toBe('lobby');
  expect(channelOf({ channel: 'forged,channel' })).toBe(DEFAULT_CHANNEL);
  expect(nickOf({})).toBe(ANONYMOUS);
  expect(nickOf({ nick: 'Zoë' })).toBe('Zoë');
  expect(broadcastLine('Zoë', 'hi')).toBe('Zoë: hi');
});
