/**
 * Bad input to the chat, end to end through a real Pushpin (oversized messages and nicknames, text frames that
 * are not UTF-8, binary frames, CR/LF where a header could be injected, meta over its cap), and construct props out
 * of range. Each gets a clear error or a close code; nothing crashes; no header is ever injected. The chat's
 * replies at the handler level are in test/lambda/handlers/chat.test.ts; this checks what a client really sees.
 */
import { App, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { WebSocketContext } from '../../lambda/core/websocket-context';
import { ConnectionTable, CustomDomain, GripApi, GripSettings, NativeWebSocketApi, TransportAlarms } from '../../lib';
import { awaitChannel } from '../helpers/e2e-chat-scenario';
import { describeWithPushpin, type E2eEnv, startE2eEnv } from '../helpers/e2e-env';
import { freshWebSocketHandler, postWebSocketEvents } from '../helpers/e2e-grip-tools';
import { E2eClient, terminateAll } from '../helpers/e2e-ws-client';
import { gripSig } from '../helpers/grip-events';
import { wellFormed } from '../helpers/reliability-fuzz-config';

const START_TIMEOUT_MS = 60_000;
const SAFE_HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const INJECTION = 'a\r\nInjected: yes\r\n\r\nX';

describeWithPushpin('bad input to the chat, through Pushpin', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];
  const connect = async (name: string) => {
    const client = await E2eClient.connect(name, `${env.grip!.wsUrl}/chat`);
    clients.push(client);
    return client;
  };
  /** A direct, validly signed WebSocket-over-HTTP request to the front door: its real HTTP response headers. */
  const direct = (body: string, headers: Record<string, string> = {}) => {
    const { sigKey, sigIss } = env.grip!.pushpin;
    return postWebSocketEvents(`${env.grip!.frontDoor.url}/chat`, body, {
      'Grip-Sig': gripSig({ key: sigKey, iss: sigIss }),
      ...headers,
    });
  };
  const setMeta = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('set-meta-'));

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'grip', shape: 'rest-v1' });
  }, START_TIMEOUT_MS);
  afterEach(() => {
    terminateAll(clients.splice(0));
    env.useChatHandler();
  });
  afterAll(async () => {
    await env?.stop();
  }, START_TIMEOUT_MS);

  it("oversized messages get a clear error and reach nobody; past Pushpin's limit it drops the client", async () => {
    const sender = await connect('sender');
    const listener = await connect('listener');
    // Both subscriptions are live once a probe from each reached both (Pushpin subscribes a connection a moment
    // after its opening answer: a probe sent before that is not delivered, so probes are sent until one is).
    await awaitChannel(listener, 'anonymous', [listener, sender]);
    await awaitChannel(sender, 'anonymous', [listener, sender]);
    // Whatever probe is still on its way arrives before this mark, which both skip to.
    sender.send('mark');
    await sender.skipUntil('anonymous: mark');
    await listener.skipUntil('anonymous: mark');

    sender.send('x'.repeat(32 * 1024 + 1));
    await sender.expect('error: message too large (32769 bytes, the limit is 32768)');
    sender.send('é'.repeat(50_000)); // 100,000 bytes: Pushpin relays it, the chat refuses it
    await sender.expect('error: message too large (100000 bytes, the limit is 32768)');
    const limit = 'y'.repeat(32 * 1024);
    sender.send(limit);
    await sender.expect(`anonymous: ${limit}`);
    await listener.expect(`anonymous: ${limit}`);

    // Past about 200,000 bytes Pushpin itself drops the client (its WebSocket-over-HTTP buffer), before the backend.
    sender.send('z'.repeat(1_000_000));
    expect((await sender.closed()).code).toBe(1006);
    listener.send('after');
    await listener.expect('anonymous: after');
    expect(listener.pending()).toEqual([]);
    expect(env.errors).toEqual([]);
  });

  it('nicknames: too long, empty or with CR/LF are refused; 64 emoji travel through Pushpin meta intact', async () => {
    const client = await connect('nicks');
    const refused = [
      [`/nick ${'x'.repeat(65)}`, 'error: nickname too long (65 characters, the limit is 64)'],
      ['/nick ', 'error: empty nickname; send /nick <name>'],
      [`/nick ${INJECTION}`, 'error: a nickname cannot contain control characters such as newlines'],
    ];
    for (const [input, reply] of refused) {
      client.send(input!);
      await client.expect(reply!);
    }
    const fox = '🦊'.repeat(64);
    client.send(`/nick ${fox}`);
    await client.expect(`nickname set to [${fox}]`);
    client.send('hi');
    await client.expect(`${fox}: hi`);
  });

  it('a text frame that is not UTF-8 and binary frames get a clear answer; the backend never fails', async () => {
    const client = await connect('bytes');
    // Pushpin relays a text frame that is not UTF-8 as it is (no close 1007): the chat reads bytes and refuses it.
    client.socket.send(Buffer.from([0x68, 0xff, 0xfe, 0x69]), { binary: false });
    await client.expect('error: messages must be UTF-8 text');
    client.socket.send(Buffer.from([0xc3, 0x28]), { binary: true });
    await client.expect('error: messages must be UTF-8 text');
    client.socket.send(Buffer.from('bytes ✓', 'utf8'), { binary: true });
    await client.expect('anonymous: bytes ✓');

    expect(env.errors).toEqual([]);
    expect(env.logs.filter((line) => line.includes('websocket handler failed'))).toEqual([]);
  });

  it('CR/LF in a nickname never reaches a header: no Set-Meta, no injected header', async () => {
    const answer = await direct(
      `TEXT ${Buffer.byteLength(`/nick ${INJECTION}`).toString(16)}\r\n/nick ${INJECTION}\r\n`,
    );

    expect(answer.status).toBe(200);
    // the only meta written is the runtime's own inbound-rate state; the nickname's never is
    expect(setMeta(answer.headers).filter((name) => name !== 'set-meta-faas-grip-rate')).toEqual([]);
    expect(answer.headers.injected).toBeUndefined();
  });

  it('meta with CR/LF, NUL and a lone surrogate is encoded, then read back exactly through Pushpin', async () => {
    const value = `${INJECTION}\u0000 🦊 \ud800 end `;
    env.slot.current = freshWebSocketHandler((ws: WebSocketContext) => {
      if (ws.isOpening()) ws.accept();
      while (ws.canRecv()) {
        const message = ws.recv();
        if (message === 'store') ws.meta.note = value;
        else if (message === 'show') ws.send(JSON.stringify(ws.meta.note));
      }
    });
    const answer = await direct('TEXT 5\r\nstore\r\n', { 'Connection-Id': 'bad-input-meta' });
    const header = answer.headers['set-meta-note'];
    expect(typeof header === 'string' && SAFE_HEADER_VALUE.test(header)).toBe(true);
    expect(answer.headers.injected).toBeUndefined();

    const client = await connect('meta');
    client.send('store');
    client.send('show');

    await client.expect(JSON.stringify(wellFormed(value)));
  });

  it('meta over its cap: the client sees close 1011, and the log names the MetaError', async () => {
    env.slot.current = freshWebSocketHandler((ws: WebSocketContext) => {
      if (ws.isOpening()) ws.accept();
      while (ws.canRecv()) {
        if (ws.recv() === 'grow') ws.meta.big = 'x'.repeat(2_000);
      }
    });
    const client = await connect('big-meta');
    client.send('grow');

    expect(await client.closed()).toEqual({ code: 1011, reason: 'internal error' });
    expect(env.logs.some((line) => line.includes('MetaError') && line.includes('over the 1024-byte limit'))).toBe(true);
    expect(env.errors).toEqual([]);
  });
});

