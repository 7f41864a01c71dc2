/**
 * Requests forged THROUGH the proxy: a plain HTTP client (no WebSocket) POSTs WebSocket-over-HTTP events to Pushpin's
 * client port with its own Connection-Id and Meta-* headers. Pushpin refuses such a request (403) only when the
 * Content-Type, cut at the first `;`, is exactly `application/websocket-events`; any other spelling it forwards like
 * any HTTP request, signed with a genuine Grip-Sig. The runtime must therefore accept as WebSocket-over-HTTP only the
 * exact bytes the proxy itself sends, so no variant runs user code or shows the forger a handler's answer, while a
 * genuine WebSocket client through the same Pushpin still works.
 */
import type { LambdaHandler } from '../../local/apigw-websocket/lambda-context';
import {
  describeWithPushpin,
  E2E_START_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  type E2eEnv,
  EVENT_SHAPES,
  startE2eEnv,
} from '../helpers/e2e-env';
import { frame, freshWebSocketHandler, postWebSocketEvents } from '../helpers/e2e-grip-tools';
import { E2eClient, terminateAll } from '../helpers/e2e-ws-client';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** What the handler answers; a forger must never read it. */
const SECRET_ANSWER = 'handler-answer-for-the-connection';

/** Content-Type spellings a forger may send; none is what the proxy sends. */
const VARIANTS: readonly string[] = [
  'Application/WebSocket-Events',
  'APPLICATION/WEBSOCKET-EVENTS',
  'application/WEBSOCKET-events',
  'application/websocket-events; charset=utf-8',
  'application/websocket-events;charset=utf-8',
  'application/websocket-events ; charset=utf-8',
  'application/websocket-events ;',
  'application/websocket-events;',
  'application/websocket-events\t',
  'application/websocket-events , text/plain',
  'Application/WebSocket-Events; charset=utf-8',
  'text/plain, application/websocket-events',
];

describeWithPushpin('WebSocket-over-HTTP forged through Pushpin', () => {
  describe.each(EVENT_SHAPES)('with %s events', (shape) => {
    let env: E2eEnv;
    const clients: E2eClient[] = [];
    /** Connection ids user code ran with. */
    const ran: string[] = [];
    /** Connection ids of requests that reached the function (whatever it answered). */
    const reached: string[] = [];

    beforeAll(async () => {
      env = await startE2eEnv({ kind: 'grip', shape });
      const handler = freshWebSocketHandler((ws) => {
        ran.push(ws.id);
        if (ws.isOpening()) ws.accept();
        while (ws.canRecv()) {
          const message = ws.recv();
          if (message === null) break;
          ws.send(`${SECRET_ANSWER} ${ws.meta.user ?? ''}: ${message}`);
        }
      });
      env.slot.current = ((event: { headers?: Record<string, string> | null }, context: never) => {
        for (const [name, value] of Object.entries(event.headers ?? {})) {
          if (name.toLowerCase() === 'connection-id') reached.push(value);
        }
        return handler(event as never, context);
      }) as LambdaHandler;
    }, E2E_START_TIMEOUT_MS);
    afterAll(async () => {
      terminateAll(clients.splice(0));
      await env?.stop();
    }, E2E_START_TIMEOUT_MS);

    test.each(VARIANTS.map((contentType, i) => [JSON.stringify(contentType), contentType, i] as const))(
      'Content-Type %s: user code never runs and the forger reads no answer',
      async (_name, contentType, i) => {
        const connectionId = `forged-${shape}-${i}`;
        const body = frame('OPEN') + frame('TEXT', 'hello');
        const answer = await postWebSocketEvents(`${env.grip!.pushpin.httpUrl}/chat`, body, {
          'Content-Type': contentType,
          'Connection-Id': connectionId,
          'Meta-User': 'admin',
        });

        expect(ran).not.toContain(connectionId);
        expect(answer.body).not.toContain(SECRET_ANSWER);
        expect(answer.headers['content-type']).not.toBe('application/websocket-events');
        // Either Pushpin refused it itself (403), or it forwarded it and the runtime refused it (400).
        const forwarded = reached.includes(connectionId);
        expect({ contentType, status: answer.status }).toEqual({ contentType, status: forwarded ? 400 : 403 });
      },
    );

    test('the exact type is refused by Pushpin itself (the guard the variants slip past)', async () => {
      const answer = await postWebSocketEvents(`${env.grip!.pushpin.httpUrl}/chat`, frame('OPEN'), {
        'Connection-Id': `forged-${shape}-exact`,
      });
      expect(answer.status).toBe(403);
      expect(reached).not.toContain(`forged-${shape}-exact`);
    });

    test('a genuine WebSocket client through the same Pushpin still works', async () => {
      const client = await E2eClient.connect('genuine', `${env.grip!.wsUrl}/chat`);
      clients.push(client);
      client.send('hi');
      await client.expect(`${SECRET_ANSWER} : hi`);
      expect(ran.some((id) => !id.startsWith('forged-'))).toBe(true);
    });
  });
});
