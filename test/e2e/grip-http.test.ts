/**
 * HTTP streaming (plain and Server-Sent Events) and long-polling through a real Pushpin, for each event shape:
 * the stream and long-poll example handlers answer with Grip-Hold, and the runtime's publish() reaches the held
 * requests through the JWT gate with the GRIP_URL key. A publish signed with the wrong key is refused.
 */

import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import {
  describeWithPushpin,
  E2E_START_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  type E2eEnv,
  EVENT_SHAPES,
  gateGripUrl,
  loadFresh,
  startE2eEnv,
} from '../helpers/e2e-env';
import { E2eHttpResponse } from '../helpers/e2e-http-client';
import { setEnv } from '../helpers/grip-events';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);
/** A hold is subscribed asynchronously by Pushpin: publish until the first item arrives (bounded, 2 s each). */
const PUBLISH_ATTEMPTS = 10;
const ATTEMPT_WAIT_MS = 2_000;

/** The runtime and the example handlers from one fresh module registry (so classes and config match). */
function loadRuntime() {
  return loadFresh(() => ({
    ...(require('../../lambda/core/publish') as typeof import('../../lambda/core/publish')),
    ...(require('../../lambda/core/errors') as typeof import('../../lambda/core/errors')),
    ...(require('../../lambda/grip/formats') as typeof import('../../lambda/grip/formats')),
    ...(require('../../lambda/grip/hold') as typeof import('../../lambda/grip/hold')),
    ...(require('../../lambda/aws/http-event') as typeof import('../../lambda/aws/http-event')),
    stream: (require('../../lambda/examples/stream') as { handler: LambdaHandler }).handler,
    poll: (require('../../lambda/examples/long-poll') as { handler: LambdaHandler }).handler,
  }));
}
type Runtime = ReturnType<typeof loadRuntime>;

/**
 * Publishes item 1, 2, ... until `arrived(i)` resolves for one of them, and returns that `i`. Only the first item
 * of a fresh hold needs this; every later publish is asserted exactly.
 */
async function publishUntilArrived(
  publishItem: (i: number) => Promise<unknown>,
  arrived: (i: number, timeoutMs: number) => Promise<void>,
): Promise<number> {
  const misses: string[] = [];
  for (let i = 1; i <= PUBLISH_ATTEMPTS; i++) {
    await publishItem(i);
    try {
      await arrived(i, ATTEMPT_WAIT_MS);
      return i;
    } catch (error) {
      misses.push((error as Error).message);
    }
  }
  throw new Error(`no published item reached the held request:\n${misses.join('\n')}`);
}

