import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { isPendingDeliveryEvent, type PendingDeliveryEvent } from '../../../lambda/aws/event-kind';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import { createNativeContext } from '../../../lambda/native/native-context';
import type { NativeDeps } from '../../../lambda/native/native-deps';
import { deliverPending, schedulePendingDelivery } from '../../../lambda/native/pending';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { setEnv } from '../../helpers/grip-events';
import { LocalManagementServer } from '../../helpers/local-management-server';
import { connectEvent, disconnectEvent, messageEvent } from '../../helpers/native-events';

/** A loopback stand-in for Lambda's Invoke API that records asynchronous invocations. */
interface InvokeRecorder {
  readonly endpoint: string;
  readonly invocations: { functionName: string; type: string; qualifier?: string; payload: unknown }[];
  stop(): Promise<void>;
}

async function startInvokeRecorder(): Promise<InvokeRecorder> {
  const invocations: InvokeRecorder['invocations'] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://local');
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'x-amzn-errortype': 'ResourceNotFoundException' }).end('{}');
      return;
    }
    invocations.push({
      functionName: decodeURIComponent(match[1]),
      type: String(req.headers['x-amz-invocation-type']),
      qualifier: url.searchParams.get('Qualifier') ?? undefined,
      payload: JSON.parse(Buffer.concat(chunks).toString('utf8')),
    });
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let dynamo: LocalDynamo;
let lambda: InvokeRecorder;
let api: LocalManagementServer;
let store: ConnectionStore;
let deps: NativeDeps;
let tables = 0;
const logged: string[] = [];
const record = (m: string) => logged.push(m);
const logger = { info: record, warn: record, error: record };

beforeAll(async () => {
  dynamo = await startDynalite();
  lambda = await startInvokeRecorder();
});

afterAll(async () => {
  await lambda.stop();
  await dynamo.stop();
});

beforeEach(async () => {
  const tableName = `pending-${++tables}`;
  await dynamo.createConnectionTable(tableName);
  store = new ConnectionStore({ tableName, client: dynamo.newDocumentClient() });
  api = await LocalManagementServer.start();
  lambda.invocations.length = 0;
  logged.length = 0;
  deps = {
    store,
    managementClient: new ApiGatewayManagementApiClient({ ...LOCAL_AWS, endpoint: api.endpoint, maxAttempts: 1 }),
    lambdaClient: new LambdaClient({ ...LOCAL_AWS, endpoint: lambda.endpoint, maxAttempts: 1 }),
    functionName: 'chat-handler',
    logger,
    postRetry: { retryBaseMs: 1 },
  };
});

afterEach(async () => {
  await api.stop();
});

/** A $connect whose handler sends `welcome` messages (and optionally closes); the connection is left opening. */
async function connectSending(id: string, welcome: string[], close = false): Promise<unknown> {
  const ws = await createNativeContext(connectEvent(id), deps);
  ws.accept();
  ws.subscribe('lobby');
  for (const text of welcome) ws.send(text);
  if (close) ws.close();
  const result = await ws.finish();
  api.addConnection(id, 'opening');
  return result;
}

async function firstMessage(id: string, reply: string): Promise<void> {
  const ws = await createNativeContext(messageEvent(id, 'hi'), deps);
  ws.send(reply);
  await ws.finish();
}

test('isPendingDeliveryEvent recognises only the self-invocation event', () => {
  expect(isPendingDeliveryEvent({ faasGripDeliverPending: { connectionId: 'c1' } })).toBe(true);
  expect(isPendingDeliveryEvent({ faasGripDeliverPending: { connectionId: '' } })).toBe(false);
  expect(isPendingDeliveryEvent({ faasGripDeliverPending: {} })).toBe(false);
  expect(isPendingDeliveryEvent(connectEvent('c1'))).toBe(false);
  expect(isPendingDeliveryEvent(null)).toBe(false);
});

test('sends during $connect are stored and the function invokes itself asynchronously', async () => {
  expect(await connectSending('c1', ['welcome', 'rules'])).toEqual({ statusCode: 200 });

  expect(api.requests.POST).toBe(0);
  expect((await store.getConnection('c1'))?.pendingCount).toBe(2);
  expect(lambda.invocations).toEqual([
    {
      functionName: 'chat-handler',
      type: 'Event',
      qualifier: undefined,
      payload: { faasGripDeliverPending: { connectionId: 'c1' } },
    },
  ]);
});

test('deliverPending waits until the connection opens, then delivers each message once, in order', async () => {
  await connectSending('c1', ['welcome', 'rules']);
  const event = lambda.invocations[0].payload as PendingDeliveryEvent;
  // API Gateway refuses the first two posts (403, still opening), then the connection opens.
  api.fault = (call) => {
    if (call.attempt === 3) api.markOpen(call.connectionId);
    return undefined;
  };

  const result = await deliverPending(event, deps);

  expect(result).toEqual({ delivered: 2, restored: 0, lost: 0, unknown: 0 });
  expect(api.texts('c1')).toEqual(['welcome', 'rules']);
  expect(api.requests.POST).toBe(4);
  await firstMessage('c1', 'reply');
  expect(await deliverPending(event, deps)).toEqual({ delivered: 0, restored: 0, lost: 0, unknown: 0 });
  expect(api.texts('c1')).toEqual(['welcome', 'rules', 'reply']);
});

