/**
 * Durable channels end to end, through the parts `npm start` runs (a real Pushpin, the API Gateway WebSocket
 * emulator, dynalite) and the chat handler, with clients of `faas-grip-cdk/client` on both transports in one room.
 * A fault-injecting TCP proxy between the clients and each transport resets every connection (no close frame) at
 * random moments and keeps it down for up to 10 seconds, as a publisher sends 2,000 numbered messages over three
 * channels: every client ends with every message exactly once, in offset order.
 */
import WebSocket from 'ws';
import { ChannelClient, type ChannelMessage, type NotRecovered } from '../../client';
import { resetContainer } from '../../lambda/core/container';
import { publish } from '../../lambda/core/publish';
import { WebSocketMessageFormat } from '../../lambda/grip/formats';
import { describeWithPushpin, E2E_START_TIMEOUT_MS, type E2eEnv, startE2eEnv } from '../helpers/e2e-env';
import { FaultProxy } from '../helpers/fault-proxy';
import { until as waitUntil } from '../helpers/until';

const until = (what: string, check: () => boolean, timeoutMs = 30_000) => waitUntil(what, check, timeoutMs);

jest.setTimeout(120_000);

const CHANNELS = ['dur-a', 'dur-b', 'dur-c'];
/** Messages the cut test publishes over the three channels. */
const MESSAGES = 2000;
/** Longest time a cut transport stays down. */
const MAX_OFFLINE_MS = 10_000;

/** A client and what it received, per channel. */
interface Recorded {
  readonly name: string;
  readonly client: ChannelClient;
  readonly received: Map<string, ChannelMessage[]>;
  readonly notRecovered: NotRecovered[];
  readonly states: string[];
}

function record(name: string, url: string, channels = CHANNELS, subscribe = true): Recorded {
  const client = new ChannelClient(url, {
    WebSocket: WebSocket as never,
    minReconnectDelayMs: 50,
    maxReconnectDelayMs: 800,
    gapWaitMs: 300,
    heartbeatMs: 0,
  });
  const recorded: Recorded = { name, client, received: new Map(), notRecovered: [], states: [] };
  client.on('message', (m) => {
    const list = recorded.received.get(m.channel) ?? [];
    list.push(m);
    recorded.received.set(m.channel, list);
  });
  client.on('notRecovered', (r) => recorded.notRecovered.push(r));
  client.on('state', (s) => recorded.states.push(s));
  if (subscribe) for (const channel of channels) client.subscribe(channel);
  return recorded;
}

function subscribedAll(client: ChannelClient, channels: readonly string[]): Promise<void> {
  const pending = new Set(channels);
  return new Promise((resolve) => {
    const stop = client.on('subscribed', (s) => {
      pending.delete(s.channel);
      if (pending.size === 0) {
        stop();
        resolve();
      }
    });
  });
}

