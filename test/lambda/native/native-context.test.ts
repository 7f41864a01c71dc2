import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import {
  OutputLimitError,
  PublishError,
  TransportNotSupportedError,
  WebSocketStateError,
} from '../../../lambda/core/errors';
import { RATE_META } from '../../../lambda/core/inbound-limits';
import { Transport } from '../../../lambda/core/websocket-context';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import { fanOut } from '../../../lambda/native/fan-out';
import { createNativeContext } from '../../../lambda/native/native-context';
import type { NativeDeps } from '../../../lambda/native/native-deps';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { LocalManagementServer } from '../../helpers/local-management-server';
import { connectEvent, disconnectEvent, messageEvent } from '../../helpers/native-events';

let dynamo: LocalDynamo;
let api: LocalManagementServer;
let store: ConnectionStore;
let deps: NativeDeps;
let tables = 0;
const logged: string[] = [];
const logger = {
  info: (m: string) => logged.push(m),
  warn: (m: string) => logged.push(m),
  error: (m: string) => logged.push(m),
};

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

beforeEach(async () => {
  const tableName = `context-${++tables}`;
  await dynamo.createConnectionTable(tableName);
  store = new ConnectionStore({ tableName, client: dynamo.newDocumentClient() });
  api = await LocalManagementServer.start();
  const managementClient = new ApiGatewayManagementApiClient({ ...LOCAL_AWS, endpoint: api.endpoint, maxAttempts: 1 });
  deps = { store, managementClient, logger, prefix: '', postRetry: { retryBaseMs: 1 } };
  logged.length = 0;
});

afterEach(async () => {
  await api.stop();
});

/** Runs a $connect through a handler and returns the route result; the connection then opens. */
async function connect(id: string, handler: (ws: Awaited<ReturnType<typeof createNativeContext>>) => void) {
  const ws = await createNativeContext(connectEvent(id), deps);
  handler(ws);
  const result = await ws.finish();
  api.addConnection(id);
  return result;
}

describe('createNativeContext: $connect', () => {
  test('an accepted connection is stored with its meta and channels', async () => {
    const ws = await createNativeContext(connectEvent('c1'), deps);

    expect(ws.transport).toBe(Transport.NATIVE);
    expect(ws.isOpening()).toBe(true);
    expect(ws.meta).toEqual({});
    ws.accept();
    ws.meta.nick = 'alice';
    ws.subscribe('lobby');
    ws.subscribe('temp');
    ws.unsubscribe('temp');

    expect(await ws.finish()).toEqual({ statusCode: 200 });
    expect((await store.getConnection('c1'))?.meta).toEqual({ nick: 'alice' });
    expect(await store.channelsOf('c1')).toEqual(['lobby']);
  });

  test('a rejected connection gets its status and body, and nothing is stored', async () => {
    const result = await connect('c1', (ws) => ws.reject(401, 'token required'));

    expect(result).toEqual({ statusCode: 401, body: 'token required' });
    expect(await store.getConnection('c1')).toBeUndefined();
  });

  test('a connection neither accepted nor rejected is refused with 403', async () => {
    const result = await connect('c1', () => {});

    expect(result).toMatchObject({ statusCode: 403 });
    expect(await store.getConnection('c1')).toBeUndefined();
  });

  test('an offered subprotocol is never echoed unless the handler speaks it', async () => {
    const offered = connectEvent('c1', { headers: { 'Sec-WebSocket-Protocol': 'chat, json' } });
    const plain = await createNativeContext(offered, deps);
    plain.accept();
    expect(await plain.finish()).toEqual({ statusCode: 200 });

    const other = await createNativeContext(offered, { ...deps, subprotocols: ['mqtt'] });
    other.accept();
    expect(await other.finish()).toEqual({ statusCode: 200 });
  });

  test("the handler's preferred subprotocol among those offered is echoed", async () => {
    const offered = connectEvent('c1', { headers: { 'Sec-WebSocket-Protocol': 'chat, json' } });
    const ws = await createNativeContext(offered, { ...deps, subprotocols: ['json', 'chat'] });
    ws.accept();

    expect(await ws.finish()).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'json' } });
  });

  test('the channel prefix is applied to subscriptions', async () => {
    deps = { ...deps, prefix: 'app:' };
    await connect('c1', (ws) => {
      ws.accept();
      ws.subscribe('room');
    });

    expect(await store.channelsOf('c1')).toEqual(['app:room']);
  });

  test('toResponse() is not available on the native transport', async () => {
    const ws = await createNativeContext(connectEvent('c1'), deps);
    ws.accept();

    expect(() => ws.toResponse()).toThrow(TransportNotSupportedError);
    expect(() => ws.toResponse()).toThrow(/use webSocketHandler or await ws.finish\(\)/);
  });

  test('finish() commits once', async () => {
    const ws = await createNativeContext(connectEvent('c1'), deps);
    ws.accept();
    await ws.finish();

    await expect(ws.finish()).rejects.toThrow(WebSocketStateError);
  });

  test('sends over 128 KB during $connect fail before anything is stored', async () => {
    const ws = await createNativeContext(connectEvent('c1'), deps);
    ws.accept();
    ws.send('x'.repeat(128 * 1024 + 1));

    await expect(ws.finish()).rejects.toThrow(OutputLimitError);
    expect(await store.getConnection('c1')).toBeUndefined();
  });
});

