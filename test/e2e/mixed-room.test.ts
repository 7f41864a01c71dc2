/**
 * One room across both transports: a client through Pushpin (GRIP, REST API front door) and a client of the
 * API Gateway WebSocket emulator (native) talk to the same chat handler, whose configuration holds both a GRIP_URL
 * and a connection table; every publish goes to the GRIP proxy and to the native subscribers.
 */
import { awaitChannel, transcript } from '../helpers/e2e-chat-scenario';
import {
  describeWithPushpin,
  E2E_START_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  type E2eEnv,
  startE2eEnv,
} from '../helpers/e2e-env';
import { E2eClient, terminateAll } from '../helpers/e2e-ws-client';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

describeWithPushpin('one room across GRIP and native', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'both', shape: 'rest-v1' });
  }, E2E_START_TIMEOUT_MS);
  afterAll(async () => {
    terminateAll(clients.splice(0));
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  it('lets a GRIP client and a native client see each other, in room and after /join', async () => {
    const grip = await E2eClient.connect('grip', `${env.grip!.wsUrl}/chat`);
    clients.push(grip);
    const native = await E2eClient.connect('native', env.native!.wsUrl);
    clients.push(native);
    const both = [grip, native];

    await awaitChannel(native, 'anonymous', both);
    await grip.nick('🦊 via Pushpin');
    await native.nick('Zoë via API Gateway');

    grip.send('hello from GRIP');
    for (const c of both) await c.expect('🦊 via Pushpin: hello from GRIP');
    native.send('hello from native');
    for (const c of both) await c.expect('Zoë via API Gateway: hello from native');

    await native.join('side');
    grip.send('room only');
    await grip.expect('🦊 via Pushpin: room only');
    native.send('side only');
    await native.expect('Zoë via API Gateway: side only');

    await grip.join('side');
    await awaitChannel(grip, '🦊 via Pushpin', both);
    native.send('together again');
    for (const c of both) await c.expect('Zoë via API Gateway: together again');

    expect(transcript(grip)).toEqual([
      'nickname set to [🦊 via Pushpin]',
      '🦊 via Pushpin: hello from GRIP',
      'Zoë via API Gateway: hello from native',
      '🦊 via Pushpin: room only',
      'joined [side]',
      'Zoë via API Gateway: together again',
    ]);
    expect(transcript(native)).toEqual([
      'nickname set to [Zoë via API Gateway]',
      '🦊 via Pushpin: hello from GRIP',
      'Zoë via API Gateway: hello from native',
      'joined [side]',
      'Zoë via API Gateway: side only',
      'Zoë via API Gateway: together again',
    ]);
    expect(env.errors).toEqual([]);
  });
});
