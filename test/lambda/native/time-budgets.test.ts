/**
 * Time budgets and partial delivery of the native transport, proven with fault-injecting local servers (hanging,
 * trickling, slow, failing) and, where an invocation is involved, the function's timeout enforced as Lambda does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { webSocketHandler } from '../../../lambda/aws/websocket-handler';
import { CONNECTION_TTL_SECONDS, Env } from '../../../lambda/contract';
import { withInvocationDeadline } from '../../../lambda/core/deadline';
import { ConnectionStoreError, InvalidValueError, PublishError, TimeoutError } from '../../../lambda/core/errors';
import { publish } from '../../../lambda/core/publish';
import { WebSocketMessageFormat } from '../../../lambda/grip/formats';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import { fanOut } from '../../../lambda/native/fan-out';
import { classifyManagementError, SignedManagementApi } from '../../../lambda/native/management';
import { createNativeContext, MAX_NATIVE_CHANNEL_BYTES } from '../../../lambda/native/native-context';
import type { NativeDeps } from '../../../lambda/native/native-deps';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { setEnv } from '../../helpers/grip-events';
import { LocalManagementServer } from '../../helpers/local-management-server';
import { connectEvent, messageEvent } from '../../helpers/native-events';

let restoreEnv: () => void;
let dynamo: LocalDynamo;
let api: LocalManagementServer;
let hanging: Server;
let hangingEndpoint: string;
let tables = 0;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  restoreEnv = setEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    [Env.MANAGEMENT_ENDPOINT]: undefined,
    [Env.CONNECTION_TABLE]: undefined,
    GRIP_URL: undefined,
    GRIP_PROXIES: undefined,
    GRIP_SECRET_ARN: undefined,
  });
  dynamo = await startDynalite();
  // Reads every request and never answers: a DynamoDB or Lambda endpoint that hangs.
  hanging = createServer((req) => req.resume());
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangingEndpoint = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise((resolve) => hanging.close(resolve));
  await dynamo.stop();
  restoreEnv();
});

beforeEach(async () => {
  api = await LocalManagementServer.start();
});

afterEach(async () => {
  await api.stop();
});

/** A Lambda context with `ms` left, and the function's timeout enforced on `run` as Lambda enforces it. */
function invocation(ms: number) {
  const deadline = Date.now() + ms;
  const context = { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  const enforced = <T>(run: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the function's ${ms} ms timeout ended the invocation`)), ms);
      run.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  return { context, enforced };
}

async function newStore(pageSize?: number, client?: DynamoDBDocumentClient): Promise<ConnectionStore> {
  const tableName = `budgets-${++tables}`;
  await dynamo.createConnectionTable(tableName);
  return new ConnectionStore({ tableName, client: client ?? dynamo.newDocumentClient(), pageSize });
}

/** `count` members of `channel` that opened a minute ago, registered open on the management API. */
async function seedMembers(store: ConnectionStore, channel: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `m-${String(i).padStart(4, '0')}`);
  const expiresAt = Math.floor(Date.now() / 1000) - 60 + CONNECTION_TTL_SECONDS;
  const client = dynamo.newDocumentClient();
  for (let i = 0; i < ids.length; i += 25) {
    const chunk = ids.slice(i, i + 25).map((id) => ({
      PutRequest: { Item: { pk: `CHAN#${channel}`, sk: `CONN#${id}`, expiresAt } },
    }));
    await client.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: chunk } }));
  }
  for (const id of ids) api.addConnection(id);
  return ids;
}

function depsFor(store: ConnectionStore, extra: Partial<NativeDeps> = {}): NativeDeps {
  return { store, managementEndpoint: api.endpoint, logger: quiet, postRetry: { retryBaseMs: 1 }, ...extra };
}

describe('time budgets', () => {
  test('publish() to 60 hanging members ends within the invocation and reports every member', async () => {
    const store = await newStore();
    await store.putConnection('sender');
    api.addConnection('sender');
    await seedMembers(store, 'room', 60);
    api.fault = (call) => (call.connectionId.startsWith('m-') ? 'hang' : undefined);
    let outcome: unknown;
    const handler = webSocketHandler(
      async () => {
        outcome = await publish('room', new WebSocketMessageFormat('hello')).catch((error: unknown) => error);
      },
      { native: depsFor(store) },
    );
    const { context, enforced } = invocation(4000);

    expect(await enforced(handler(messageEvent('sender', 'go'), context))).toEqual({ statusCode: 200 });

    expect(outcome).toBeInstanceOf(PublishError);
    const native = (outcome as PublishError).partial?.native;
    // 50 posts in flight hung until the deadline (sent: unknown), the other 10 were not attempted (failed).
    expect(native).toMatchObject({ delivered: 0, unknown: 50, failed: 10 });
    // The client closed every request it made; the server sees the last closes a moment later.
    expect(await settles(() => api.openRequests === 0)).toBe(true);
  }, 15_000);

  test('a response that trickles in is cut off at the timeout, not kept alive by each byte', async () => {
    api.addConnection('c1');
    api.fault = () => 'trickle';
    const sender = new SignedManagementApi(api.endpoint, { requestTimeoutMs: 300 });

    const error = await sender.post('c1', Buffer.from('x')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).requestSent).toBe(true);
    expect(classifyManagementError(error)).toBe('unknown');
  }, 10_000);

  test('a DynamoDB endpoint that never answers fails the store call by the deadline, as ConnectionStoreError', async () => {
    const client = dynamo.newDocumentClient({ endpoint: hangingEndpoint, maxAttempts: 1 });
    const store = new ConnectionStore({ tableName: 'never', client });
    const { context, enforced } = invocation(1500);

    const error = await enforced(withInvocationDeadline(context, () => store.getConnection('c1'))).catch((e) => e);

    expect(error).toBeInstanceOf(ConnectionStoreError);
  }, 10_000);

  test('a Lambda Invoke that never answers fails the $connect that sent messages, and nothing is stored', async () => {
    const store = await newStore();
    const lambdaClient = new LambdaClient({ ...LOCAL_AWS, endpoint: hangingEndpoint, maxAttempts: 1 });
    const handler = webSocketHandler(
      (ws) => {
        ws.accept();
        ws.send('welcome');
      },
      { native: depsFor(store, { lambdaClient, functionName: 'chat' }) },
    );
    const { context, enforced } = invocation(2000);

    expect(await enforced(handler(connectEvent('c1'), context))).toMatchObject({ statusCode: 500 });
    expect(await store.getConnection('c1')).toBeUndefined();
  }, 10_000);
});

