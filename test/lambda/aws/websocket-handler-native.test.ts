import { webSocketHandler } from '../../../lambda/aws/websocket-handler';
import { Env } from '../../../lambda/contract';
import { publish } from '../../../lambda/core/publish';
import { WebSocketMessageFormat } from '../../../lambda/grip/formats';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import type { NativeDeps } from '../../../lambda/native/native-deps';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { captureConsole, setEnv } from '../../helpers/grip-events';
import { LocalManagementServer } from '../../helpers/local-management-server';

let dynamo: LocalDynamo;
let api: LocalManagementServer;
let deps: NativeDeps;
let store: ConnectionStore;
let logs: string[];
let restoreEnv: () => void;

beforeAll(async () => {
  dynamo = await startDynalite('handler-native');
  api = await LocalManagementServer.start('prod');
  store = new ConnectionStore({ tableName: dynamo.tableName, client: dynamo.newDocumentClient() });
  deps = { store, managementEndpoint: api.endpoint };
  restoreEnv = setEnv({
    [Env.GRIP_URL]: undefined,
    [Env.GRIP_PROXIES]: undefined,
    [Env.GRIP_SECRET_ARN]: undefined,
    [Env.CONNECTION_TABLE]: undefined,
    [Env.MANAGEMENT_ENDPOINT]: undefined,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: undefined,
  });
});

afterAll(async () => {
  restoreEnv();
  await api.stop();
  await dynamo.stop();
});

beforeEach(() => {
  logs = captureConsole();
});

afterEach(() => jest.restoreAllMocks());

function event(id: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', body?: string): Record<string, unknown> {
  const routeKey = { CONNECT: '$connect', MESSAGE: '$default', DISCONNECT: '$disconnect' }[eventType];
  return {
    headers: {},
    requestContext: { routeKey, eventType, stage: 'prod', connectionId: id, requestId: `r-${id}`, apiId: 'api' },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

async function connect(id: string, channel = 'room'): Promise<void> {
  api.addConnection(id, 'opening');
  const result = await webSocketHandler(
    (ws) => {
      ws.accept();
      ws.subscribe(channel);
    },
    { native: deps },
  )(event(id, 'CONNECT'));
  expect(result).toEqual({ statusCode: 200 });
  api.markOpen(id);
}

test('a user error on $connect refuses the connection with 500 and stores nothing', async () => {
  const handler = webSocketHandler(
    (ws) => {
      ws.accept();
      ws.subscribe('room');
      ws.meta.nick = 'half';
      throw new Error('connect failed in user code');
    },
    { native: deps },
  );

  const result = await handler(event('E1', 'CONNECT'));

  expect(result).toEqual({ statusCode: 500, body: 'internal error' });
  expect(await store.getConnection('E1')).toBeUndefined();
  const members: string[] = [];
  for await (const page of store.members('room')) members.push(...page.map((m) => m.connectionId));
  expect(members).not.toContain('E1');
  expect(logs.some((line) => line.includes('connect failed in user code'))).toBe(true);
});

test('a user error on a message keeps the stored state and closes the connection', async () => {
  await connect('E2');
  const handler = webSocketHandler(
    (ws) => {
      ws.meta.nick = 'never saved';
      ws.send('never sent');
      throw new Error('message failed in user code');
    },
    { native: deps },
  );

  const result = await handler(event('E2', 'MESSAGE', 'hello'));

  expect(result).toEqual({ statusCode: 200 });
  expect(api.texts('E2')).toEqual([]);
  expect(api.state('E2')).toBe('gone');
  expect((await store.getConnection('E2'))?.meta).toEqual({});
});

test('a user error on $disconnect still removes the connection and its memberships', async () => {
  await connect('E3', 'lobby');
  const handler = webSocketHandler(
    () => {
      throw new Error('disconnect failed in user code');
    },
    { native: deps },
  );

  const result = await handler(event('E3', 'DISCONNECT'));

  expect(result).toEqual({ statusCode: 200 });
  expect(await store.getConnection('E3')).toBeUndefined();
  const members: string[] = [];
  for await (const page of store.members('lobby')) members.push(...page.map((m) => m.connectionId));
  expect(members).toEqual([]);
});

test('publish() inside the handler reaches native subscribers through the injected deps, before the answer', async () => {
  await connect('P1', 'news');
  await connect('P2', 'news');
  const handler = webSocketHandler(
    (ws) => {
      const text = ws.recv();
      void publish('news', new WebSocketMessageFormat(`breaking: ${text}`));
    },
    { native: deps },
  );

  await handler(event('P1', 'MESSAGE', 'rain'));

  expect(api.texts('P1')).toEqual(['breaking: rain']);
  expect(api.texts('P2')).toEqual(['breaking: rain']);
});

test('the pending-delivery self-invocation is dispatched to the native transport', async () => {
  api.addConnection('W1', 'opening');
  const handler = webSocketHandler(
    (ws) => {
      ws.accept();
      ws.send('welcome, sent during $connect');
    },
    { native: deps },
  );
  expect(await handler(event('W1', 'CONNECT'))).toEqual({ statusCode: 200 });
  api.markOpen('W1');

  const result = await handler({ faasGripDeliverPending: { connectionId: 'W1' } });

  expect(result).toEqual({ delivered: 1, restored: 0, lost: 0, unknown: 0 });
  expect(api.texts('W1')).toEqual(['welcome, sent during $connect']);
});
