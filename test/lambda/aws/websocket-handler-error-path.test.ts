/**
 * The error path of webSocketHandler on GRIP must itself never throw: whatever made the answer impossible (meta the
 * request came with over the size caps, a batch whose PONG answers exceed the proxy's body limit), the invocation
 * answers with a close 1011 (OPEN first on an opening request) instead of failing, which would make the proxy drop
 * the client without a close code.
 */

import { webSocketHandler } from '../../../lambda/aws/websocket-handler';
import type { WebSocketContext } from '../../../lambda/core/websocket-context';
import { captureConsole, decodeResult, SHAPES, useGripEnv, wohEvent } from '../../helpers/grip-events';

useGripEnv(() => 'http://127.0.0.1:9/?verify-iss=pushpin&verify-key=changeme');

beforeEach(() => {
  captureConsole();
});

const OVERSIZED_META = { big: 'x'.repeat(2000), other: 'y'.repeat(900) };
const A_MESSAGE = [{ type: 'TEXT' as const, content: 'hi' }];
/**
 * 9,009 PINGs of 100 bytes: a 999,999-byte request, just under the 1,000,000-byte limit; its PONG answers alone fill
 * the response, so one more event (a message, the CLOSE of the error path) puts it over the proxy's limit.
 */
const PING_FLOOD = Array.from({ length: 9009 }, () => ({ type: 'PING' as const, content: 'p'.repeat(100) }));

const CASES = [
  [
    'meta received over the size caps, the handler does nothing',
    { metaHeaders: OVERSIZED_META, events: A_MESSAGE },
    () => undefined,
  ],
  [
    'meta received over the size caps, the handler throws',
    { metaHeaders: OVERSIZED_META, events: A_MESSAGE },
    () => {
      throw new Error('boom');
    },
  ],
  [
    'a 1 MB batch of PINGs, the handler sends one message (PONGs and message over the body limit)',
    { events: PING_FLOOD },
    (ws: WebSocketContext) => ws.send('hi'),
  ],
  [
    'a 1 MB batch of PINGs, the handler throws',
    { events: PING_FLOOD },
    () => {
      throw new Error('boom');
    },
  ],
] as const;

describe.each(SHAPES)('%s events', (shape) => {
  test.each(CASES)('%s: answers CLOSE 1011, never fails', async (_name, init, fn) => {
    const handler = webSocketHandler(fn);

    const result = decodeResult(await handler(wohEvent(shape, { connectionId: 'c-err', ...init })));

    expect(result.statusCode).toBe(200);
    expect(result.events).toEqual(['CLOSE:1011:internal error']);
    expect(Object.keys(result.headers).filter((h) => h.toLowerCase().startsWith('set-meta-'))).toEqual([]);
  });

  test('on an opening request with meta over the caps: OPEN then CLOSE 1011', async () => {
    const handler = webSocketHandler((ws) => {
      ws.accept();
    });

    const result = decodeResult(
      await handler(wohEvent(shape, { events: [{ type: 'OPEN' }], metaHeaders: OVERSIZED_META })),
    );

    expect(result.statusCode).toBe(200);
    expect(result.events).toEqual(['OPEN', 'CLOSE:1011:internal error']);
    expect(result.headers['Sec-WebSocket-Extensions']).toBe('grip');
  });
});