describe('partial delivery', () => {
  test('a slow 200 is delivered once, counted unknown, never retried into a second delivery', async () => {
    const store = await newStore();
    const [id] = await seedMembers(store, 'room', 1);
    api.fault = () => 'slow';
    api.slowMs = 1000;

    const result = await fanOut('room', 'once', depsFor(store, { postRetry: { retryBaseMs: 1, timeoutMs: 200 } }));

    expect(result).toMatchObject({ delivered: 0, failed: 0, unknown: 1 });
    expect(classifyManagementError(result.errors[0].error)).toBe('unknown');
    expect(api.texts(id)).toEqual(['once']);
  }, 20_000);

  test('a member listing that fails after page 1 says exactly what was delivered', async () => {
    const client = dynamo.newDocumentClient();
    let queries = 0;
    const send = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
    (client as { send: unknown }).send = (command: unknown, options?: unknown) => {
      if (command instanceof QueryCommand && ++queries === 2) {
        return Promise.reject(Object.assign(new Error('injected'), { name: 'InternalServerError' }));
      }
      return send(command, options);
    };
    const store = await newStore(50, client);
    const ids = await seedMembers(store, 'room', 120);

    const error = await publishAs(store, 'partial').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).partial?.native).toMatchObject({ delivered: 50, failed: 0, complete: false });
    expect((error as PublishError).message).toMatch(/listing stopped after 50 subscribers; 50 delivered/);
    expect(ids.filter((id) => api.texts(id).includes('partial'))).toHaveLength(50);
  }, 20_000);

  test('a member still in $connect does not turn a full delivery into a failed publish', async () => {
    const store = await newStore();
    const ids = await seedMembers(store, 'room', 3);
    await store.putConnection('joining', { channels: ['room'] });
    api.addConnection('joining', 'opening');

    const result = await publishAs(store, 'hi');

    expect(result.native).toMatchObject({ delivered: 3, failed: 0, opening: 1, complete: true });
    for (const id of ids) expect(api.texts(id)).toEqual(['hi']);
  });

  test('gone connections whose removal failed are not reported as removed', async () => {
    const client = dynamo.newDocumentClient();
    const send = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
    (client as { send: unknown }).send = (command: unknown, options?: unknown) =>
      command instanceof BatchWriteCommand
        ? Promise.reject(Object.assign(new Error('injected'), { name: 'InternalServerError' }))
        : send(command, options);
    const store = await newStore(undefined, client);
    const ids = await seedMembers(store, 'room', 4);
    api.markGone(ids[0]);
    api.markGone(ids[1]);

    const result = await fanOut('room', 'x', depsFor(store));

    expect(result).toMatchObject({ delivered: 2, gone: 2, removalFailed: 2 });
    expect(result.errors.map((e) => e.connectionId)).toEqual([undefined]);
  });
});

describe('native limits', () => {
  test('a channel name over the native limit is a clear InvalidValueError at subscribe(); the limit itself works', async () => {
    const store = await newStore();
    const ws = await createNativeContext(connectEvent('c1'), depsFor(store, { prefix: 'app:' }));
    ws.accept();
    const longest = 'x'.repeat(MAX_NATIVE_CHANNEL_BYTES - 'app:'.length);

    expect(() => ws.subscribe(`${longest}y`)).toThrow(InvalidValueError);
    ws.subscribe(longest);
    expect(await ws.finish()).toEqual({ statusCode: 200 });
    expect(await store.channelsOf('c1')).toEqual([`app:${longest}`]);
  });
});

/** True once `check` holds, polled for up to 2 s (for the other end of a socket to see it close). */
async function settles(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return check();
}

/** publish() as a handler of the native transport does it, with `store` and the local management API. */
function publishAs(store: ConnectionStore, text: string) {
  const restore = setEnv({ [Env.CONNECTION_TABLE]: store.tableName, [Env.MANAGEMENT_ENDPOINT]: api.endpoint });
  return import('../../../lambda/core/publish')
    .then(({ withPublishTracking }) =>
      withPublishTracking(() => publish('room', new WebSocketMessageFormat(text)), depsFor(store)),
    )
    .finally(restore);
}
