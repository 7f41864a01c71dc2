/**
 * The pipeline's identity step through webSocketHandler, without a network: it fails closed when identity cannot
 * be checked (unsigned GRIP requests, settings that cannot be used), refuses an opening request without a token
 * (401, user code not run), closes a later event without a user (4401), and lets closing events through.
 */
import { webSocketHandler } from '../../../lambda/aws/websocket-handler';
import { Env } from '../../../lambda/contract';
import { resetContainer } from '../../../lambda/core/container';
import { captureConsole, decodeResult, SIG_KEY, setEnv, wohEvent } from '../../helpers/grip-events';

const ran: string[] = [];
const handler = webSocketHandler(async (ws) => {
  ran.push(ws.inbound[0]?.type ?? 'none');
  if (ws.isOpening()) ws.accept();
  while (ws.canRecv()) if (ws.recv() === null) break;
});

let restore = () => {};
beforeEach(() => {
  ran.length = 0;
  captureConsole();
  restore = setEnv({
    [Env.GRIP_URL]: `http://127.0.0.1:9/?verify-key=${SIG_KEY}`,
    [Env.AUTH_ISSUER]: 'http://127.0.0.1:9/issuer',
    [Env.GRIP_SIG_VERIFY]: undefined,
  });
  resetContainer();
});
afterEach(() => restore());

it('refuses an opening request without a token with 401, before user code', async () => {
  const result = decodeResult(await handler(wohEvent('rest-v1')));
  expect(result.statusCode).toBe(401);
  expect(result.bodyText).toMatch(/unauthorized: no token/);
  expect(ran).toEqual([]);
});

it('closes a later event of a connection without a verified user with 4401', async () => {
  const result = decodeResult(
    await handler(wohEvent('rest-v1', { events: [{ type: 'TEXT', content: Buffer.from('hi') }] })),
  );
  expect(result.events).toEqual(['CLOSE:4401:not authenticated']);
  expect(ran).toEqual([]);
});

it("lets a closing event reach the user's clean-up", async () => {
  const result = decodeResult(await handler(wohEvent('rest-v1', { events: [{ type: 'CLOSE' }] })));
  expect(result.statusCode).toBe(200);
  expect(ran).toEqual(['CLOSE']);
});

it('fails closed on unsigned GRIP requests (GRIP_SIG_VERIFY=off): 500, user code not run', async () => {
  restore();
  restore = setEnv({
    [Env.GRIP_URL]: 'http://127.0.0.1:9/',
    [Env.GRIP_SIG_VERIFY]: 'off',
    [Env.AUTH_ISSUER]: 'http://127.0.0.1:9/issuer',
  });
  resetContainer();
  const result = decodeResult(await handler(wohEvent('rest-v1', { sig: null })));
  expect(result.statusCode).toBe(500);
  expect(ran).toEqual([]);
});

it('fails closed on settings that cannot be used', async () => {
  process.env[Env.AUTH_CLOCK_SKEW] = 'lots';
  try {
    const result = decodeResult(await handler(wohEvent('rest-v1')));
    expect(result.statusCode).toBe(500);
    expect(ran).toEqual([]);
  } finally {
    delete process.env[Env.AUTH_CLOCK_SKEW];
  }
});