describe('createNativeContext: messages', () => {
  test('a text message comes with the stored meta; meta, subscriptions and sends are committed', async () => {
    await connect('c1', (ws) => {
      ws.accept();
      ws.meta.nick = 'alice';
      ws.meta.room = 'lobby';
      ws.subscribe('lobby');
    });

    const ws = await createNativeContext(messageEvent('c1', '/join news'), deps);
    expect(ws.isOpening()).toBe(false);
    expect(ws.meta).toEqual({ nick: 'alice', room: 'lobby' });
    expect(ws.recv()).toBe('/join news');
    expect(ws.canRecv()).toBe(false);
    ws.meta.room = 'news';
    delete ws.meta.nick;
    ws.meta.color = 'blue';
    ws.unsubscribe('lobby');
    ws.subscribe('news');
    ws.send('joined news');
    ws.sendBinary(new Uint8Array([1, 2, 3]));

    expect(await ws.finish()).toEqual({ statusCode: 200 });
    // With the runtime's rate state (lambda/core/inbound-limits.ts), kept in meta on both transports.
    expect((await store.getConnection('c1'))?.meta).toEqual({
      room: 'news',
      color: 'blue',
      [RATE_META]: expect.any(String),
    });
    expect(await store.channelsOf('c1')).toEqual(['news']);
    expect(api.payloads('c1')).toEqual([Buffer.from('joined news'), Buffer.from([1, 2, 3])]);
  });

  test('a binary message is read as bytes', async () => {
    await connect('c1', (ws) => ws.accept());

    const ws = await createNativeContext(messageEvent('c1', new Uint8Array([0, 255, 7])), deps);

    expect(ws.inbound[0].type).toBe('BINARY');
    expect([...(ws.recvRaw() ?? [])]).toEqual([0, 255, 7]);
  });

  test('close() sends first, then closes the connection through DeleteConnection', async () => {
    await connect('c1', (ws) => ws.accept());

    const ws = await createNativeContext(messageEvent('c1', 'bye'), deps);
    ws.send('goodbye');
    ws.close(1000);
    await ws.finish();

    expect(api.texts('c1')).toEqual(['goodbye']);
    expect(api.requests.DELETE).toBe(1);
    expect(api.state('c1')).toBe('gone');
  });

  test('an oversized send fails before any effect', async () => {
    await connect('c1', (ws) => {
      ws.accept();
      ws.meta.nick = 'alice';
    });

    const ws = await createNativeContext(messageEvent('c1', 'x'), deps);
    ws.meta.nick = 'bob';
    ws.send('small');
    ws.send('y'.repeat(128 * 1024 + 1));

    await expect(ws.finish()).rejects.toThrow(/over API Gateway's 131072-byte limit/);
    expect((await store.getConnection('c1'))?.meta).toEqual({ nick: 'alice' });
    expect(api.requests.POST).toBe(0);
  });

  test('a send that fails after retries raises PublishError', async () => {
    await connect('c1', (ws) => ws.accept());
    api.fault = () => 500;

    const ws = await createNativeContext(messageEvent('c1', 'x'), deps);
    ws.send('lost?');

    await expect(ws.finish()).rejects.toThrow(PublishError);
    expect(api.faults).toBe(3);
  });

  test('a connection the store never saw is adopted when the handler sets meta or subscribes', async () => {
    api.addConnection('c9');

    const ws = await createNativeContext(messageEvent('c9', 'hello'), deps);
    expect(ws.meta).toEqual({});
    ws.meta.nick = 'late';
    ws.subscribe('lobby');
    await ws.finish();

    expect((await store.getConnection('c9'))?.meta).toEqual({ nick: 'late' });
    expect(await store.channelsOf('c9')).toEqual(['lobby']);
  });
});

describe('createNativeContext: $disconnect', () => {
  test('gives the stored meta and removes the connection with all its memberships', async () => {
    await connect('c1', (ws) => {
      ws.accept();
      ws.meta.nick = 'alice';
      for (let i = 0; i < 30; i++) ws.subscribe(`room-${i}`);
    });
    await connect('c2', (ws) => {
      ws.accept();
      ws.subscribe('room-0');
    });

    const ws = await createNativeContext(disconnectEvent('c1'), deps);
    expect(ws.disconnected).toBe(true);
    expect(ws.meta).toEqual({ nick: 'alice' });
    expect(ws.recv()).toBeNull();
    ws.send('too late');

    expect(await ws.finish()).toEqual({ statusCode: 200 });
    expect(await store.getConnection('c1')).toBeUndefined();
    expect(await store.channelsOf('c1')).toEqual([]);
    expect(await store.channelsOf('c2')).toEqual(['room-0']);
    expect(api.requests.POST).toBe(0);
    expect(logged).toContain('messages sent in $disconnect were dropped: the connection is closed');
  });
});

describe('three chat clients through contexts and fan-out', () => {
  test('rooms stay isolated across join, leave and disconnect', async () => {
    const seenSince = (id: string, from: number) => api.texts(id).slice(from);
    for (const [id, room] of [
      ['alice', 'red'],
      ['bob', 'red'],
      ['carol', 'blue'],
    ]) {
      await connect(id, (ws) => {
        ws.accept();
        ws.meta.nick = id;
        ws.subscribe(room);
      });
    }
    // Connections committed less than 30 s ago are not removed on 410; all three are open here.
    expect(await fanOut('red', 'to red', deps)).toMatchObject({ delivered: 2, failed: 0 });
    expect(await fanOut('blue', 'to blue', deps)).toMatchObject({ delivered: 1, failed: 0 });

    const move = await createNativeContext(messageEvent('bob', '/join blue'), deps);
    move.unsubscribe('red');
    move.subscribe('blue');
    move.meta.room = 'blue';
    await move.finish();
    await fanOut('red', 'red again', deps);
    await fanOut('blue', 'blue again', deps);

    await (await createNativeContext(disconnectEvent('carol'), deps)).finish();
    api.markGone('carol');
    await fanOut('blue', 'after carol left', deps);

    expect(seenSince('alice', 0)).toEqual(['to red', 'red again']);
    expect(seenSince('bob', 0)).toEqual(['to red', 'blue again', 'after carol left']);
    expect(seenSince('carol', 0)).toEqual(['to blue', 'blue again']);
    expect((await store.getConnection('bob'))?.meta).toEqual({ nick: 'bob', room: 'blue' });
  });
});