test('without a function name, the first message delivers them before its own sends', async () => {
  deps = { ...deps, functionName: undefined };
  const restore = setEnv({ AWS_LAMBDA_FUNCTION_NAME: undefined });
  try {
    await connectSending('c1', ['welcome', 'rules']);
  } finally {
    restore();
  }
  expect(lambda.invocations).toEqual([]);
  expect(logged).toContain('no function name to invoke: pending messages go with the first message');
  api.markOpen('c1');

  await firstMessage('c1', 'reply 1');
  await firstMessage('c1', 'reply 2');

  expect(api.texts('c1')).toEqual(['welcome', 'rules', 'reply 1', 'reply 2']);
  expect((await store.getConnection('c1'))?.pendingCount).toBe(0);
});

test('when both paths run at once, each pending message is delivered exactly once', async () => {
  await connectSending('c1', ['one', 'two', 'three']);
  api.markOpen('c1');
  const event = lambda.invocations[0].payload as PendingDeliveryEvent;

  const [result] = await Promise.all([deliverPending(event, deps), firstMessage('c1', 'reply')]);

  const texts = api.texts('c1');
  expect(texts.filter((t) => t !== 'reply')).toEqual(['one', 'two', 'three']);
  expect(texts.filter((t) => t === 'reply')).toEqual(['reply']);
  expect([0, 3]).toContain(result.delivered);
});

test('messages not deliverable by the deadline go back to the store for the first message', async () => {
  await connectSending('c1', ['welcome', 'rules']);
  const event = lambda.invocations[0].payload as PendingDeliveryEvent;

  const result = await deliverPending(event, { ...deps, pendingDeadlineMs: 200 });

  expect(result).toEqual({ delivered: 0, restored: 2, lost: 0, unknown: 0 });
  expect((await store.getConnection('c1'))?.pendingCount).toBe(2);
  expect(logged).toContain('connection did not accept posts in time: pending messages kept for its first message');
  api.markOpen('c1');
  await firstMessage('c1', 'reply');
  expect(api.texts('c1')).toEqual(['welcome', 'rules', 'reply']);
});

test('messages for a connection that is gone by the deadline are counted as lost and logged', async () => {
  await connectSending('c1', ['welcome']);
  api.markGone('c1');
  const event = lambda.invocations[0].payload as PendingDeliveryEvent;
  // $disconnect removes the connection right after the delivery took its messages.
  class RacedStore extends ConnectionStore {
    override async takePending(connectionId: string) {
      const taken = await super.takePending(connectionId);
      await super.deleteConnection(connectionId);
      return taken;
    }
  }
  const raced = new RacedStore({ tableName: store.tableName, client: dynamo.newDocumentClient() });

  // A connection that is not open yet also answers 410, so posts are retried until the deadline, and a post still in
  // flight then is counted as maybe delivered: the deadline is already past here, so the accounting of a connection
  // gone by then is what is tested, without a race against a loaded machine.
  const result = await deliverPending(event, { ...deps, store: raced, pendingDeadlineMs: 0 });

  expect(result).toEqual({ delivered: 0, restored: 0, lost: 1, unknown: 0 });
  expect(logged).toContain('pending messages lost: the connection is gone');
  expect(await store.getConnection('c1')).toBeUndefined();
});

test('a close() during $connect closes the connection after its pending messages', async () => {
  await connectSending('c1', ['sorry, room full'], true);
  const event = lambda.invocations[0].payload as PendingDeliveryEvent;
  api.markOpen('c1');

  const result = await deliverPending(event, deps);

  expect(result).toEqual({ delivered: 2, restored: 0, lost: 0, unknown: 0 });
  expect(api.texts('c1')).toEqual(['sorry, room full']);
  expect(api.requests.DELETE).toBe(1);
  expect(api.state('c1')).toBe('gone');
});

test('schedulePendingDelivery invokes the running version and reports a failed invoke', async () => {
  const restore = setEnv({ AWS_LAMBDA_FUNCTION_VERSION: '7' });
  try {
    expect(await schedulePendingDelivery('c1', deps)).toBe(true);
  } finally {
    restore();
  }
  expect(lambda.invocations[0]).toMatchObject({ qualifier: '7', type: 'Event' });

  const unreachable = new LambdaClient({ ...LOCAL_AWS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
  await expect(schedulePendingDelivery('c1', { ...deps, lambdaClient: unreachable })).rejects.toThrow(
    /messages sent during \$connect cannot be delivered/,
  );
  expect(logged).toContain('invoking the function for pending messages failed: the $connect fails');
});

test('a $disconnect before delivery logs the pending messages it drops', async () => {
  await connectSending('c1', ['welcome', 'rules']);

  await (await createNativeContext(disconnectEvent('c1'), deps)).finish();

  expect(logged).toContain('pending messages lost: the connection closed before they were delivered');
  expect(await store.getConnection('c1')).toBeUndefined();
  expect(await deliverPending(lambda.invocations[0].payload as PendingDeliveryEvent, deps)).toEqual({
    delivered: 0,
    restored: 0,
    lost: 0,
    unknown: 0,
  });
});
