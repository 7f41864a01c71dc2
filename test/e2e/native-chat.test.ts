/**
 * The chat on the native transport: `ws` clients connect to the local API Gateway WebSocket emulator, which
 * invokes the chat handler with `$connect` / `$default` / `$disconnect` events; state lives in dynalite and
 * messages go out through the emulator's management API. The scenario is the one the GRIP test runs, with the
 * same assertions.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../local/stack/local-dynamo';
import { runChatScenario, SCENARIO_TIMEOUT_MS } from '../helpers/e2e-chat-scenario';
import { E2E_START_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, type E2eEnv, startE2eEnv } from '../helpers/e2e-env';
import { freshWebSocketHandler } from '../helpers/e2e-grip-tools';
import { E2E_WAIT_MS, E2eClient, terminateAll } from '../helpers/e2e-ws-client';
import { setEnv } from '../helpers/grip-events';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

describe('native chat through the API Gateway WebSocket emulator', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];
  const connect = async (name: string) => {
    const client = await E2eClient.connect(name, env.native!.wsUrl);
    clients.push(client);
    return client;
  };
  /** A handler that sends during `$connect`, then echoes. */
  const welcoming = () =>
    freshWebSocketHandler((ws) => {
      if (ws.isOpening()) {
        ws.accept();
        ws.send('welcome, you are connected');
      }
      while (ws.canRecv()) {
        const message = ws.recv();
        if (message === null) break;
        ws.send(`echo: ${message}`);
      }
    });

  /** Items left in the connection table once it has settled (bounded wait). */
  const tableItemsWhenSettled = async (): Promise<number> => {
    const client = localDynamoClient(env.native!.dynamo.endpoint);
    try {
      let count = -1;
      for (let waited = 0; waited <= E2E_WAIT_MS && count !== 0; waited += 100) {
        const page = await client.send(new ScanCommand({ TableName: env.native!.tableName }));
        count = page.Count ?? 0;
        if (count !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return count;
    } finally {
      client.destroy();
    }
  };

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'native' });
  }, E2E_START_TIMEOUT_MS);
  afterEach(() => {
    terminateAll(clients.splice(0));
    env.useChatHandler();
  });
  afterAll(async () => {
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  it(
    'runs the chat: nicks (emoji, accents), broadcasts with the exact text, /join and isolation',
    async () => {
      await runChatScenario(connect);
      expect(env.errors).toEqual([]);
      // Every client is gone: $disconnect removed each connection and all its memberships.
      expect(await tableItemsWhenSettled()).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it('delivers a message sent during $connect after the connection is up (asynchronous invocation)', async () => {
    env.slot.current = welcoming();
    const idle = await connect('idle');
    await idle.expect('welcome, you are connected');

    idle.send('hello');
    await idle.expect('echo: hello');
    expect(idle.received).toEqual(['welcome, you are connected', 'echo: hello']);
  });

  it('delivers a message sent during $connect before the answer to the first message (no invocation)', async () => {
    const restore = setEnv({ AWS_LAMBDA_FUNCTION_NAME: undefined });
    try {
      env.slot.current = welcoming();
      const eager = await connect('eager');
      eager.send('first');
      await eager.expect('welcome, you are connected');
      await eager.expect('echo: first');
      expect(eager.received).toEqual(['welcome, you are connected', 'echo: first']);
    } finally {
      restore();
    }
  });
});
