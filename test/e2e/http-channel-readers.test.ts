/**
 * The HTTP clients of durable channels (faas-grip-cdk/client: `ChannelStream` over SSE, `ChannelPoller` over
 * long-polls) against the stream and long-poll examples through a real Pushpin, with the channel log in dynalite
 * and, for identity, a real OIDC issuer on loopback: every message once and in order across a network cut (the
 * stream resumes with Last-Event-ID, the poller from its position), a fresh token before the current one expires
 * (the stream reconnects with it and loses nothing), and refusals that end a reader with a typed error.
 */
import type { ChannelMessage, NotRecovered } from '../../client/channel-client';
import { ChannelPoller } from '../../client/channel-poller';
import { ChannelStream } from '../../client/channel-stream';
import type { ChannelStreamError } from '../../client/http-channel-reader';
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
import { FaultProxy } from '../helpers/fault-proxy';
import { setEnv } from '../helpers/grip-events';
import { type HoldRuntime, holdRouter, loadHoldRuntime } from '../helpers/hold-runtime';
import { until as waitUntil } from '../helpers/until';

const until = (what: string, check: () => boolean, timeoutMs = 10_000) => waitUntil(what, check, timeoutMs);

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** A reader and what it reported. */
function watch(stream: ChannelStream | ChannelPoller) {
  const seen = { messages: [] as ChannelMessage[], errors: [] as ChannelStreamError[], gaps: [] as NotRecovered[] };
  stream.on('message', (m) => seen.messages.push(m));
  stream.on('error', (e) => seen.errors.push(e));
  stream.on('notRecovered', (n) => seen.gaps.push(n));
  return seen;
}

