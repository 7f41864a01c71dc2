/**
 * Errors in user code, seen by a real client.
 *
 * GRIP (through a real Pushpin): `webSocketHandler()` never lets a user error become a 5xx. A throw while opening
 * answers OPEN then CLOSE 1011 (documented choice: the handshake succeeds and the client gets the code, instead of
 * a refused handshake with no reason); a throw while handling a message answers CLOSE 1011; none of the failed
 * invocation's effects (sends, meta) are kept; a throw while the peer closes still echoes its close. The control
 * experiment shows what a 5xx does instead: a refused handshake or close code 1006.
 *
 * Native (API Gateway WebSocket emulator + dynalite): the error is logged, `$connect` is refused and stores
 * nothing, a failed message closes the connection, and the connection table ends up consistent: no item of a
 * failed connection is left, and the other members of the room are untouched.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ConnectionTableSchema } from '../../lambda/contract';
import type { WebSocketContext } from '../../lambda/core/websocket-context';
import { localDynamoClient } from '../../local/stack/local-dynamo';
import { describeWithPushpin, type E2eEnv, startE2eEnv } from '../helpers/e2e-env';
import { freshWebSocketHandler } from '../helpers/e2e-grip-tools';
import { E2E_WAIT_MS, E2eClient, HandshakeRefusedError, terminateAll } from '../helpers/e2e-ws-client';

const START_TIMEOUT_MS = 60_000;

/** Echoes messages; throws at `when` after leaving effects (a send, a meta change) that must be dropped. */
function failingAt(when: 'open' | 'message' | 'close' | 'disconnect', opened: string[] = []) {
  return freshWebSocketHandler((ws: WebSocketContext) => {
    if (ws.isOpening()) {
      opened.push(ws.id);
      ws.accept();
      ws.subscribe('room');
      if (when === 'open') fail(ws, 'boom while opening');
      return;
    }
    if (ws.disconnected && when === 'disconnect') fail(ws, 'boom on $disconnect');
    if (ws.peerClose && when === 'close') fail(ws, 'boom while closing');
    while (ws.canRecv()) {
      const message = ws.recv();
      if (message === null) break;
      if (message === 'boom' && when === 'message') fail(ws, 'boom on a message');
      ws.send(`echo: ${message}`);
    }
  });
}

function fail(ws: WebSocketContext, reason: string): never {
  ws.send('partial effect that must not be delivered');
  ws.meta.half = 'done';
  throw new Error(reason);
}

/** The runtime's error lines for a failed handler (of one connection, when given). */
const handlerErrors = (env: E2eEnv, reason: string, connectionId = '') =>
  env.logs.filter(
    (line) => line.includes('websocket handler failed') && line.includes(reason) && line.includes(connectionId),
  );

describeWithPushpin('user errors on GRIP, through Pushpin', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];
  const connect = async (name: string) => {
    const client = await E2eClient.connect(name, `${env.grip!.wsUrl}/chat`);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'grip', shape: 'rest-v1' });
  }, START_TIMEOUT_MS);
  afterEach(() => terminateAll(clients.splice(0)));
  afterAll(async () => {
    await env?.stop();
  }, START_TIMEOUT_MS);

  it('a throw while opening: the handshake succeeds, then the client sees close 1011 (not 1006)', async () => {
    const opened: string[] = [];
    env.slot.current = failingAt('open', opened);

    const client = await connect('opener');

    expect(await client.closed()).toEqual({ code: 1011, reason: 'internal error' });
    expect(client.received).toEqual([]);
    expect(handlerErrors(env, 'boom while opening', opened[0])).toHaveLength(1);
  });

  it('a throw on a message: close 1011, and nothing the failed invocation did is delivered', async () => {
    const opened: string[] = [];
    env.slot.current = failingAt('message', opened);
    const client = await connect('sender');
    client.send('before');
    await client.expect('echo: before');

    client.send('boom');

    expect(await client.closed()).toEqual({ code: 1011, reason: 'internal error' });
    expect(client.received).toEqual(['echo: before']);
    expect(handlerErrors(env, 'boom on a message', opened[0])).toHaveLength(1);
  });

  it('a throw while the client closes: its own close code still comes back', async () => {
    const opened: string[] = [];
    env.slot.current = failingAt('close', opened);
    const client = await connect('closer');

    expect(await client.close(4001, 'bye')).toEqual({ code: 4001, reason: 'bye' });
    expect(handlerErrors(env, 'boom while closing', opened[0])).toHaveLength(1);
  });

  it('never answers 5xx: the front door saw no failed invocation', () => {
    expect(env.errors).toEqual([]);
  });

  it('control: a raw handler that throws makes a 5xx, which Pushpin turns into a 502 or a 1006', async () => {
    let open = true;
    env.slot.current = (() => {
      if (open)
        return {
          statusCode: 200,
          headers: { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip' },
          body: Buffer.from('OPEN\r\n').toString('base64'),
          isBase64Encoded: true,
        };
      throw new Error('raw handler failed');
    }) as unknown as typeof env.slot.current;
    const errorsBefore = env.errors.length;
    const client = await connect('raw');
    open = false;

    client.send('boom');
    expect((await client.closed()).code).toBe(1006);
    const refused = await connect('raw-opener').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HandshakeRefusedError);
    expect((refused as HandshakeRefusedError).status).toBe(502);
    expect(env.errors.length).toBeGreaterThan(errorsBefore);
  });
});

