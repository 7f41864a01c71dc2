import jwt from 'jsonwebtoken';
import { Env } from '../../../lambda/contract';
import { GripConfigError, PublishError } from '../../../lambda/core/errors';
import { flushMetrics } from '../../../lambda/core/metrics';
import { NATIVE_TARGET, publish, withPublishTracking } from '../../../lambda/core/publish';
import { HttpResponseFormat, HttpStreamFormat, WebSocketMessageFormat } from '../../../lambda/grip/formats';
import { ConnectionStore } from '../../../lambda/native/connection-store';
import type { NativeDeps } from '../../../lambda/native/native-deps';
import { ControlEndpoint } from '../../helpers/control-endpoint';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { captureConsole, setEnv } from '../../helpers/grip-events';
import { LocalManagementServer } from '../../helpers/local-management-server';
import { SecretsManagerEndpoint } from '../../helpers/secrets-manager-endpoint';

let good: ControlEndpoint;
let bad: ControlEndpoint;
let restoreEnv: () => void;
let logs: string[];

const gripUrl = (endpoint: ControlEndpoint) => `${endpoint.uri}/?iss=backend&key=publish-secret`;

beforeAll(async () => {
  good = await ControlEndpoint.start();
  bad = await ControlEndpoint.start();
});

afterAll(async () => {
  await good.stop();
  await bad.stop();
});

beforeEach(() => {
  restoreEnv = setEnv({
    [Env.GRIP_URL]: gripUrl(good),
    [Env.GRIP_PROXIES]: undefined,
    [Env.GRIP_SECRET_ARN]: undefined,
    [Env.GRIP_PREFIX]: undefined,
    [Env.CONNECTION_TABLE]: undefined,
    [Env.MANAGEMENT_ENDPOINT]: undefined,
  });
  for (const endpoint of [good, bad]) {
    endpoint.published.length = 0;
    endpoint.statuses.length = 0;
    endpoint.received = 0;
  }
  logs = captureConsole();
});

afterEach(() => {
  restoreEnv();
  jest.restoreAllMocks();
});

describe('publish to GRIP proxies', () => {
  test('sends one item with every format, id, prev-id and meta, signed with the GRIP_URL key', async () => {
    const result = await publish(
      'room',
      [new WebSocketMessageFormat('hi'), new HttpStreamFormat('hi\n'), new HttpResponseFormat('hi')],
      { id: '2', prevId: '1', meta: { sender: 'alice' } },
    );

    expect(result).toEqual({ proxies: 1 });
    expect(good.published).toHaveLength(1);
    const [request] = good.published;
    expect(request.path).toBe('/publish/');
    expect(request.body.items).toEqual([
      {
        channel: 'room',
        id: '2',
        'prev-id': '1',
        meta: { sender: 'alice' },
        formats: {
          'ws-message': { content: 'hi' },
          'http-stream': { content: 'hi\n' },
          'http-response': { code: 200, body: 'hi' },
        },
      },
    ]);
    const token = request.authorization?.replace(/^Bearer /, '') ?? '';
    expect(jwt.verify(token, 'publish-secret', { algorithms: ['HS256'], issuer: 'backend' })).toBeTruthy();
  });

  test('adds GRIP_PREFIX to the channel', async () => {
    const restore = setEnv({ [Env.GRIP_PREFIX]: 'app1-' });

    await publish('room', new WebSocketMessageFormat('x'));
    restore();

    expect(good.items().map((item) => item.channel)).toEqual(['app1-room']);
  });

  test('a failing proxy does not stop the others; the PublishError names it and why', async () => {
    const restore = setEnv({
      [Env.GRIP_URL]: undefined,
      [Env.GRIP_PROXIES]: JSON.stringify([gripUrl(good), gripUrl(bad)]),
    });
    bad.statuses.push(500, 500, 500);

    const error = await publish('room', new WebSocketMessageFormat('x')).catch((e: unknown) => e);
    restore();

    expect(error).toBeInstanceOf(PublishError);
    const failures = (error as PublishError).failures;
    expect(failures.map((f) => f.target)).toEqual([bad.uri]);
    expect(failures[0].cause.message).toContain('HTTP 500');
    expect(bad.received).toBe(3);
    expect(good.wsMessages('room')).toEqual(['x']);
    expect(logs.some((line) => line.includes('publish failed') && line.includes(bad.uri))).toBe(true);
  });

  test('after a 401 the configuration is reloaded once and the publish retried', async () => {
    good.statuses.push(401);

    await publish('room', new WebSocketMessageFormat('again'));

    expect(good.received).toBe(2);
    expect(good.wsMessages('room')).toEqual(['again']);
  });

  test('with no target configured, says which settings to make', async () => {
    const restore = setEnv({ [Env.GRIP_URL]: undefined });

    const error = await publish('room', new WebSocketMessageFormat('x')).catch((e: unknown) => e);
    restore();

    expect(error).toBeInstanceOf(GripConfigError);
    expect((error as Error).message).toContain('GRIP_URL');
    expect((error as Error).message).toContain(Env.CONNECTION_TABLE);
    expect((error as Error).message).toContain(Env.MANAGEMENT_ENDPOINT);
  });
});

