import { E2E_WAIT_MS, type E2eClient, terminateAll } from './e2e-ws-client';

/** Opens one chat client (through Pushpin, the native emulator, ...). */
export type ChatConnect = (name: string) => Promise<E2eClient>;

/** Per-attempt wait of a subscription probe, and how many probes are sent before giving up. */
const PROBE_WAIT_MS = 1_000;
const PROBE_ATTEMPTS = 10;
const PROBE = /: sync#\d+$/;

let probeCounter = 0;

/**
 * Waits until a channel's subscriptions are live: `sender` sends probe messages until every receiver got
 * the same one. GRIP proxies apply a subscribe asynchronously (a publish right after the handshake or a
 * `/join` can miss the new subscriber), so the scenario probes after each subscription change; each probe
 * is bounded and the probes are left out of the exact transcript comparison at the end.
 */
export async function awaitChannel(sender: E2eClient, nick: string, receivers: readonly E2eClient[]): Promise<void> {
  for (let attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++) {
    probeCounter += 1;
    const probe = `sync#${probeCounter}`;
    const expected = `${nick}: ${probe}`;
    sender.send(probe);
    const results = await Promise.allSettled(receivers.map((r) => r.skipUntil(expected, PROBE_WAIT_MS)));
    if (results.every((r) => r.status === 'fulfilled')) return;
  }
  const names = receivers.map((r) => r.name).join(', ');
  throw new Error(
    `no probe from ${sender.name} (nick ${nick}) reached all of [${names}] after ${PROBE_ATTEMPTS} tries`,
  );
}

/** What a client received, without the subscription probes. */
export function transcript(client: E2eClient): string[] {
  return client.received.filter((m) => !PROBE.test(m));
}

/**
 * The chat scenario both transports must pass with the same assertions: three clients, nick replies to the
 * sender only (an emoji and an accented nick included), broadcasts that reach every subscriber with the exact
 * text `<nick>: <text>` (sender included), `/join` moving a client to another channel, and isolation between
 * channels. Each client's full transcript is compared exactly at the end, so a leaked or duplicated message
 * fails the scenario.
 */
export async function runChatScenario(connect: ChatConnect): Promise<void> {
  const clients: E2eClient[] = [];
  try {
    const alice = await connect('alice');
    clients.push(alice);
    const fox = await connect('fox');
    clients.push(fox);
    const zoe = await connect('zoe');
    clients.push(zoe);
    const all = [alice, fox, zoe];

    // Everybody is in `room` and anonymous until a nick is set.
    await awaitChannel(alice, 'anonymous', all);

    await alice.nick('Alice');
    await fox.nick('🦊');
    await zoe.nick('Zoë');

    alice.send('hello everyone');
    for (const c of all) await c.expect('Alice: hello everyone');
    fox.send('hi from the fox');
    for (const c of all) await c.expect('🦊: hi from the fox');
    zoe.send('multi\r\nline ✓ 日本');
    for (const c of all) await c.expect('Zoë: multi\r\nline ✓ 日本');

    // Zoë moves to `side`: room and side no longer hear each other.
    await zoe.join('side');
    await awaitChannel(zoe, 'Zoë', [zoe]);
    alice.send('still in room');
    await alice.expect('Alice: still in room');
    await fox.expect('Alice: still in room');
    zoe.send('only side hears this');
    await zoe.expect('Zoë: only side hears this');

    // The fox follows; Alice is alone in room.
    await fox.join('side');
    await awaitChannel(fox, '🦊', [fox, zoe]);
    fox.send('fox moved');
    await fox.expect('🦊: fox moved');
    await zoe.expect('🦊: fox moved');
    alice.send('anyone?');
    await alice.expect('Alice: anyone?');

    // Alice joins too; one last broadcast is the barrier for the transcript check.
    await alice.join('side');
    await awaitChannel(alice, 'Alice', all);
    alice.send('bye');
    for (const c of all) await c.expect('Alice: bye');

    expect(transcript(alice)).toEqual([
      'nickname set to [Alice]',
      'Alice: hello everyone',
      '🦊: hi from the fox',
      'Zoë: multi\r\nline ✓ 日本',
      'Alice: still in room',
      'Alice: anyone?',
      'joined [side]',
      'Alice: bye',
    ]);
    expect(transcript(fox)).toEqual([
      'nickname set to [🦊]',
      'Alice: hello everyone',
      '🦊: hi from the fox',
      'Zoë: multi\r\nline ✓ 日本',
      'Alice: still in room',
      'joined [side]',
      '🦊: fox moved',
      'Alice: bye',
    ]);
    expect(transcript(zoe)).toEqual([
      'nickname set to [Zoë]',
      'Alice: hello everyone',
      '🦊: hi from the fox',
      'Zoë: multi\r\nline ✓ 日本',
      'joined [side]',
      'Zoë: only side hears this',
      '🦊: fox moved',
      'Alice: bye',
    ]);
  } finally {
    terminateAll(clients);
  }
}

/** The bound a whole scenario gets (jest timeout), for the test files. */
export const SCENARIO_TIMEOUT_MS = 20 * E2E_WAIT_MS;
