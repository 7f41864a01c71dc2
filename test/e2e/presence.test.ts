/**
 * Presence end to end through the parts `npm start` runs (a real Pushpin, the API Gateway WebSocket emulator,
 * dynalite) and the chat handler, with clients of `faas-grip-cdk/client` on both transports in one channel, each
 * behind its own fault-injecting TCP proxy. 20 join; 5 close cleanly and leave at once; 5 go silent (nothing passes
 * either way, nothing is closed) and leave within the bound; the rest stay. Counts always equal the listed members,
 * and every remaining client saw a leave event for each of the 10. The presence timeout is 3 s and the clients'
 * heartbeat 1 s, so the bound is 3 + max(1, 3/3) = 4 s.
 */
import WebSocket from 'ws';
import { ChannelClient } from '../../client';
import { Env } from '../../lambda/contract';
import { resetContainer } from '../../lambda/core/container';
import { describeWithPushpin, E2E_START_TIMEOUT_MS, type E2eEnv, startE2eEnv } from '../helpers/e2e-env';
import { FaultProxy } from '../helpers/fault-proxy';
import { setEnv } from '../helpers/grip-events';

jest.setTimeout(90_000);

const BOUND_MS = 4_000;

interface Member {
  readonly client: ChannelClient;
  readonly proxy: FaultProxy;
  readonly left: Set<string>;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithPushpin('presence on both transports, through the chat', () => {
  let env: E2eEnv;
  let restore = () => {};
  const all: Member[][] = [];
  // The runtime as a function of the stack would use it, for presence() and presenceStats().
  let presence: typeof import('../../lambda/channels/presence');

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
    restore = setEnv({ [Env.PRESENCE_TIMEOUT]: '3' });
    resetContainer();
    env.useChatHandler();
    presence = await import('../../lambda/channels/presence');
  }, E2E_START_TIMEOUT_MS);

  afterAll(async () => {
    for (const m of all.splice(0).flat()) {
      m.client.close();
      await m.proxy.stop();
    }
    restore();
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  const listed = async (CHANNEL: string) => {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await presence.presence(CHANNEL, { limit: 7, pageToken });
      ids.push(...page.members.map((m) => m.connectionId));
      pageToken = page.next ?? undefined;
    } while (pageToken !== undefined);
    return ids.sort();
  };
  /**
   * The member count when it equals the number of listed members (read before and after the list, unchanged);
   * -1 while members are still coming and going (a join writes its member before its counters).
   */
  const count = async (CHANNEL: string) => {
    const before = await presence.presenceStats(CHANNEL);
    const ids = await listed(CHANNEL);
    const after = await presence.presenceStats(CHANNEL);
    return before.members === after.members && after.members === ids.length ? after.members : -1;
  };

  it.each([['grip'], ['native'], ['mixed']])(
    '%s: 20 join; 5 close and leave at once; 5 go silent and leave within the bound; the rest saw every leave',
    async (mode) => {
      const CHANNEL = `pres-${mode}`;
      const gripUrl = `${env.grip?.wsUrl}/chat`;
      const nativeUrl = env.native?.wsUrl as string;
      const members: Member[] = [];
      all.push(members);
      for (let i = 0; i < 20; i++) {
        const url = mode === 'grip' ? gripUrl : mode === 'native' ? nativeUrl : i % 2 === 0 ? gripUrl : nativeUrl;
        const target = new URL(url);
        const proxy = await FaultProxy.start(target.hostname, Number(target.port));
        const client = new ChannelClient(proxy.via(url), {
          WebSocket: WebSocket as never,
          heartbeatMs: 1000,
          heartbeatTimeoutMs: 60_000, // a silent client does not notice: the server side must
          minReconnectDelayMs: 100,
        });
        const member: Member = { client, proxy, left: new Set() };
        client.on('presence', (e) => {
          if (e.type === 'leave') member.left.add(e.member.connectionId);
        });
        client.subscribe(CHANNEL);
        members.push(member);
      }
      await until('20 members', async () => (await count(CHANNEL)) === 20, 20_000);
      const everyone = await listed(CHANNEL);
      expect(new Set(everyone).size).toBe(20);

      const closing = members.slice(0, 5);
      const silent = members.slice(5, 10);
      const staying = members.slice(10);

      for (const m of closing) m.client.close();
      await until('the 5 that closed to leave', async () => (await count(CHANNEL)) === 15, 2_000);

      for (const m of silent) m.proxy.silence();
      await until('the 5 silent ones to leave', async () => (await count(CHANNEL)) === 10, BOUND_MS + 2_000);

      const remaining = await listed(CHANNEL);
      const gone = everyone.filter((id) => !remaining.includes(id));
      expect(gone).toHaveLength(10);
      for (const m of staying) {
        await until('every leave event', () => gone.every((id) => m.left.has(id)), 5_000);
      }
      expect((await presence.presenceStats(CHANNEL)).users).toBe(10); // anonymous connections: one user each
    },
  );
});