describe('construct props out of range: a clear error at synth, naming the value and the fix', () => {
  const stackOf = () => new Stack(new App(), 'BadProps');
  const fnOf = (stack: Stack, id = 'Fn') =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const cases: ReadonlyArray<readonly [string, (stack: Stack) => unknown, RegExp]> = [
    [
      'GripApi stageName with a space',
      (s) => new GripApi(s, 'A', { handler: fnOf(s), stageName: 'my stage' }),
      /stageName "my stage" is not valid: use 1 to 128 letters/,
    ],
    [
      'GripApi stageName over 128 characters',
      (s) => new GripApi(s, 'A', { handler: fnOf(s), stageName: 's'.repeat(129) }),
      /\(129 characters\) is not valid: use 1 to 128 letters/,
    ],
    [
      'NativeWebSocketApi fanOutConcurrency 0',
      (s) => new NativeWebSocketApi(s, 'N', { handler: fnOf(s), fanOutConcurrency: 0 }),
      /fanOutConcurrency 0 is not valid: use a whole number from 1 to 1000/,
    ],
    [
      'NativeWebSocketApi fanOutConcurrency 1001',
      (s) => new NativeWebSocketApi(s, 'N', { handler: fnOf(s), fanOutConcurrency: 1001 }),
      /fanOutConcurrency 1001 is not valid/,
    ],
    [
      'NativeWebSocketApi fanOutConcurrency 2.5',
      (s) => new NativeWebSocketApi(s, 'N', { handler: fnOf(s), fanOutConcurrency: 2.5 }),
      /fanOutConcurrency 2\.5 is not valid/,
    ],
    [
      'GripSettings.fromUrlUnsafe with a non-http URL',
      () => GripSettings.fromUrlUnsafe('ftp://proxy/x'),
      /not an http\(s\) URL/,
    ],
    [
      'CustomDomain base path with slashes around',
      () => CustomDomain.fromDomainName({} as apigateway.IDomainName, { basePath: '/grip/' }),
      /custom domain basePath "\/grip\/" is not valid/,
    ],
    [
      'ConnectionTable with both a table and a removal policy',
      (s) => new ConnectionTable(s, 'T', { table: new ConnectionTable(s, 'Own').table, removalPolicy: 1 as never }),
      /either an existing table or a removalPolicy/,
    ],
    ['TransportAlarms with nothing to watch', (s) => new TransportAlarms(s, 'Alarms', {}), /needs something to watch/],
  ];

  test.each(cases)('%s', (_name, make, message) => {
    expect(() => make(stackOf())).toThrow(message);
  });

  test('one function behind two GRIP APIs with other settings: refused, naming the variable, not its value', () => {
    const stack = stackOf();
    const handler = fnOf(stack);
    const secretUrl = 'https://proxy.example/realm?iss=r&key=s3cr3t-publish-key';
    new GripApi(stack, 'One', { handler, gripSettings: GripSettings.fromUrlUnsafe(secretUrl) });

    let error: unknown;
    try {
      new GripApi(stack, 'Two', { handler, gripSettings: GripSettings.fromUrlUnsafe(`${secretUrl}2`) });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/cannot set GRIP_URL on function .*already set it to another value/);
    expect((error as Error).message).not.toContain('s3cr3t');
  });
});
