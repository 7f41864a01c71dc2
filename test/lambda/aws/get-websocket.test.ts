import { getWebSocket, lambdaGetWebSocket } from '../../../lambda/aws/get-websocket';
import { Env } from '../../../lambda/contract';
import { GripConfigError, GripSignatureError, NotWebSocketOverHttpError } from '../../../lambda/core/errors';
import { Transport } from '../../../lambda/core/websocket-context';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { decodeResult, gripSig, setEnv, wohEvent } from '../../helpers/grip-events';

let restoreEnv: () => void;

beforeEach(() => {
  restoreEnv = setEnv({
    [Env.GRIP_URL]: 'http://127.0.0.1:5561/?verify-iss=pushpin&verify-key=changeme',
    [Env.GRIP_PROXIES]: undefined,
    [Env.GRIP_SECRET_ARN]: undefined,
    [Env.GRIP_PREFIX]: undefined,
    [Env.GRIP_SIG_VERIFY]: undefined,
    [Env.GRIP_VERIFY_KEY]: undefined,
  });
});

afterEach(() => restoreEnv());

describe('lambdaGetWebSocket (the seed API, synchronous)', () => {
  test('gives a context whose toResponse() is the Lambda result', () => {
    const ws = lambdaGetWebSocket(wohEvent('rest-v1', { events: [{ type: 'OPEN' }] }));
    ws.accept();
    ws.subscribe('room');

    const result = decodeResult(ws.toResponse());

    expect(ws.transport).toBe(Transport.GRIP);
    expect(result.events).toEqual(['OPEN', 'TEXT:c:{"type":"subscribe","channel":"room"}']);
  });

  test('verifies Grip-Sig when a verify key is known', () => {
    expect(() => lambdaGetWebSocket(wohEvent('http-v2', { sig: gripSig({ key: 'wrong' }) }))).toThrow(
      GripSignatureError,
    );
    expect(() => lambdaGetWebSocket(wohEvent('http-v2', { sig: null }))).toThrow(GripSignatureError);
  });

  test('refuses when verification is on (the default) and no verify key is configured, saying why', () => {
    const restore = setEnv({ [Env.GRIP_URL]: 'http://127.0.0.1:5561/' });
    try {
      for (const sig of [null, gripSig()]) {
        const event = wohEvent('function-url', { sig, metaHeaders: { user: 'admin' } });
        expect(() => lambdaGetWebSocket(event)).toThrow(GripConfigError);
        expect(() => lambdaGetWebSocket(event)).toThrow(/no verify key is configured.*GRIP_SIG_VERIFY=off/);
      }
    } finally {
      restore();
    }
  });

  test('works without a signature only when verification is explicitly off', () => {
    const restore = setEnv({ [Env.GRIP_URL]: 'http://127.0.0.1:5561/', [Env.GRIP_SIG_VERIFY]: 'off' });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const ws = lambdaGetWebSocket(wohEvent('function-url', { sig: null, events: [{ type: 'TEXT', content: 'hi' }] }));
      expect(ws.recv()).toBe('hi');
    } finally {
      warn.mockRestore();
      restore();
    }
  });

  test('throws NotWebSocketOverHttpError for other requests, so the seed answers 400', () => {
    expect(() => lambdaGetWebSocket(wohEvent('rest-v1', { method: 'GET', events: null }))).toThrow(
      NotWebSocketOverHttpError,
    );
    expect(() => lambdaGetWebSocket({ not: 'an http event' })).toThrow(NotWebSocketOverHttpError);
  });

  test('applies GRIP_PREFIX to subscriptions', () => {
    const restore = setEnv({ [Env.GRIP_PREFIX]: 'p-' });
    const ws = lambdaGetWebSocket(wohEvent('rest-v1'));
    restore();
    ws.accept();
    ws.subscribe('room');

    expect(ws.outgoing).toEqual([{ kind: 'subscribe', channel: 'p-room' }]);
  });

  test('refuses a secret-based configuration with a clear error pointing to the async API', () => {
    const restore = setEnv({ [Env.GRIP_SECRET_ARN]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:grip' });

    expect(() => lambdaGetWebSocket(wohEvent('rest-v1'))).toThrow(GripConfigError);
    restore();
  });
});

describe('getWebSocket (async, both transports)', () => {
  test('GRIP: verified context; finish() gives the same result as toResponse()', async () => {
    const ws = await getWebSocket(wohEvent('http-v2', { events: [{ type: 'TEXT', content: 'ping me' }] }));
    ws.send(`echo: ${ws.recv()}`);

    const result = decodeResult(await ws.finish());

    expect(result.events).toEqual(['TEXT:m:echo: ping me']);
  });

  test('GRIP: always verifies, even without a verify key (configure one or opt out)', async () => {
    const restore = setEnv({ [Env.GRIP_URL]: 'http://127.0.0.1:5561/' });

    await expect(getWebSocket(wohEvent('http-v2'))).rejects.toThrow(GripConfigError);
    restore();
  });

  describe('native', () => {
    let dynamo: LocalDynamo;

    beforeAll(async () => {
      dynamo = await startDynalite('get-websocket');
    });

    afterAll(async () => {
      await dynamo.stop();
    });

    test('an API Gateway $connect event gives a native context; finish() stores the connection', async () => {
      const store = new ConnectionStore({ tableName: dynamo.tableName, client: dynamo.newDocumentClient() });
      const event = {
        requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId: 'g1', stage: 'prod' },
        headers: {},
        isBase64Encoded: false,
      };

      const ws = await getWebSocket(event, { native: { store } });
      ws.accept();
      ws.meta.user = 'zoë';
      const result = await ws.finish();

      expect(ws.transport).toBe(Transport.NATIVE);
      expect(result).toEqual({ statusCode: 200 });
      expect((await store.getConnection('g1'))?.meta).toEqual({ user: 'zoë' });
    });
  });
});
