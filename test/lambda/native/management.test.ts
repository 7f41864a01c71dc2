import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiServiceException,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  GripConfigError,
  InvalidValueError,
  OutputLimitError,
  PublishError,
  type TimeoutError,
} from '../../../lambda/core/errors';
import {
  checkNativeMessageSize,
  classifyManagementError,
  deleteRemoteConnection,
  MAX_NATIVE_MESSAGE_BYTES,
  managementApi,
  postOrThrow,
  postWithRetry,
  resolveManagementEndpoint,
  SignedManagementApi,
} from '../../../lambda/native/management';
import { LOCAL_AWS } from '../../helpers/dynalite';
import { setEnv } from '../../helpers/grip-events';
import { LocalManagementServer } from '../../helpers/local-management-server';

let server: LocalManagementServer;
let api: SignedManagementApi;
let restoreEnv: () => void;

beforeAll(async () => {
  // As in Lambda: region and credentials from the environment, through the SDK's provider chain.
  restoreEnv = setEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
  });
  server = await LocalManagementServer.start('prod');
  api = new SignedManagementApi(server.endpoint);
});

afterAll(async () => {
  await server.stop();
  restoreEnv();
});

beforeEach(() => {
  server.fault = undefined;
});

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('SignedManagementApi', () => {
  test('posts bytes to a connection whose id needs escaping, signed so the server accepts it', async () => {
    const id = 'L0SM9cOFvHcCIhw=+/';
    server.addConnection(id);
    await api.post(id, Buffer.from('héllo'));
    await api.post(id, new Uint8Array([0, 255]));
    expect(server.texts(id)[0]).toBe('héllo');
    expect([...server.payloads(id)[1]]).toEqual([0, 255]);
    expect(server.refusals).toBe(0);
  });

  test('a gone connection rejects with the SDK v3 GoneException, $metadata included', async () => {
    const err = await failure(api.post('never-there', Buffer.from('x')));
    expect(err).toBeInstanceOf(GoneException);
    expect(err.name).toBe('GoneException');
    expect(err.$metadata?.httpStatusCode).toBe(410);
    expect(classifyManagementError(err)).toBe('gone');
  });

  test.each([
    [403, ForbiddenException, 'forbidden'],
    [429, LimitExceededException, 'retryable'],
    [413, PayloadTooLargeException, 'fatal'],
  ] as const)('status %i rejects with the SDK class the SDK would raise', async (status, type, kind) => {
    server.addConnection('c1');
    server.fault = () => status;
    const err = await failure(api.post('c1', Buffer.from('x')));
    expect(err).toBeInstanceOf(type);
    expect(err.$metadata?.httpStatusCode).toBe(status);
    expect(classifyManagementError(err)).toBe(kind);
  });

  test('a 5xx rejects with a server-fault service exception that is retried', async () => {
    server.addConnection('c2');
    server.fault = () => 503;
    const err = await failure(api.post('c2', Buffer.from('x')));
    expect(err).toBeInstanceOf(ApiGatewayManagementApiServiceException);
    expect((err as ApiGatewayManagementApiServiceException).$fault).toBe('server');
    expect(classifyManagementError(err)).toBe('retryable');
  });

  test('delete closes the connection; a second delete finds it gone', async () => {
    server.addConnection('c3');
    await api.delete('c3');
    expect(server.state('c3')).toBe('gone');
    expect(await failure(api.delete('c3'))).toBeInstanceOf(GoneException);
  });

  test('a wrong secret is refused as AWS refuses it, and not retried', async () => {
    const restore = setEnv({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    const other = new SignedManagementApi(server.endpoint);
    try {
      server.addConnection('c4');
      const err = await failure(other.post('c4', Buffer.from('x')));
      expect(err.name).toBe('InvalidSignatureException');
      expect(err.$metadata?.httpStatusCode).toBe(403);
      expect(server.texts('c4')).toEqual([]);
    } finally {
      restore();
    }
  });

  test.each(['', '.', '..', 'a b', 'x'.repeat(129), 'é'])(
    'connection id %j is refused before any request',
    async (id) => {
      const before = server.requests.POST;
      await expect(api.post(id, Buffer.from('x'))).rejects.toThrow(InvalidValueError);
      expect(server.requests.POST).toBe(before);
    },
  );

  test('an unanswered call fails with a TimeoutError: sent, so its outcome is unknown and it is not retried', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const slow = new SignedManagementApi(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/prod`, {
      requestTimeoutMs: 100,
    });
    try {
      const err = await failure(slow.post('c5', Buffer.from('x')));
      expect(err.name).toBe('TimeoutError');
      expect((err as TimeoutError).requestSent).toBe(true);
      expect(classifyManagementError(err)).toBe('unknown');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('the one send path', () => {
  test('postWithRetry retries a 5xx, then the message is delivered once', async () => {
    server.addConnection('r1');
    server.fault = (call) => (call.attempt < 3 ? 503 : undefined);

    expect(await postWithRetry(api, 'r1', 'third time', { retryBaseMs: 1 })).toBe('delivered');

    expect(server.texts('r1')).toEqual(['third time']);
  });

  test('a post sent but answered too late is not sent again; postOrThrow names the connection', async () => {
    server.addConnection('r2');
    server.fault = () => 'slow';
    server.slowMs = 500;

    const error = await postOrThrow(api, 'r2', 'once', { retryBaseMs: 1, timeoutMs: 100 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failures[0].target).toBe('native connection r2');
    expect(classifyManagementError((error as PublishError).failures[0].cause)).toBe('unknown');
    expect(server.texts('r2')).toEqual(['once']);
  });

  test('a gone connection resolves gone, and DeleteConnection on it resolves false', async () => {
    expect(await postOrThrow(api, 'not-here', 'x')).toBe('gone');
    expect(await deleteRemoteConnection(api, 'not-here')).toBe(false);
  });

  test('the message-size limit is 128 KB', () => {
    expect(() => checkNativeMessageSize('x'.repeat(MAX_NATIVE_MESSAGE_BYTES))).not.toThrow();
    expect(() => checkNativeMessageSize(new Uint8Array(MAX_NATIVE_MESSAGE_BYTES + 1))).toThrow(OutputLimitError);
  });

  test('one sender per endpoint per container; a wss:// stage URL becomes its https:// callback URL', () => {
    expect(managementApi(server.endpoint)).toBe(managementApi(server.endpoint));
    expect(resolveManagementEndpoint('wss://abc.execute-api.eu-west-1.amazonaws.com/prod')).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
    );
    expect(() => resolveManagementEndpoint('ftp://x')).toThrow(GripConfigError);
  });
});