describeWithPushpin('ChannelStream (SSE client) through Pushpin', () => {
  let env: E2eEnv;
  let idp: DevIssuerProcess;
  let rt: HoldRuntime;
  let proxy: FaultProxy;
  let base: string;
  let restore = () => {};
  const streams: Array<ChannelStream | ChannelPoller> = [];

  beforeAll(async () => {
    idp = await startDevIssuerProcess();
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
    const pushpin = new URL(env.grip!.pushpin.httpUrl);
    proxy = await FaultProxy.start('127.0.0.1', Number(pushpin.port));
    base = `http://127.0.0.1:${proxy.port}`;
    env.slot.current = holdRouter(() => rt);
  }, E2E_START_TIMEOUT_MS);
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  afterAll(async () => {
    restore();
    resetContainer();
    await proxy?.stop();
    await env?.stop();
    await idp?.stop();
  }, E2E_START_TIMEOUT_MS);

  const configure = (values: Record<string, string | undefined>) => {
    restore();
    restore = setEnv(values);
    resetContainer();
    rt = loadHoldRuntime();
  };
  const say = (channel: string, text: string) => rt.publish(channel, new rt.WebSocketMessageFormat(text));
  const open = (channel: string, options: ConstructorParameters<typeof ChannelStream>[1] = {}) => {
    const stream = new ChannelStream(`${base}/stream/${channel}`, { minReconnectDelayMs: 50, ...options });
    streams.push(stream);
    return stream;
  };
  /** Publishes until the stream has its first message (Pushpin subscribes a hold asynchronously). */
  async function warm(channel: string, seen: { messages: ChannelMessage[] }): Promise<void> {
    for (let i = 1; seen.messages.length === 0; i++) {
      if (i > 50) throw new Error('the stream got nothing');
      await say(channel, `warm ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  describe('identity off', () => {
    beforeAll(() => configure({ [Env.AUTH_ISSUER]: undefined }));

    it('delivers every message once and in order across a network cut, resuming from its position', async () => {
      const channel = 'stream-cut';
      const stream = open(channel);
      const seen = watch(stream);
      await warm(channel, seen);
      for (let i = 1; i <= 5; i++) await say(channel, `before ${i}`);
      await until('the first five', () => seen.messages.some((m) => m.data === 'before 5'));
      proxy.offline(300);
      // Published while the client is away: replayed from the log when it comes back.
      for (let i = 1; i <= 5; i++) await say(channel, `during ${i}`);
      await until('back', () => stream.state === 'open' && proxy.cuts > 0, 10_000);
      for (let i = 1; i <= 5; i++) await say(channel, `after ${i}`);
      await until('the last', () => seen.messages.some((m) => m.data === 'after 5'));
      const texts = seen.messages.map((m) => m.data).filter((d) => !String(d).startsWith('warm'));
      expect(texts).toEqual(
        [1, 2, 3, 4, 5]
          .flatMap((i) => [`before ${i}`])
          .concat(
            [1, 2, 3, 4, 5].map((i) => `during ${i}`),
            [1, 2, 3, 4, 5].map((i) => `after ${i}`),
          ),
      );
      const offsets = seen.messages.map((m) => m.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(offsets.length);
      expect(stream.position()).toEqual({ epoch: seen.messages.at(-1)?.epoch, offset: offsets.at(-1) });
      expect(seen.messages.every((m) => m.channel === channel)).toBe(true);
    });

    it('long-polls every message once and in order across a network cut, asking from its position', async () => {
      const channel = 'poll-cut';
      await say(channel, 'before');
      const poller = new ChannelPoller(`${base}/poll/${channel}`, { minReconnectDelayMs: 50 });
      streams.push(poller);
      const seen = watch(poller);
      await until('the first', () => seen.messages.length === 1);
      for (let i = 1; i <= 3; i++) await say(channel, `live ${i}`);
      await until('live 3', () => seen.messages.some((m) => m.data === 'live 3'));
      proxy.offline(300);
      for (let i = 1; i <= 3; i++) await say(channel, `during ${i}`);
      await until('during 3', () => seen.messages.some((m) => m.data === 'during 3'));
      expect(proxy.cuts).toBeGreaterThan(0);
      expect(seen.messages.map((m) => m.data)).toEqual([
        'before',
        'live 1',
        'live 2',
        'live 3',
        'during 1',
        'during 2',
        'during 3',
      ]);
      expect(seen.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('replays from a given position, and says when a position of another epoch cannot be recovered', async () => {
      const channel = 'stream-from';
      const published = await say(channel, 'one');
      const first = { epoch: published.epoch as string, offset: published.offset as number };
      await say(channel, 'two');
      const from = open(channel, { position: first });
      const seen = watch(from);
      await until('the replay', () => seen.messages.length >= 1);
      expect(seen.messages.map((m) => m.data)).toEqual(['two']);
      const lost = open(channel, { position: { epoch: 'another-epoch', offset: 3 } });
      const gap = watch(lost);
      await until('not recovered', () => gap.gaps.length === 1);
      expect(gap.gaps[0]).toEqual({
        channel,
        previous: { epoch: 'another-epoch', offset: 3 },
        position: { epoch: first.epoch, offset: first.offset + 1 },
      });
    });
  });

  describe('identity on', () => {
    beforeAll(() =>
      configure({
        [Env.AUTH_ISSUER]: idp.issuer,
        [Env.AUTH_AUDIENCE]: idp.clientId,
        [Env.AUTH_CLOCK_SKEW]: '0',
        [Env.PRIVATE_CHANNELS]: JSON.stringify({ vault: ['alice'] }),
      }),
    );

    it('reconnects with a fresh token before the current one expires, losing nothing', async () => {
      const channel = 'stream-token';
      let tokens = 0;
      const stream = open(channel, {
        // Each token lives 4 s; the stream takes a fresh one 3 s before: every second or so.
        token: () => {
          tokens++;
          return idp.craft({ sub: 'bob', exp: Math.floor(Date.now() / 1000) + 4 });
        },
        tokenRefreshMs: 3000,
      });
      const seen = watch(stream);
      await warm(channel, seen);
      for (let i = 1; i <= 12; i++) {
        await say(channel, `m${i}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await until('the last', () => seen.messages.some((m) => m.data === 'm12'));
      expect(tokens).toBeGreaterThanOrEqual(2);
      const texts = seen.messages.map((m) => m.data).filter((d) => !String(d).startsWith('warm'));
      expect(texts).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
      expect(seen.errors).toEqual([]);
    });

    it('ends with a typed error for a channel the user may not read, and for a token refused twice', async () => {
      const forbidden = open('vault', { token: () => idp.craft({ sub: 'mallory' }) });
      const refused = watch(forbidden);
      await until('forbidden', () => refused.errors.length > 0);
      expect(refused.errors).toEqual([expect.objectContaining({ code: 'forbidden', status: 403 })]);
      expect(forbidden.state).toBe('closed');
      const stale = open('news', { token: () => idp.craft({ exp: Math.floor(Date.now() / 1000) - 60 }) });
      const unauthorized = watch(stale);
      await until('unauthorized', () => unauthorized.errors.length > 0);
      expect(unauthorized.errors).toEqual([expect.objectContaining({ code: 'unauthorized', status: 401 })]);
      const alice = open('vault', { token: () => idp.craft({ sub: 'alice' }), tokenParameter: 'access_token' });
      const allowed = watch(alice);
      await warm('vault', allowed);
      expect(allowed.errors).toEqual([]);
    });
  });
});
