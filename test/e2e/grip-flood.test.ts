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

  /** Floods FLOOD messages `<prefix><i>` (each test its own prefix: a closed connection's last requests may still arrive). */
  const flood = async (prefix = 'm') => {
    const client = await E2eClient.connect('flooder', `${env.grip!.wsUrl}/chat`);
    clients.push(client);
    const sent = Array.from({ length: FLOOD }, (_, i) => `${prefix}${i}`);
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

  it('with the rate limit off: every message is handled exactly once, in requests well inside the deadline, and the broadcasts arrive in order', async () => {
    restore = setEnv({ [Env.MESSAGE_RATE]: 'off' });
    recordingChat();
    const handled = new Map<string, number>();
    const recorded = env.slot.current as unknown as (event: unknown, context: LocalLambdaContext) => Promise<unknown>;
    env.slot.current = (async (
      event: { body?: string | null; isBase64Encoded?: boolean },
      context: LocalLambdaContext,
    ) => {
      const body = event.body
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('latin1')
        : '';
      for (const [, text] of body.matchAll(/TEXT [0-9a-f]+\r\n(r\d+)\r\n/g))
        handled.set(text, (handled.get(text) ?? 0) + 1);
      return recorded(event, context);
    }) as unknown as LambdaHandler;

    const { client, expected } = await flood('r');
    // Done once every message was handled and then everything arrived, or nothing more came for 3 s.
    const until = Date.now() + FLOOD_TIMEOUT_MS / 2;
    while (handled.size < FLOOD && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    let count = -1;
    while (count !== client.pending().length && client.pending().length < FLOOD) {
      count = client.pending().length;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }

    if (process.env.E2E_VERBOSE === '1') {
      const twice = [...handled].filter(([, n]) => n > 1).map(([t]) => t);
      process.stdout.write(`twice ${twice.length}: ${twice.slice(0, 10).join(',')}; ${JSON.stringify(invocations)}\n`);
    }
    expect(handled.size).toBe(FLOOD);
    expect([...handled.values()].every((times) => times === 1)).toBe(true);
    expect(invocations.every((i) => i.status === 200 && i.leftMs > 0)).toBe(true);
    // In order, none twice. Pushpin 1.36 sends a published WebSocket message only if the client's socket can take
    // it at that moment (wsproxysession.cpp: publishes carry queue=false, "drop if we can't send right now"), so a
    // client that floods faster than it reads may miss broadcasts: never reordered or repeated.
    // (The previous test's connection may still publish its last requests to the same room: its lines are skipped.)
    const own = client.pending().filter((line) => line.startsWith('anonymous: r'));
    const numbers = own.map((line) => Number(line.slice('anonymous: r'.length)));
    expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1])).toBe(true);
    expect(own.every((line) => expected.includes(line))).toBe(true);
    expect(env.errors).toEqual([]);
  });
});
