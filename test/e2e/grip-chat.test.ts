/**
 * The chat through a real Pushpin, for each event shape a GRIP backend on AWS can receive (REST API v1, HTTP API
 * v2, Function URL): `ws` clients connect to Pushpin, Pushpin speaks WebSocket-over-HTTP to the local front door,
 * the front door invokes the chat handler, and publishes go through the JWT gate to Pushpin's publish API.
 */

import { startPushpin } from '../../local/grip/pushpin';
import { runChatScenario, SCENARIO_TIMEOUT_MS } from '../helpers/e2e-chat-scenario';
import {
  describeWithPushpin,
  E2E_START_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  type E2eEnv,
  EVENT_SHAPES,
  startE2eEnv,
  warmUpWebSockets,
} from '../helpers/e2e-env';
import { frame, freshWebSocketHandler, postWebSocketEvents, rawGripHandler } from '../helpers/e2e-grip-tools';
import { E2eClient, HandshakeRefusedError, terminateAll } from '../helpers/e2e-ws-client';
import { gripSig } from '../helpers/grip-events';

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

describeWithPushpin('GRIP chat through Pushpin', () => {
  describe.each(EVENT_SHAPES)('with %s events', (shape) => {
    let env: E2eEnv;
    const clients: E2eClient[] = [];
    const connect = async (name: string) => {
      const client = await E2eClient.connect(name, `${env.grip!.wsUrl}/chat`);
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      env = await startE2eEnv({ kind: 'grip', shape });
    }, E2E_START_TIMEOUT_MS);
    afterEach(() => {
      terminateAll(clients.splice(0));
      env.useChatHandler();
    });
    afterAll(async () => {
      await env?.stop();
    }, E2E_START_TIMEOUT_MS);

    it(
      'runs the chat: nicks (emoji, accents), broadcasts with the exact text, /join and isolation',
      async () => {
        await runChatScenario(connect);
        expect(env.errors).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it('answers the client close with a CLOSE of the same code and reason (no 1006)', async () => {
      const client = await connect('closer');
      await client.nick('closer');

      const seen = await client.close(4001, 'done chatting 👋');

      expect(seen).toEqual({ code: 4001, reason: 'done chatting 👋' });
    });

    it('refuses a request without a valid Grip-Sig with 401 before user code runs', async () => {
      const ran: string[] = [];
      env.slot.current = freshWebSocketHandler((ws) => {
        // Only handshakes count: DISCONNECTs of earlier tests' clients may still arrive.
        if (ws.isOpening()) {
          ran.push(ws.id);
          ws.accept();
        }
      });
      const url = `${env.grip!.frontDoor.url}/chat`;
      const { sigIss, sigKey } = env.grip!.pushpin;
      const forged = {
        'no Grip-Sig': {},
        'a wrong key': { 'Grip-Sig': gripSig({ key: 'not-the-key', iss: sigIss }) },
        'a wrong issuer': { 'Grip-Sig': gripSig({ key: sigKey, iss: 'someone-else' }) },
        'an expired token': { 'Grip-Sig': gripSig({ key: sigKey, iss: sigIss, expiresInSeconds: -600 }) },
        garbage: { 'Grip-Sig': 'not.a.jwt' },
      };

      for (const [what, headers] of Object.entries(forged)) {
        const answer = await postWebSocketEvents(url, 'OPEN\r\n', headers);
        expect({ what, status: answer.status }).toEqual({ what, status: 401 });
      }
      expect(ran).toEqual([]);

      // The same request signed like Pushpin signs reaches user code: the 401s above were the signature's doing.
      const signed = await postWebSocketEvents(url, 'OPEN\r\n', { 'Grip-Sig': gripSig({ key: sigKey, iss: sigIss }) });
      expect(signed.status).toBe(200);
      expect(signed.headers['content-type']).toBe('application/websocket-events');
      expect(ran).toEqual(['e2e-direct-1']);
    });
  });
});

describeWithPushpin('Pushpin protocol guards the runtime must satisfy', () => {
  let env: E2eEnv;
  const clients: E2eClient[] = [];
  const connect = async (name: string, url = `${env.grip!.wsUrl}/chat`) => {
    const client = await E2eClient.connect(name, url);
    clients.push(client);
    return client;
  };
  const echo = () =>
    freshWebSocketHandler((ws) => {
      if (ws.isOpening()) ws.accept();
      while (ws.canRecv()) {
        const message = ws.recv();
        if (message === null) break;
        if (message === 'binary please') ws.sendBinary(new Uint8Array([0, 1, 2, 255]));
        else if (message === 'quit') ws.close(4002, 'server says bye ✓');
        else ws.send(message);
      }
    });

  beforeAll(async () => {
    env = await startE2eEnv({ kind: 'grip', shape: 'rest-v1' });
  }, E2E_START_TIMEOUT_MS);
  afterEach(() => {
    terminateAll(clients.splice(0));
  });
  afterAll(async () => {
    await env?.stop();
  }, E2E_START_TIMEOUT_MS);

  it('drops backend messages without the m: prefix (control), and send() delivers exactly what was sent', async () => {
    env.slot.current = rawGripHandler((body) =>
      body.startsWith('OPEN') ? frame('OPEN') : frame('TEXT', 'unprefixed') + frame('TEXT', 'm:prefixed'),
    );
    const raw = await connect('raw');
    raw.send('go');
    await raw.expect('prefixed');

    env.slot.current = echo();
    const ours = await connect('ours');
    const texts = ['plain text', 'm:literal', 'c:{"type":"subscribe","channel":"x"}', 'ünïcødé 🦊'];
    for (const text of texts) {
      ours.send(text);
      await ours.expect(text);
    }
    ours.send('binary please');
    await ours.expect('<binary 000102ff>');
  });

  it('shows 1006 when the backend does not answer CLOSE (control); the runtime answers it', async () => {
    env.slot.current = rawGripHandler((body) => (body.startsWith('OPEN') ? frame('OPEN') : ''));
    const raw = await connect('raw');
    expect((await raw.close(4001, 'bye')).code).toBe(1006);

    env.slot.current = echo();
    const ours = await connect('ours');
    expect(await ours.close(4001, 'bye')).toEqual({ code: 4001, reason: 'bye' });
  });

  it('delivers a close the handler starts, with its code and reason', async () => {
    env.slot.current = echo();
    const client = await connect('quitter');
    client.send('before');
    await client.expect('before');
    client.send('quit');
    expect(await client.closed()).toEqual({ code: 4002, reason: 'server says bye ✓' });
  });

  it('refuses the handshake (401) through a Pushpin that signs with another key; user code never runs', async () => {
    const ran: string[] = [];
    env.slot.current = freshWebSocketHandler((ws) => {
      // Only handshakes count: DISCONNECTs of earlier tests' clients may still arrive.
      if (ws.isOpening()) {
        ran.push(ws.id);
        ws.accept();
      }
    });
    const { frontDoor } = env.grip!;
    const stranger = await startPushpin({
      target: `127.0.0.1:${frontDoor.port}`,
      sigKey: 'a-key-the-function-does-not-trust',
      route: { host: frontDoor.hostHeader, pathBeg: '/', replaceBeg: `${new URL(frontDoor.url).pathname}/` },
    });
    try {
      const strangerUrl = stranger.httpUrl.replace(/^http/, 'ws');
      await warmUpWebSockets(env.slot, strangerUrl);
      const url = `${strangerUrl}/chat`;
      const refused = await connect('stranger', url).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HandshakeRefusedError);
      expect((refused as HandshakeRefusedError).status).toBe(401);
      expect(ran).toEqual([]);

      // The trusted Pushpin, same front door and handler, is let through.
      await connect('trusted');
      expect(ran).toHaveLength(1);
    } finally {
      await stranger.stop();
    }
  });
});
