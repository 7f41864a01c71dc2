import { webSocketHandler } from '../../../lambda/aws/websocket-handler';
import { Env } from '../../../lambda/contract';
import { GripConfigError } from '../../../lambda/core/errors';
import {
  chargedState,
  messagesAllowed,
  proxySupportsFlowControl,
  RATE_META,
} from '../../../lambda/core/inbound-limits';
import { WebSocketContext as Context, Transport, type WebSocketContext } from '../../../lambda/core/websocket-context';
import type { WebSocketEventInput } from '../../../lambda/grip/websocket-events';
import { decodeResult, setEnv, useGripEnv, wohEvent } from '../../helpers/grip-events';

useGripEnv(() => 'http://127.0.0.1:9/?verify-iss=pushpin&verify-key=changeme');

/** What Pushpin 1.36 sends (no link:gone) and what 1.41 and later send. */
const FEATURES_1_36 = 'status, session, link:next, filter:skip-self, filter:skip-users, filter:require-sub';
const FEATURES_1_41 = `${FEATURES_1_36}, link:gone, filter:build-id, filter:var-subst`;

describe('flow control detection', () => {
  test('auto: only a proxy listing link:gone (Pushpin 1.41+, with Content-Bytes-Accepted) has it', () => {
    expect(proxySupportsFlowControl({ 'grip-feature': FEATURES_1_36 }, 'auto')).toBe(false);
    expect(proxySupportsFlowControl({ 'grip-feature': FEATURES_1_41 }, 'auto')).toBe(true);
    expect(proxySupportsFlowControl({}, 'auto')).toBe(false);
  });

  test('on and off override the request; another value is a configuration error', () => {
    expect(proxySupportsFlowControl({}, 'on')).toBe(true);
    expect(proxySupportsFlowControl({ 'grip-feature': FEATURES_1_41 }, 'off')).toBe(false);
    const restore = setEnv({ [Env.FLOW_CONTROL]: 'sometimes' });
    try {
      expect(() => proxySupportsFlowControl({})).toThrow(GripConfigError);
    } finally {
      restore();
    }
  });
});

describe('message rate arithmetic', () => {
  const rate = { perSecond: 50, burst: 500 };
  const t = 1_000_000;

  test('a fresh or unreadable state is a full bucket; it refills at the rate', () => {
    expect(messagesAllowed(undefined, rate, t)).toBe(500);
    expect(messagesAllowed('garbage', rate, t)).toBe(500);
    const empty = chargedState(undefined, rate, t, 500);
    expect(messagesAllowed(empty, rate, t)).toBe(0);
    expect(messagesAllowed(empty, rate, t + 1000)).toBe(50);
    expect(messagesAllowed(empty, rate, t + 60_000)).toBe(500);
  });

  test('nothing is stored when nothing was read from a full bucket', () => {
    expect(chargedState(undefined, rate, t, 0)).toBeUndefined();
  });

  test('the state is meta the runtime keeps: user code does not see it, and it comes back changed', () => {
    const restore = setEnv({ [Env.MESSAGE_RATE]: '1', [Env.MESSAGE_BURST]: '2' });
    try {
      const events: WebSocketEventInput[] = ['a', 'b', 'c'].map((content) => ({ type: 'TEXT', content }));
      const ws = contextOf(events, { nick: 'x' });
      expect(ws.meta).toEqual({ nick: 'x' });
      expect([ws.recv(), ws.recv(), ws.canRecv()]).toEqual(['a', 'b', false]);
      expect(ws.closing).toEqual({ code: 1008, reason: 'message rate limit exceeded' });
      expect(Object.keys(ws.metaChanges().set)).toEqual([RATE_META]);
    } finally {
      restore();
    }
  });
});

function contextOf(events: WebSocketEventInput[], meta: Record<string, string> = {}, deadline?: number) {
  return new Context({
    id: 'c',
    transport: Transport.GRIP,
    meta,
    events: events.map((e) => ({
      type: e.type,
      content: typeof e.content === 'string' ? new TextEncoder().encode(e.content) : e.content,
    })),
    deadline,
    flowControl: true,
    finisher: { toResponse: () => undefined, finish: async () => undefined },
  });
}

describe('read deadline', () => {
  test('an empty message after the deadline is still handed out (the proxy would drop it with the accepted bytes)', () => {
    const ws = contextOf(
      [
        { type: 'TEXT', content: 'abc' },
        { type: 'TEXT', content: '' },
        { type: 'TEXT', content: 'later' },
      ],
      {},
      Date.now() - 1,
    );
    const read: string[] = [];
    while (ws.canRecv()) read.push(ws.recv() ?? 'null');
    expect(read).toEqual(['abc', '']);
    expect(ws.limits).toEqual({ refused: 0, deferred: 1, acceptedBytes: 3, flowControl: true });
  });

  const COUNT = 2000;
  const messages = Array.from({ length: COUNT }, (_, i) => `message ${i}`);
  /** A handler slow enough per message (it awaits a timer each time) to meet its deadline long before the end. */
  const slowHandler = (read: string[]) =>
    webSocketHandler(async (ws: WebSocketContext) => {
      while (ws.canRecv()) {
        const text = ws.recv();
        if (text === null) break;
        read.push(text);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });

  async function flood(features: string) {
    const restore = setEnv({ [Env.MESSAGE_RATE]: 'off', [Env.FLOW_CONTROL]: undefined });
    try {
      const read: string[] = [];
      const deadline = Date.now() + 1000;
      const context = { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
      const events: WebSocketEventInput[] = [
        ...messages.map((content) => ({ type: 'TEXT' as const, content })),
        { type: 'CLOSE', content: new Uint8Array([0x03, 0xe8]) },
      ];
      const event = wohEvent('rest-v1', { events, extraHeaders: { 'Grip-Feature': features } });
      const result = decodeResult(await slowHandler(read)(event, context));
      return { result, read, leftMs: deadline - Date.now() };
    } finally {
      restore();
    }
  }

  test('Pushpin 1.41+: what was not read is handed back with Content-Bytes-Accepted, the CLOSE not echoed', async () => {
    const { result, read, leftMs } = await flood(FEATURES_1_41);

    expect(read.length).toBeGreaterThan(0);
    expect(read.length).toBeLessThan(COUNT);
    expect(read).toEqual(messages.slice(0, read.length));
    const bytes = read.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    expect(result.headers['Content-Bytes-Accepted']).toBe(String(bytes));
    expect(result.events).toEqual([]);
    expect(leftMs).toBeGreaterThan(0);
  });

  test('Pushpin 1.36: what was read is kept and the connection closed with 1013 (never a late answer)', async () => {
    const { result, read, leftMs } = await flood(FEATURES_1_36);

    expect(read.length).toBeGreaterThan(0);
    expect(read.length).toBeLessThan(COUNT);
    expect(read).toEqual(messages.slice(0, read.length));
    expect(result.headers['Content-Bytes-Accepted']).toBeUndefined();
    expect(result.events).toEqual(['CLOSE:1013:try again later: too many messages for one request']);
    expect(leftMs).toBeGreaterThan(0);
  });
});
