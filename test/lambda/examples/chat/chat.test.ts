import { Env } from '../../../../lambda/contract';
import { RATE_META } from '../../../../lambda/core/inbound-limits';
import { handler } from '../../../../lambda/examples/chat/chat-handler';
import type { WebSocketEventInput } from '../../../../lambda/grip/websocket-events';
import { ControlEndpoint } from '../../../helpers/control-endpoint';
import {
  type DecodedResult,
  decodeResult,
  type EventShape,
  metaFromResult,
  SHAPES,
  setEnv,
  useGripEnv,
  wohEvent,
} from '../../../helpers/grip-events';

let endpoint: ControlEndpoint;

beforeAll(async () => {
  endpoint = await ControlEndpoint.start();
});

afterAll(async () => {
  await endpoint.stop();
});

useGripEnv(() => `${endpoint.uri}/?iss=backend&key=publish-secret&verify-iss=pushpin&verify-key=changeme`);

beforeEach(() => {
  endpoint.published.length = 0;
  endpoint.statuses.length = 0;
  jest.spyOn(console, 'error').mockImplementation(() => {});
});

/** One client connection as the GRIP proxy sees it: meta bound from earlier responses comes back as Meta-*. */
class Connection {
  meta: Record<string, string> = {};

  constructor(
    private readonly shape: EventShape,
    readonly id: string,
  ) {}

  async request(events: readonly WebSocketEventInput[]): Promise<DecodedResult> {
    const event = wohEvent(this.shape, { events, connectionId: this.id, metaHeaders: this.meta });
    const result = decodeResult(await handler(event));
    expect(result.statusCode).toBe(200);
    this.meta = metaFromResult(result, this.meta);
    return result;
  }

  open(): Promise<DecodedResult> {
    return this.request([{ type: 'OPEN' }]);
  }

  say(...texts: string[]): Promise<DecodedResult> {
    return this.request(texts.map((content) => ({ type: 'TEXT', content })));
  }
}

const subscribe = (channel: string) => `TEXT:c:{"type":"subscribe","channel":"${channel}"}`;
const unsubscribe = (channel: string) => `TEXT:c:{"type":"unsubscribe","channel":"${channel}"}`;

describe.each(SHAPES)('chat on GRIP through %s events', (shape) => {
  test('accepts a new connection and subscribes it to room', async () => {
    const result = await new Connection(shape, 'a').open();

    expect(result.headers['Sec-WebSocket-Extensions']).toBe('grip');
    expect(result.events).toEqual(['OPEN', subscribe('room')]);
  });

  test('publishes text as "anonymous: <text>" to room and answers nothing itself', async () => {
    const a = new Connection(shape, 'a');
    await a.open();

    const result = await a.say('hello');

    expect(result.events).toEqual([]);
    expect(endpoint.wsMessages('room')).toEqual(['anonymous: hello']);
  });

  test('/nick 🦊 answers the sender only, and the nick comes back through meta headers', async () => {
    const a = new Connection(shape, 'a');
    await a.open();

    const nick = await a.say('/nick 🦊');
    const said = await a.say('hi');

    expect(nick.events).toEqual(['TEXT:m:nickname set to [🦊]']);
    expect(nick.headers['Set-Meta-nick']).toMatch(/^=\?utf-8\?b\?.+\?=$/);
    expect(said.events).toEqual([]);
    expect(endpoint.wsMessages('room')).toEqual(['🦊: hi']);
  });

  test('/join moves the connection: unsubscribe, subscribe, reply, and later text goes to the new channel', async () => {
    const a = new Connection(shape, 'a');
    await a.open();
    await a.say('/nick Zoë');

    const joined = await a.say('/join lobby');
    await a.say('in the lobby');

    expect(joined.events).toEqual([unsubscribe('room'), subscribe('lobby'), 'TEXT:m:joined [lobby]']);
    expect(a.meta.channel).toBe('lobby');
    expect(endpoint.wsMessages('lobby')).toEqual(['Zoë: in the lobby']);
    expect(endpoint.wsMessages('room')).toEqual([]);
  });

  test('several messages in one request are published in the order they were sent', async () => {
    const a = new Connection(shape, 'a');
    await a.open();

    await a.say('one', 'two', '/nick b', 'three');

    expect(endpoint.wsMessages('room')).toEqual(['anonymous: one', 'anonymous: two', 'b: three']);
  });

  test('a CLOSE is answered with a CLOSE with the same code and reason', async () => {
    const a = new Connection(shape, 'a');
    const content = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]);

    const result = await a.request([{ type: 'CLOSE', content }]);

    expect(result.events).toEqual(['CLOSE:1000:bye']);
  });
});

