import { Env } from '../../../../lambda/contract';
import { RATE_META } from '../../../../lambda/core/inbound-limits';
import { handler } from '../../../../lambda/examples/chat/chat-handler';
import { ConnectionStore } from '../../../../lambda/native/connection-store';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../../helpers/dynalite';
import { setEnv } from '../../../helpers/grip-events';
import { LocalManagementServer } from '../../../helpers/local-management-server';

// The chat's exported handler, unchanged, configured only through the environment as in Lambda: the SDK clients
// reach dynalite through AWS_ENDPOINT_URL_DYNAMODB and the local management API through the management endpoint.

let dynamo: LocalDynamo;
let api: LocalManagementServer;
let store: ConnectionStore;
let restoreEnv: () => void;

beforeAll(async () => {
  dynamo = await startDynalite('chat-native');
  api = await LocalManagementServer.start('test');
  restoreEnv = setEnv({
    [Env.CONNECTION_TABLE]: dynamo.tableName,
    [Env.MANAGEMENT_ENDPOINT]: api.endpoint,
    [Env.GRIP_URL]: undefined,
    [Env.GRIP_PROXIES]: undefined,
    [Env.GRIP_SECRET_ARN]: undefined,
    [Env.GRIP_PREFIX]: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: undefined,
  });
  store = new ConnectionStore({ tableName: dynamo.tableName, client: dynamo.newDocumentClient() });
});

afterAll(async () => {
  restoreEnv();
  await api.stop();
  await dynamo.stop();
});

beforeEach(() => {
  for (const method of ['log', 'info', 'warn'] as const) jest.spyOn(console, method).mockImplementation(() => {});
});

afterEach(() => jest.restoreAllMocks());

function requestContext(connectionId: string, eventType: string, routeKey: string): Record<string, unknown> {
  return {
    routeKey,
    eventType,
    messageDirection: 'IN',
    stage: 'test',
    connectedAt: Date.now(),
    requestTimeEpoch: Date.now(),
    requestId: `req-${connectionId}-${Math.random()}`,
    domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
    connectionId,
    apiId: 'abcdef1234',
  };
}

/** `$connect` as API Gateway delivers it: the connection opens (accepts posts) only after the handler returned. */
async function connect(id: string): Promise<unknown> {
  api.addConnection(id, 'opening');
  const result = await handler({
    headers: { Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com', 'Sec-WebSocket-Version': '13' },
    multiValueHeaders: {},
    requestContext: requestContext(id, 'CONNECT', '$connect'),
    isBase64Encoded: false,
  });
  api.markOpen(id);
  return result;
}

function message(id: string, body: string): Promise<unknown> {
  return handler({ requestContext: requestContext(id, 'MESSAGE', '$default'), body, isBase64Encoded: false });
}

function disconnect(id: string): Promise<unknown> {
  const context = { ...requestContext(id, 'DISCONNECT', '$disconnect'), disconnectStatusCode: 1001 };
  return handler({
    headers: {},
    requestContext: { ...context, disconnectReason: 'going away' },
    isBase64Encoded: false,
  });
}

test('the chat behaves on the native transport as on GRIP: nick, broadcast, channel switch, isolation', async () => {
  expect(await connect('A')).toEqual({ statusCode: 200 });
  expect(await connect('B')).toEqual({ statusCode: 200 });
  expect(await connect('C')).toEqual({ statusCode: 200 });

  await message('A', '/nick 🦊');
  await message('A', 'hello room');
  await message('B', '/join lobby');
  await message('C', 'still here');
  await message('B', 'lobby only');
  await message('C', '/ping');

  expect(api.texts('A')).toEqual(['nickname set to [🦊]', '🦊: hello room', 'anonymous: still here']);
  expect(api.texts('B')).toEqual(['🦊: hello room', 'joined [lobby]', 'anonymous: lobby only']);
  expect(api.texts('C')).toEqual(['🦊: hello room', 'anonymous: still here']);
  // Next to the runtime's rate state, kept in meta.
  expect((await store.getConnection('A'))?.meta).toEqual({ nick: '🦊', [RATE_META]: expect.any(String) });
  expect((await store.getConnection('B'))?.meta).toEqual({ channel: 'lobby', [RATE_META]: expect.any(String) });
});

test('bad input gets an error answer on native too, and $disconnect removes the connection', async () => {
  await connect('D');

  await message('D', `/nick ${'x'.repeat(65)}`);
  await message('D', '/join no spaces');
  expect(await disconnect('D')).toEqual({ statusCode: 200 });
  await message('A', 'after D left');

  expect(api.texts('D')).toEqual([
    'error: nickname too long (65 characters, the limit is 64)',
    "error: invalid channel name [no spaces]; use 1 to 64 letters, digits, '-', '_', '.' or ':'",
  ]);
  expect(await store.getConnection('D')).toBeUndefined();
  expect(api.texts('D')).toHaveLength(2);
});