describeWithPushpin('durable channels: history and gap-free resume on both transports', () => {
  let env: E2eEnv;
  let gripProxy: FaultProxy;
  let nativeProxy: FaultProxy;
  const clients: Recorded[] = [];

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
    resetContainer();
    const grip = new URL(env.grip?.wsUrl as string);
    const native = new URL(env.native?.wsUrl as string);
    gripProxy = await FaultProxy.start(grip.hostname, Number(grip.port));
    nativeProxy = await FaultProxy.start(native.hostname, Number(native.port));
  }, E2E_START_TIMEOUT_MS);

  afterAll(async () => {
    for (const c of clients.splice(0)) c.client.close();
    await gripProxy?.stop();
    await nativeProxy?.stop();
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  const gripUrl = () => gripProxy.via(`${env.grip?.wsUrl}/chat`);
  const nativeUrl = () => nativeProxy.via(env.native?.wsUrl as string);

  it('cut at random and kept offline, every client gets every message once and in offset order', async () => {
    const started = [
      record('grip-1', gripUrl()),
      record('grip-2', gripUrl()),
      record('native-1', nativeUrl()),
      record('native-2', nativeUrl()),
    ];
    clients.push(...started);
    await Promise.all(started.map((c) => subscribedAll(c.client, CHANNELS)));

    // Each transport's connections cut three times at random moments: down up to 2 s twice, then 5 to 10 s; each
    // cut waits until the clients are back from the last one.
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const cuts = async (proxy: FaultProxy) => {
      for (const down of [Math.random() * 2000, Math.random() * 2000, 5000 + Math.random() * (MAX_OFFLINE_MS - 5000)]) {
        await pause(300 + Math.random() * 1500);
        proxy.offline(down);
        await pause(down + 1500);
      }
    };
    const chaos = Promise.all([cuts(gripProxy), cuts(nativeProxy)]);
    const sent: Record<string, number[]> = Object.fromEntries(CHANNELS.map((c) => [c, []]));
    for (let i = 1; i <= MESSAGES; i++) {
      const channel = CHANNELS[i % CHANNELS.length];
      const result = await publish(channel, new WebSocketMessageFormat(`n${i}`));
      sent[channel].push(i);
      expect(result.offset).toBe(sent[channel].length);
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await chaos;

    // Both clients of each transport were cut three times.
    expect(gripProxy.cuts).toBeGreaterThanOrEqual(6);
    expect(nativeProxy.cuts).toBeGreaterThanOrEqual(6);
    await until(
      'every client to have every message',
      () => started.every((c) => CHANNELS.every((ch) => (c.received.get(ch)?.length ?? 0) >= sent[ch].length)),
      60_000,
    );
    for (const c of started) {
      for (const channel of CHANNELS) {
        const got = c.received.get(channel) ?? [];
        expect({ client: c.name, channel, offsets: got.map((m) => m.offset) }).toEqual({
          client: c.name,
          channel,
          offsets: sent[channel].map((_, i) => i + 1),
        });
        expect(got.map((m) => m.data)).toEqual(sent[channel].map((i) => `n${i}`));
      }
      expect(c.notRecovered).toEqual([]);
      expect(c.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3);
    }
    gripProxy.online();
    nativeProxy.online();
  });

  it('a page opened later gets the recent history, then live messages, on either transport', async () => {
    const channel = 'dur-late';
    for (let i = 1; i <= 8; i++) await publish(channel, new WebSocketMessageFormat(`early ${i}`));
    const late = [record('late-grip', gripUrl(), [], false), record('late-native', nativeUrl(), [], false)];
    clients.push(...late);
    for (const c of late) c.client.subscribe(channel, { recent: 3 });
    await Promise.all(late.map((c) => subscribedAll(c.client, [channel])));
    await publish(channel, new WebSocketMessageFormat('live 9'));

    for (const c of late) {
      await until(`${c.name} to get the live message`, () => (c.received.get(channel)?.length ?? 0) >= 4);
      expect(c.received.get(channel)?.map((m) => [m.offset, m.data])).toEqual([
        [6, 'early 6'],
        [7, 'early 7'],
        [8, 'early 8'],
        [9, 'live 9'],
      ]);
      const page = await c.client.history(channel, { limit: 2, before: 5 });
      expect(page.messages.map((m) => m.data)).toEqual(['early 4', 'early 3']);
      expect(page.next).toBe(3);
    }
  });

  it('a position of another epoch is not recovered: the client is told, with the current position', async () => {
    const channel = 'dur-epoch';
    const first = await publish(channel, new WebSocketMessageFormat('one'));
    const stale = [record('stale-grip', gripUrl(), [], false), record('stale-native', nativeUrl(), [], false)];
    clients.push(...stale);
    for (const c of stale) c.client.subscribe(channel, { position: { offset: 0, epoch: 'gone-epoch' } });
    for (const c of stale) {
      await until(`${c.name} to be told`, () => c.notRecovered.length > 0);
      expect(c.notRecovered[0]).toEqual({
        channel,
        previous: { offset: 0, epoch: 'gone-epoch' },
        position: { offset: 1, epoch: first.epoch },
      });
    }
    await publish(channel, new WebSocketMessageFormat('two'));
    for (const c of stale) {
      await until(`${c.name} to go on live`, () => (c.received.get(channel)?.length ?? 0) >= 1);
      expect(c.received.get(channel)?.map((m) => [m.offset, m.data])).toEqual([[2, 'two']]);
    }
  });
});