describe('chat heartbeat and bad input', () => {
  let a: Connection;

  beforeEach(async () => {
    a = new Connection('rest-v1', 'bad');
    await a.open();
    await a.say('/nick ok');
  });

  test('/ping gets no answer and publishes nothing', async () => {
    const result = await a.say('/ping');

    expect(result.events).toEqual([]);
    expect(endpoint.published).toEqual([]);
  });

  test.each([
    ['an empty nickname', '/nick ', 'error: empty nickname; send /nick <name>'],
    ['/nick without a name', '/nick', 'error: empty nickname; send /nick <name>'],
    [
      'a nickname over 64 characters',
      `/nick ${'x'.repeat(65)}`,
      'error: nickname too long (65 characters, the limit is 64)',
    ],
    ['a nickname with a newline', '/nick a\nb', 'error: a nickname cannot contain control characters such as newlines'],
    [
      'an invalid channel',
      '/join a,b',
      "error: invalid channel name [a,b]; use 1 to 64 letters, digits, '-', '_', '.' or ':'",
    ],
    ['an empty channel', '/join ', "error: invalid channel name []; use 1 to 64 letters, digits, '-', '_', '.' or ':'"],
  ])('%s gets a clear error and changes nothing', async (_name, input, reply) => {
    const result = await a.say(input);

    expect(result.events).toEqual([`TEXT:m:${reply}`]);
    // Only the runtime's own rate state changes (it counts every message, accepted or not).
    const userMeta = (h: string) => h.startsWith('Set-Meta-') && h !== `Set-Meta-${RATE_META}`;
    expect(Object.keys(result.headers).filter(userMeta)).toEqual([]);
    expect(a.meta).toEqual({ nick: 'ok', [RATE_META]: expect.any(String) });
    expect(endpoint.published).toEqual([]);
  });

  test('a nickname of 64 emoji is accepted: the limit counts characters, not bytes', async () => {
    const result = await a.say(`/nick ${'🦊'.repeat(64)}`);

    expect(result.events).toEqual([`TEXT:m:nickname set to [${'🦊'.repeat(64)}]`]);
  });

  test('a message over 32 KiB is refused with its size', async () => {
    const result = await a.say('x'.repeat(32 * 1024 + 1));

    expect(result.events).toEqual(['TEXT:m:error: message too large (32769 bytes, the limit is 32768)']);
    expect(endpoint.published).toEqual([]);
  });

  test('a BINARY message that is not UTF-8 is refused; one that is UTF-8 is chat text', async () => {
    const bad = await a.request([{ type: 'BINARY', content: new Uint8Array([0xff, 0xfe, 0x41]) }]);
    const good = await a.request([{ type: 'BINARY', content: new TextEncoder().encode('bytes ✓') }]);

    expect(bad.events).toEqual(['TEXT:m:error: messages must be UTF-8 text']);
    expect(good.events).toEqual([]);
    expect(endpoint.wsMessages('room')).toEqual(['ok: bytes ✓']);
  });

  test('a message the proxy refuses is reported to the sender, and the connection stays open', async () => {
    endpoint.statuses.push(400);

    const result = await a.say('lost');

    expect(result.events).toEqual([
      'TEXT:m:error: your message could not be delivered to [room]; please send it again',
    ]);
  });

  test('GRIP_PREFIX is applied to subscriptions and publishes alike', async () => {
    const restore = setEnv({ [Env.GRIP_PREFIX]: 'test-' });
    const b = new Connection('http-v2', 'prefixed');

    const opened = await b.open();
    await b.say('hello');
    restore();

    expect(opened.events).toEqual(['OPEN', subscribe('test-room')]);
    expect(endpoint.wsMessages('test-room')).toEqual(['anonymous: hello']);
  });
});
