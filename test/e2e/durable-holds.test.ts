/**
 * Durable channels for HTTP holds through a real Pushpin with the channel log in dynalite: Server-Sent Events whose
 * ids are positions, a stream reopened with `Last-Event-ID` that gets exactly what it missed, a publish the proxy
 * missed filled by the proxy itself through the next link, and long-polls that read from an offset.
 */

import {
  describeWithPushpin,
  E2E_START_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  type E2eEnv,
  startE2eEnv,
} from '../helpers/e2e-env';
import { E2eHttpResponse } from '../helpers/e2e-http-client';
import { type HoldRuntime, holdRouter, loadHoldRuntime } from '../helpers/hold-runtime';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** The `id: ` lines of an SSE body, in order. */
const ids = (body: string) => [...body.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
const datas = (body: string) => [...body.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);

describeWithPushpin('durable channels for SSE and long-polls through Pushpin', () => {
  let env: E2eEnv;
  let rt: HoldRuntime;
  let base: string;
  const open: E2eHttpResponse[] = [];

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
    rt = loadHoldRuntime();
    env.slot.current = holdRouter(() => rt);
    base = env.grip!.pushpin.httpUrl;
  }, E2E_START_TIMEOUT_MS);
  afterEach(() => {
    for (const r of open.splice(0)) r.close();
  });
  afterAll(async () => {
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  const get = async (path: string, headers: Record<string, string> = {}, timeoutMs?: number) => {
    const response = await E2eHttpResponse.get(`${base}${path}`, headers, timeoutMs);
    open.push(response);
    return response;
  };
  const say = (channel: string, text: string) => rt.publish(channel, new rt.WebSocketMessageFormat(text));

  /** Opens an SSE stream and publishes until its first event arrives (Pushpin subscribes a hold asynchronously). */
  async function openStream(channel: string, headers: Record<string, string> = {}) {
    const stream = await get(`/stream/${channel}`, { Accept: 'text/event-stream', ...headers });
    await stream.waitForText(': stream opened\n\n');
    return stream;
  }

  it('events carry their position; a stream reopened with Last-Event-ID gets exactly what it missed, then live', async () => {
    const channel = 'sse-resume';
    const stream = await openStream(channel);
    let first = 0;
    for (let i = 1; i <= 10 && first === 0; i++) {
      await say(channel, `m${i}`);
      await stream.waitForText(`data: m${i}\n`, 2000).then(
        () => (first = i),
        () => undefined,
      );
    }
    expect(first).toBeGreaterThan(0);
    await say(channel, 'before the cut');
    await stream.waitForText('data: before the cut\n');
    // The stream opened with an id-only event at the head (an empty channel's: `:0`), then the messages' ids.
    const [opening, ...seen] = ids(stream.body);
    expect(opening).toBe(':0');
    const [epoch] = seen[0].split(':');
    expect(seen.map((id) => Number(id.split(':')[1]))).toEqual(
      Array.from({ length: seen.length }, (_, i) => first + i),
    );
    stream.close();

    for (const text of ['missed 1', 'missed 2', 'missed 3']) await say(channel, text);
    const reopened = await openStream(channel, { 'Last-Event-ID': seen.at(-1) as string });
    await reopened.waitForText('data: missed 3\n');
    await say(channel, 'live again');
    await reopened.waitForText('data: live again\n');

    expect(datas(reopened.body)).toEqual(['missed 1', 'missed 2', 'missed 3', 'live again']);
    const last = Number((seen.at(-1) as string).split(':')[1]);
    expect(ids(reopened.body)).toEqual([1, 2, 3, 4].map((n) => `${epoch}:${last + n}`));
  });

  it('a publish the proxy never got is filled by the proxy through the next link (Grip-Last)', async () => {
    const channel = 'sse-gap';
    const stream = await openStream(channel);
    let first = 0;
    for (let i = 1; i <= 10 && first === 0; i++) {
      await say(channel, `warm ${i}`);
      await stream.waitForText(`data: warm ${i}\n`, 2000).then(
        () => (first = i),
        () => undefined,
      );
    }
    // Appended to the log but never published: the proxy's next item has a prev-id it did not see.
    const lost = await rt.channelLog().append(channel, 'never published');
    await say(channel, 'after the gap');

    await stream.waitForText('data: after the gap\n', 15_000);
    const tail = datas(stream.body).slice(datas(stream.body).indexOf(`warm ${first}`));
    expect(tail).toEqual([`warm ${first}`, 'never published', 'after the gap']);
    expect(ids(stream.body)).toContain(`${lost.epoch}:${lost.offset}`);
  });

  it('a stream reopened with an id of another epoch is told it was not recovered, with the current position', async () => {
    const channel = 'sse-epoch';
    const published = await say(channel, 'one');
    const stream = await openStream(channel, { 'Last-Event-ID': 'other-epoch:5' });
    await stream.waitForText('event: not-recovered\n');
    expect(stream.body).toContain(`id: ${published.epoch}:${published.offset}\n`);
    expect(stream.body).toContain(`data: {"channel":"${channel}","offset":1,"epoch":"${published.epoch}"}`);
    const bad = await get(`/stream/${channel}`, { Accept: 'text/event-stream', 'Last-Event-ID': 'not a position' });
    await bad.waitForEnd();
    expect(bad.status).toBe(400);
  });

  it('long-poll after=: newer messages at once; otherwise held until the next; another epoch is not recovered', async () => {
    const channel = 'poll-after';
    const one = await say(channel, 'one');
    await say(channel, 'two');

    const atOnce = await get(`/poll/${channel}?after=0&epoch=`);
    await atOnce.waitForEnd();
    expect(JSON.parse(atOnce.body)).toEqual({
      fg: 1,
      channel,
      recovered: true,
      epoch: one.epoch,
      offset: 2,
      messages: [
        { offset: 1, data: 'one' },
        { offset: 2, data: 'two' },
      ],
    });

    let released: E2eHttpResponse | undefined;
    const held = E2eHttpResponse.get(`${base}/poll/${channel}?after=2&epoch=${one.epoch}`, {}, 30_000).then((r) => {
      open.push(r);
      released = r;
      return r;
    });
    let third: Awaited<ReturnType<typeof say>> | undefined;
    for (let i = 0; i < 10 && released === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (released === undefined && third === undefined) third = await say(channel, 'three');
      if (released === undefined && i === 6) await say(channel, 'four');
    }
    const response = await held;
    await response.waitForEnd();
    const body = JSON.parse(response.body);
    expect(body.messages[0]).toEqual({ offset: 3, data: 'three' });

    const stale = await get(`/poll/${channel}?after=1&epoch=another`);
    await stale.waitForEnd();
    expect(JSON.parse(stale.body)).toMatchObject({ recovered: false, epoch: one.epoch, messages: [] });
  });
});