describe('user errors on the native transport (emulator + dynalite)', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];
  const connect = async (name: string) => {
    const client = await E2eClient.connect(name, env.native!.wsUrl);
    clients.push(client);
    return client;
  };

  /** Every table item as `<pk> <sk>`, sorted. */
  async function tableItems(): Promise<string[]> {
    const client = localDynamoClient(env.native!.dynamo.endpoint);
    try {
      const page = await client.send(new ScanCommand({ TableName: env.native!.tableName }));
      const { partitionKey, sortKey } = ConnectionTableSchema;
      return (page.Items ?? []).map((i) => `${i[partitionKey]?.S} ${i[sortKey]?.S}`).sort();
    } finally {
      client.destroy();
    }
  }

  /** The table items once `ready` holds for them ($disconnect runs after the socket closed); fails after a bound. */
  async function itemsWhen(ready: (items: string[]) => boolean): Promise<string[]> {
    let items = await tableItems();
    for (let waited = 0; !ready(items); waited += 100) {
      if (waited >= E2E_WAIT_MS) throw new Error(`the connection table did not settle: ${JSON.stringify(items)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      items = await tableItems();
    }
    return items;
  }
  const itemsOf = (items: string[], id: string) => items.filter((item) => item.includes(id));

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'native' });
  }, START_TIMEOUT_MS);
  afterEach(() => terminateAll(clients.splice(0)));
  afterAll(async () => {
    await env?.stop();
  }, START_TIMEOUT_MS);

  it('a throw on $connect: the handshake is refused with 500, logged, and nothing is stored', async () => {
    const opened: string[] = [];
    env.slot.current = failingAt('open', opened);

    const refused = await connect('opener').catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(HandshakeRefusedError);
    expect((refused as HandshakeRefusedError).status).toBe(500);
    expect(opened).toHaveLength(1);
    // The runtime removed what the failed $connect wrote before it answered: nothing is left right after.
    expect(itemsOf(await tableItems(), opened[0]!)).toEqual([]);
    expect(handlerErrors(env, 'boom while opening', opened[0])).toHaveLength(1);
  });

  it('a throw on a message: logged, the connection closed, its items removed, the room keeps the others', async () => {
    const opened: string[] = [];
    env.slot.current = failingAt('message', opened);
    const bystander = await connect('bystander');
    const bystanderItems = itemsOf(await tableItems(), opened[0]!);
    const sender = await connect('sender');
    sender.send('before');
    await sender.expect('echo: before');

    sender.send('boom');

    await sender.closed();
    expect(sender.received).toEqual(['echo: before']);
    const [bystanderId, senderId] = opened;
    expect(handlerErrors(env, 'boom on a message', senderId)).toHaveLength(1);
    const items = await itemsWhen((all) => itemsOf(all, senderId!).length === 0);
    expect(bystanderItems.length).toBeGreaterThan(0);
    expect(itemsOf(items, bystanderId!)).toEqual(bystanderItems);
    const { channelPrefix, connectionPrefix } = ConnectionTableSchema;
    const members = items.filter((item) => item.startsWith(`${channelPrefix}room `));
    expect(members).toEqual([`${channelPrefix}room ${connectionPrefix}${bystanderId}`]);
    bystander.send('still here');
    await bystander.expect('echo: still here');
  });

  it('a throw on $disconnect: logged, and the connection and its memberships are still removed', async () => {
    const opened: string[] = [];
    env.slot.current = failingAt('disconnect', opened);
    const client = await connect('leaver');
    expect(itemsOf(await tableItems(), opened[0]!)).toHaveLength(2);

    await client.close(1000, 'bye');

    await itemsWhen((all) => itemsOf(all, opened[0]!).length === 0);
    expect(handlerErrors(env, 'boom on $disconnect', opened[0])).toHaveLength(1);
  });
});