describe('withPublishTracking', () => {
  test('waits for publishes started inside, including ones started by other publishes', async () => {
    let release = () => {};
    good.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let done = false;

    const tracked = withPublishTracking(async () => {
      void publish('a', new WebSocketMessageFormat('1')).then(() => publish('b', new WebSocketMessageFormat('2')));
    }).then(() => {
      done = true;
    });
    while (good.received === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    good.hold = undefined;
    release();
    await tracked;

    expect(good.wsMessages('a')).toEqual(['1']);
    expect(good.wsMessages('b')).toEqual(['2']);
  });
});

describe('one room across transports', () => {
  let dynamo: LocalDynamo;
  let api: LocalManagementServer;
  let deps: NativeDeps;
  let store: ConnectionStore;
  let restoreAws: () => void;

  beforeAll(async () => {
    dynamo = await startDynalite('publish-native');
    api = await LocalManagementServer.start('prod');
    store = new ConnectionStore({ tableName: dynamo.tableName, client: dynamo.newDocumentClient() });
    deps = { store, managementEndpoint: api.endpoint, postRetry: { attempts: 2, retryBaseMs: 1 } };
    restoreAws = setEnv({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    for (const id of ['n1', 'n2']) {
      await store.putConnection(id, { channels: ['room'] });
      api.addConnection(id, 'open');
    }
  });

  afterAll(async () => {
    restoreAws();
    await api.stop();
    await dynamo.stop();
  });

  afterEach(() => {
    api.fault = undefined;
  });

  test('a publish reaches the GRIP proxy and the native subscribers of the channel', async () => {
    const result = await withPublishTracking(() => publish('room', new WebSocketMessageFormat('both')), deps);

    expect(result).toEqual({
      proxies: 1,
      native: { delivered: 2, gone: 0, failed: 0, unknown: 0, opening: 0, complete: true, shards: 0 },
    });
    expect(good.wsMessages('room')).toEqual(['both']);
    expect(api.texts('n1')).toEqual(['both']);
    expect(api.texts('n2')).toEqual(['both']);
  });

  test('a GRIP secret without a value yet is no GRIP target: the native subscribers get it and nothing fails', async () => {
    // GIVEN a stack serving both transports whose GRIP secret was created by the deploy but not set yet
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:grip-not-set-AbCdEf';
    const secrets = await SecretsManagerEndpoint.start({ [arn]: '' });
    const restore = setEnv({ ...secrets.env, [Env.GRIP_URL]: undefined, [Env.GRIP_SECRET_ARN]: arn });
    try {
      // WHEN the function publishes
      const result = await withPublishTracking(() => publish('room', new WebSocketMessageFormat('native only')), deps);

      // THEN the native members have it and the publish succeeds with no proxy
      expect(result).toEqual({
        proxies: 0,
        native: { delivered: 2, gone: 0, failed: 0, unknown: 0, opening: 0, complete: true, shards: 0 },
      });
      expect(api.texts('n1')).toContain('native only');
      expect(secrets.calls.length).toBeGreaterThan(0);
    } finally {
      restore();
      await secrets.stop();
    }
  });

  test('a GRIP secret without a value fails the publish when GRIP is the only target', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:grip-only-not-set-AbCdEf';
    const secrets = await SecretsManagerEndpoint.start({ [arn]: '' });
    const restore = setEnv({ ...secrets.env, [Env.GRIP_URL]: undefined, [Env.GRIP_SECRET_ARN]: arn });
    try {
      const error = await withPublishTracking(() => publish('room', new WebSocketMessageFormat('nowhere'))).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PublishError);
    } finally {
      restore();
      await secrets.stop();
    }
  });

  test('native deliveries that fail are reported as the native target with their count', async () => {
    api.fault = (call) => (call.connectionId === 'n2' ? 500 : undefined);

    const error = await withPublishTracking(() => publish('room', new WebSocketMessageFormat('half')), deps).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(PublishError);
    const failures = (error as PublishError).failures;
    expect(failures.map((f) => f.target)).toEqual([NATIVE_TARGET]);
    expect(failures[0].cause.message).toMatch(/^1 of 2 deliveries failed/);
    expect(api.texts('n1')).toContain('half');
    expect(good.wsMessages('room')).toContain('half');
  });

  test('the native fan-out is counted in the FanOut metrics', async () => {
    flushMetrics(); // drops what earlier tests counted (silent under jest)
    api.fault = (call) => (call.connectionId === 'n2' ? 500 : undefined);
    const restore = setEnv({ POWERTOOLS_METRICS_DISABLED: 'false' });
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });

    await withPublishTracking(() => publish('room', new WebSocketMessageFormat('count me')), deps).catch(() => {});
    flushMetrics();
    spy.mockRestore();
    restore();

    const emf = JSON.parse(lines.find((line) => line.includes('"_aws"')) ?? '{}');
    expect(emf).toMatchObject({ FanOutDelivered: 1, FanOutFailed: 1, PublishErrors: 1 });
    expect(emf.FanOutGone).toBeUndefined();
  });

  test('binary messages reach native subscribers byte for byte; a close goes to GRIP only', async () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const sent = await withPublishTracking(() => publish('room', new WebSocketMessageFormat(bytes)), deps);
    expect(sent).toEqual({
      proxies: 1,
      native: { delivered: 2, gone: 0, failed: 0, unknown: 0, opening: 0, complete: true, shards: 0 },
    });
    expect([...(api.payloads('n1').at(-1) ?? [])]).toEqual([0, 1, 254, 255]);

    const before = api.payloads('n1').length;
    const closed = await withPublishTracking(() => publish('room', WebSocketMessageFormat.close(4000)), deps);
    expect(closed).toEqual({ proxies: 1 });
    expect(api.payloads('n1')).toHaveLength(before);
  });

  test('formats without ws-message go to GRIP only', async () => {
    const result = await withPublishTracking(() => publish('room', new HttpStreamFormat('stream only\n')), deps);

    expect(result).toEqual({ proxies: 1 });
    expect(api.texts('n1')).not.toContain('stream only\n');
  });
});
