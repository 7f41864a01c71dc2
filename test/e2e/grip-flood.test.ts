/**
 * A client that floods the chat through a real Pushpin (Debian's 1.36: no Content-Bytes-Accepted), which batches the
 * queued messages into few WebSocket-over-HTTP requests. The outcome is all messages delivered in order, or the client
 * closed with the stated code after an in-order prefix: never a failed request (504, 502) and a silent loss.
 */
import { Env } from '../../lambda/contract';
import { RATE_LIMIT_CLOSE_CODE, RATE_LIMIT_CLOSE_REASON } from '../../lambda/core/inbound-limits';
import type { LambdaHandler, LocalLambdaContext } from '../../local/apigw-websocket/lambda-context';
import { describeWithPushpin, E2E_START_TIMEOUT_MS, type E2eEnv, startE2eEnv } from '../helpers/e2e-env';
import { E2eClient, terminateAll } from '../helpers/e2e-ws-client';
import { setEnv } from '../helpers/grip-events';

const FLOOD = 12_800;
const FLOOD_TIMEOUT_MS = 120_000;

jest.setTimeout(FLOOD_TIMEOUT_MS);

/** What each invocation looked like: messages in, time left when it answered, how long it took (reported only). */
interface Invocation {
  readonly messages: number;
  readonly leftMs: number;
  readonly tookMs: number;
  readonly status: number;
}

describeWithPushpin('a flooding client through Pushpin 1.36', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];
  const invocations: Invocation[] = [];
  let restore: () => void = () => {};

  /** The chat, wrapped to record each invocation (the front door's context gives it 30 s, like the route limit). */
  const recordingChat = () => {
    env.useChatHandler();
    const chat = env.slot.current as unknown as (event: unknown, context: LocalLambdaContext) => Promise<unknown>;
    env.slot.current = (async (
      event: { body?: string | null; isBase64Encoded?: boolean },
      context: LocalLambdaContext,
    ) => {
      const started = Date.now();
      const result = (await chat(event, context)) as { statusCode: number };
      const body = event.body
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('latin1')
        : '';
      invocations.push({
        messages: (body.match(/(^|\r\n)TEXT /g) ?? []).length,
        leftMs: context.getRemainingTimeInMillis(),
        tookMs: Date.now() - started,
        status: result.statusCode,
      });
      return result;
    }) as unknown as LambdaHandler;
  };

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'grip', shape: 'rest-v1' });
  }, E2E_START_TIMEOUT_MS);
  afterEach(() => {
    terminateAll(clients.splice(0));
    restore();
    if (process.env.E2E_VERBOSE === '1') process.stdout.write(`${JSON.stringify(invocations)}\n`);
    invocations.length = 0;
  });
  afterAll(async () => {
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  const flood = async () => {
    const client = await E2eClient.connect('flooder', `${env.grip!.wsUrl}/chat`);
    clients.push(client);
    const sent = Array.from({ length: FLOOD }, (_, i) => `m${i}`);
    for (const text of sent) client.send(text);
    return { client, expected: sent.map((text) => `anonymous: ${text}`) };
  };

  it('with the default rate: an in-order prefix is delivered, then the client is closed with 1008', async () => {
    restore = setEnv({ [Env.MESSAGE_RATE]: undefined, [Env.MESSAGE_BURST]: undefined });
    recordingChat();

    const { client, expected } = await flood();

    expect(await client.closed(FLOOD_TIMEOUT_MS)).toEqual({
      code: RATE_LIMIT_CLOSE_CODE,
      reason: RATE_LIMIT_CLOSE_REASON,
    });
    const received = client.pending();
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(FLOOD);
    expect(received).toEqual(expected.slice(0, received.length));
    expect(invocations.every((i) => i.status === 200 && i.leftMs > 0)).toBe(true);
    expect(env.errors).toEqual([]);
  });
});
