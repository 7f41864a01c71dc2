/**
 * Verified identity and channel rules on GRIP HTTP holds (streams, Server-Sent Events, long-polls) through a real
 * Pushpin, with a real OIDC issuer on loopback and the channel log in dynalite: the same settings as WebSocket
 * handshakes (FAAS_GRIP_AUTH_*) refuse a hold without a valid token (401) before it is held, and the channel rules
 * refuse private and per-user channels to anyone else (403), with identity on or off (anonymous). A durable
 * stream's next link carries the token (kept in its query, or added there when it came in a header), so the proxy's
 * gap-filling requests, which carry no client header, pass the same check.
 */
import { Env } from '../../lambda/contract';
import { resetContainer } from '../../lambda/core/container';
import { type DevIssuerProcess, startDevIssuerProcess } from '../helpers/dev-issuer';
import {
  describeWithPushpin,
  E2E_START_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  type E2eEnv,
  startE2eEnv,
} from '../helpers/e2e-env';
import { E2eHttpResponse } from '../helpers/e2e-http-client';
import { setEnv } from '../helpers/grip-events';
import { type HoldRuntime, holdRouter, loadHoldRuntime } from '../helpers/hold-runtime';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

const datas = (body: string) => [...body.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);

describeWithPushpin('identity and channel rules on HTTP holds', () => {
  let env: E2eEnv;
  let idp: DevIssuerProcess;
  let rt: HoldRuntime;
  let base: string;
  let restore = () => {};
  const open: E2eHttpResponse[] = [];
  const SSE = { Accept: 'text/event-stream' };

  beforeAll(async () => {
    idp = await startDevIssuerProcess();
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
    base = env.grip!.pushpin.httpUrl;
    env.slot.current = holdRouter(() => rt);
  }, E2E_START_TIMEOUT_MS);
  afterEach(() => {
    for (const r of open.splice(0)) r.close();
  });
  afterAll(async () => {
    restore();
    resetContainer();
    await env?.stop();
    await idp?.stop();
  }, E2E_START_TIMEOUT_MS);

  /** Runs with `values` in the environment (fresh runtime and container). */
  const configure = (values: Record<string, string | undefined>) => {
    restore();
    restore = setEnv(values);
    resetContainer();
    rt = loadHoldRuntime();
  };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await E2eHttpResponse.get(`${base}${path}`, headers);
    open.push(response);
    return response;
  };
  /** The status of a refused GET (its whole answer read). */
  const refused = async (path: string, headers: Record<string, string> = {}) => {
    const response = await get(path, headers);
    await response.waitForEnd();
    return response.status;
  };
  const opened = async (path: string, headers: Record<string, string> = {}) => {
    const stream = await get(path, { ...SSE, ...headers });
    await stream.waitForText(': stream opened\n\n');
    expect(stream.status).toBe(200);
    return stream;
  };
  const say = (channel: string, text: string) => rt.publish(channel, new rt.WebSocketMessageFormat(text));

  describe('identity on', () => {
    beforeAll(() =>
      configure({
        [Env.AUTH_ISSUER]: idp.issuer,
        [Env.AUTH_AUDIENCE]: idp.clientId,
        [Env.AUTH_CLOCK_SKEW]: '0',
        [Env.PRIVATE_CHANNELS]: JSON.stringify({ 'staff*': ['alice', 'bob'] }),
      }),
    );

    it('refuses a stream or long-poll without a valid token with 401, before holding it', async () => {
      const now = Math.floor(Date.now() / 1000);
      const bad: Record<string, string> = {
        none: '',
        garbage: '?access_token=not-a-jwt',
        expired: `?access_token=${idp.craft({ exp: now - 5 })}`,
        'other audience': `?access_token=${idp.craft({ aud: 'another-app' })}`,
      };
      for (const [kind, query] of Object.entries(bad)) {
        expect([kind, await refused(`/stream/news${query}`, SSE)]).toEqual([kind, 401]);
        expect([kind, await refused(`/poll/news${query}`)]).toEqual([kind, 401]);
      }
    });

    it('holds with a valid token in the query (as EventSource must give it) or the Authorization header', async () => {
      const byQuery = await opened(`/stream/news?access_token=${idp.craft({ sub: 'carol' })}`);
      const byHeader = await opened('/stream/news', { Authorization: `Bearer ${idp.craft({ sub: 'dave' })}` });
      for (let i = 1; i <= 10; i++) {
        await say('news', `headline ${i}`);
        const both = await Promise.all(
          [byQuery, byHeader].map((s) =>
            s.waitForText(`data: headline ${i}\n`, 1500).then(
              () => true,
              () => false,
            ),
          ),
        );
        if (both.every(Boolean)) return;
      }
      throw new Error(`the streams got nothing: ${JSON.stringify([byQuery.body, byHeader.body])}`);
    });

    it('opens a private channel to its members only, and user:<sub> to that user only (403 otherwise)', async () => {
      const alice = idp.craft({ sub: 'alice' });
      const carol = idp.craft({ sub: 'carol' });
      await opened(`/stream/staff?access_token=${alice}`);
      expect(await refused(`/stream/staff?access_token=${carol}`, SSE)).toBe(403);
      expect(await refused(`/poll/staff?access_token=${carol}`)).toBe(403);
      expect(await refused(`/poll/staff?after=0&epoch=&access_token=${carol}`)).toBe(403);
      await opened(`/stream/user:carol?access_token=${carol}`);
      expect(await refused(`/stream/user:carol?access_token=${alice}`, SSE)).toBe(403);
    });

    it.each([['the query'], ['the Authorization header']])(
      'fills a durable stream’s gap through the next link, which carries the token given in %s',
      async (given) => {
        const channel = given === 'the query' ? 'staff' : 'staff.notes';
        const token = idp.craft({ sub: 'bob' });
        const stream =
          given === 'the query'
            ? await opened(`/stream/${channel}?access_token=${token}`)
            : await opened(`/stream/${channel}`, { Authorization: `Bearer ${token}` });
        let first = 0;
        for (let i = 1; i <= 10 && first === 0; i++) {
          await say(channel, `warm ${i}`);
          await stream.waitForText(`data: warm ${i}\n`, 2000).then(
            () => (first = i),
            () => undefined,
          );
        }
        // Appended to the log but never published: the proxy requests the next link to fill the gap.
        await rt.channelLog().append(channel, 'never published');
        await say(channel, 'after the gap');
        await stream.waitForText('data: after the gap\n', 15_000);
        const tail = datas(stream.body).slice(datas(stream.body).indexOf(`warm ${first}`));
        expect(tail).toEqual([`warm ${first}`, 'never published', 'after the gap']);
      },
    );
  });

  describe('identity off', () => {
    beforeAll(() =>
      configure({
        [Env.AUTH_ISSUER]: undefined,
        [Env.AUTH_AUDIENCE]: undefined,
        [Env.PRIVATE_CHANNELS]: JSON.stringify({ staff: ['alice', 'bob'] }),
      }),
    );

    it('refuses private and per-user channels to anonymous holds (403) and holds open ones', async () => {
      expect(await refused('/stream/staff', SSE)).toBe(403);
      expect(await refused('/poll/staff')).toBe(403);
      expect(await refused('/stream/user:alice', SSE)).toBe(403);
      await opened('/stream/news');
    });
  });
});