describeWithPushpin('GRIP HTTP streaming and long-polling through Pushpin', () => {
  describe.each(EVENT_SHAPES)('with %s events', (shape) => {
    let env: E2eEnv;
    let rt: Runtime;
    let base: string;
    const open: E2eHttpResponse[] = [];
    const channel = (name: string) => `${name}-${shape}`;

    beforeAll(async () => {
      env = await startE2eEnv({ kind: 'grip', shape });
      rt = loadRuntime();
      env.slot.current = ((event: never, context: never) => {
        const kind = rt.parseHttpEvent(event).path.split('/').filter(Boolean)[0];
        return (kind === 'poll' ? rt.poll : rt.stream)(event, context);
      }) as LambdaHandler;
      base = env.grip!.pushpin.httpUrl;
    }, E2E_START_TIMEOUT_MS);
    afterEach(() => {
      for (const r of open.splice(0)) r.close();
    });
    afterAll(async () => {
      await env?.stop();
    }, E2E_START_TIMEOUT_MS);

    const get = async (path: string, headers: Record<string, string> = {}) => {
      const response = await E2eHttpResponse.get(`${base}${path}`, headers);
      open.push(response);
      return response;
    };

    it('streams published data to a held plain HTTP stream', async () => {
      const ch = channel('plain');
      const stream = await get(`/stream/${ch}`);
      const opened = 'stream opened, prepare yourself!\n';
      await stream.waitForText(opened);
      expect(stream.status).toBe(200);

      const k = await publishUntilArrived(
        (i) => rt.publish(ch, new rt.HttpStreamFormat(`chunk ${i}\n`)),
        (i, ms) => stream.waitForText(`chunk ${i}\n`, ms),
      );
      await rt.publish(ch, new rt.HttpStreamFormat('second ✓ 🦊\n'));
      await stream.waitForText('second ✓ 🦊\n');

      expect(stream.body).toBe(`${opened}chunk ${k}\nsecond ✓ 🦊\n`);
      expect(env.errors).toEqual([]);
    });

    it('streams published Server-Sent Events', async () => {
      const ch = channel('sse');
      const stream = await get(`/stream/${ch}`, { Accept: 'text/event-stream' });
      await stream.waitForText(': stream opened\n\n');
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);

      const event = (i: number) =>
        rt.formatServerSentEvent({ id: String(i), event: 'greeting', data: `hello\nSSE ${i}` });
      const k = await publishUntilArrived(
        (i) => rt.publish(ch, new rt.HttpStreamFormat(event(i))),
        (i, ms) => stream.waitForText(event(i), ms),
      );

      expect(stream.body).toBe(`: stream opened\n\nevent: greeting\nid: ${k}\ndata: hello\ndata: SSE ${k}\n\n`);
    });

    it('releases a held long-poll with the published response', async () => {
      const ch = channel('poll');
      let released: E2eHttpResponse | undefined;
      const held = E2eHttpResponse.get(`${base}/poll/${ch}`, {}, 60_000).then((r) => {
        open.push(r);
        released = r;
        return r;
      });

      const k = await publishUntilArrived(
        (i) =>
          rt.publish(
            ch,
            new rt.HttpResponseFormat({
              code: 202,
              headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-E2e': 'released' },
              body: `polled #${i} ✓\n`,
            }),
          ),
        async (i, ms) => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([held, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
          clearTimeout(timer);
          if (!released) throw new Error(`long-poll still held ${ms} ms after publish #${i}`);
        },
      );
      const response = await held;
      await response.waitForEnd();

      expect(response.status).toBe(202);
      expect(response.headers['x-e2e']).toBe('released');
      expect(response.body).toBe(`polled #${k} ✓\n`);
    });

    it('refuses a publish with the wrong key (401 from the gate: PublishError) and delivers nothing', async () => {
      const ch = channel('refused');
      const stream = await get(`/stream/${ch}`);
      await stream.waitForText('opened');
      const k = await publishUntilArrived(
        (i) => rt.publish(ch, new rt.HttpStreamFormat(`ok ${i}\n`)),
        (i, ms) => stream.waitForText(`ok ${i}\n`, ms),
      );

      const restore = setEnv({ GRIP_URL: gateGripUrl(env.grip!, 'not-the-publish-key') });
      let refused: unknown;
      try {
        const wrong = loadRuntime();
        refused = await wrong.publish(ch, new wrong.HttpStreamFormat('must not arrive\n')).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(wrong.PublishError);
      } finally {
        restore();
      }
      const failures = (refused as InstanceType<Runtime['PublishError']>).failures;
      expect(failures).toHaveLength(1);
      expect(failures[0].target).toContain(env.grip!.pushpin.publishUrl);
      expect(failures[0].target).not.toContain('not-the-publish-key');
      expect(failures[0].cause.message).toMatch(/401/);

      await rt.publish(ch, new rt.HttpStreamFormat('after\n'));
      await stream.waitForText('after\n');
      expect(stream.body).toBe(`stream opened, prepare yourself!\nok ${k}\nafter\n`);
    });

    it('answers 401 to a hold request that bypasses Pushpin (no Grip-Sig)', async () => {
      const bypass = await E2eHttpResponse.get(`${env.grip!.frontDoor.url}/stream/${channel('direct')}`);
      open.push(bypass);
      await bypass.waitForEnd();
      expect(bypass.status).toBe(401);
      expect(bypass.body).toMatch(/Grip-Sig/);
    });
  });
});
