import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { InvalidValueError, OutputLimitError, PublishError } from '../../../../lambda/core/errors';
import { HttpStreamFormat, WebSocketMessageFormat } from '../../../../lambda/grip/formats';
import { parseGripUrl } from '../../../../lambda/grip/grip-url';
import { type PublishItem, publishToProxies } from '../../../../lambda/grip/io/publisher';

interface Received {
  readonly url: string;
  readonly authorization?: string;
  readonly contentType?: string;
  readonly body: string;
}

interface TestServer {
  readonly base: string;
  readonly received: Received[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const FAST = { backoffBaseMs: 1, timeoutMs: 2000 };
const ITEM: PublishItem = { channel: 'room', formats: [new WebSocketMessageFormat('hi')] };

/** A real HTTP server on 127.0.0.1; `reply` answers (or leaves hanging) each recorded request. */
async function startServer(
  reply: (req: IncomingMessage, res: ServerResponse, count: number) => void,
): Promise<TestServer> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const { authorization } = req.headers;
      received.push({ url: req.url ?? '', authorization, contentType: req.headers['content-type'], body });
      reply(req, res, received.length);
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    base: `http://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

function answer(status: number, text = ''): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<string> {
  const server = await startServer(answer(200));
  await server.close();
  servers.splice(servers.indexOf(server), 1);
  return server.base;
}

async function publishError(promise: Promise<void>): Promise<PublishError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PublishError);
  return error as PublishError;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('publishToProxies: requests', () => {
  test('posts the items to <control uri>/publish/ keeping other query params', async () => {
    const server = await startServer(answer(200, 'Published\n'));
    const item: PublishItem = {
      channel: 'pfx-room',
      formats: [new WebSocketMessageFormat('hi'), new HttpStreamFormat('data\n')],
      id: 'id2',
      prevId: 'id1',
      meta: { sender: 'u1' },
    };

    await publishToProxies([parseGripUrl(`${server.base}/base/?x=1`)], [item, ITEM]);

    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.url).toBe('/base/publish/?x=1');
    expect(server.received[0]!.contentType).toBe('application/json');
    expect(server.received[0]!.authorization).toBeUndefined();
    expect(JSON.parse(server.received[0]!.body)).toEqual({
      items: [
        {
          channel: 'pfx-room',
          id: 'id2',
          'prev-id': 'id1',
          meta: { sender: 'u1' },
          formats: { 'ws-message': { content: 'hi' }, 'http-stream': { content: 'data\n' } },
        },
        { channel: 'room', formats: { 'ws-message': { content: 'hi' } } },
      ],
    });
  });

  test('authenticates with an HS256 JWT when iss and key are set', async () => {
    const key = Buffer.from([0xfb, 0xef, 0xff, 7]);
    const server = await startServer((req, res) => {
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      try {
        const claims = jwt.verify(token, key, { algorithms: ['HS256'], issuer: 'realm' }) as jwt.JwtPayload;
        const lifetime = claims.exp! - Math.floor(Date.now() / 1000);
        res.writeHead(lifetime > 60 && lifetime <= 600 ? 200 : 403).end();
      } catch {
        res.writeHead(401).end('signature verification failed');
      }
    });

    await publishToProxies([parseGripUrl(`${server.base}/?iss=realm&key=base64:${key.toString('base64')}`)], [ITEM]);
    const wrong = await publishError(
      publishToProxies([parseGripUrl(`${server.base}/?iss=realm&key=other`)], [ITEM], FAST),
    );

    expect(wrong.failures[0]!.cause.message).toBe('HTTP 401: signature verification failed');
  });

  test('sends Bearer <key> with only a key, Basic with userinfo', async () => {
    const server = await startServer(answer(200));

    await publishToProxies([parseGripUrl(`${server.base}/?key=api-token`)], [ITEM]);
    await publishToProxies([parseGripUrl(`http://me:p%40ss@${server.base.slice(7)}/`)], [ITEM]);

    expect(server.received.map((r) => r.authorization)).toEqual([
      'Bearer api-token',
      `Basic ${Buffer.from('me:p@ss').toString('base64')}`,
    ]);
  });

  test('does nothing without proxies, and refuses invalid items before sending', async () => {
    await expect(publishToProxies([], [ITEM])).resolves.toBeUndefined();
    const server = await startServer(answer(200));
    const proxies = [parseGripUrl(server.base)];

    await expect(publishToProxies(proxies, [{ channel: '', formats: ITEM.formats }])).rejects.toThrow(
      InvalidValueError,
    );
    await expect(publishToProxies(proxies, [{ channel: 'c', formats: [] }])).rejects.toThrow(/no format/);
    const twice = [new WebSocketMessageFormat('a'), new WebSocketMessageFormat('b')];
    await expect(publishToProxies(proxies, [{ channel: 'c', formats: twice }])).rejects.toThrow(/two 'ws-message'/);
    const big = [new WebSocketMessageFormat('x'.repeat(1_000_001))];
    await expect(publishToProxies(proxies, [{ channel: 'c', formats: big }])).rejects.toThrow(OutputLimitError);
    expect(server.received).toHaveLength(0);
  });
});

describe('publishToProxies: faults', () => {
  test('retries a refused connection, then names the proxy without credentials', async () => {
    const base = await closedPort();
    const error = await publishError(
      publishToProxies([parseGripUrl(`http://me:secret@${base.slice(7)}/?iss=r&key=k`)], [ITEM], FAST),
    );

    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]!.target).toBe(base);
    expect(error.failures[0]!.cause.message).toMatch(/ECONNREFUSED.*after 3 attempts/);
    expect(error.message).not.toContain('secret');
  });

  test('gives up on a hanging proxy after the per-attempt timeout', async () => {
    const server = await startServer(() => undefined);
    const error = await publishError(
      publishToProxies([parseGripUrl(server.base)], [ITEM], { ...FAST, timeoutMs: 150, attempts: 2 }),
    );

    expect(error.failures[0]!.cause.message).toBe('no answer within 150 ms (after 2 attempts)');
    expect(server.received).toHaveLength(2);
  });

  test('retries a 5xx, then fails with the status and a body snippet', async () => {
    const server = await startServer(answer(500, `boom\n${'x'.repeat(300)}`));
    const error = await publishError(publishToProxies([parseGripUrl(server.base)], [ITEM], FAST));

    expect(server.received).toHaveLength(3);
    expect(error.failures[0]!.cause.message).toMatch(/^HTTP 500: boom x+\.\.\. \(after 3 attempts\)$/);
  });

  test('recovers when a retry succeeds', async () => {
    const server = await startServer((req, res, count) => answer(count < 3 ? 503 : 200)(req, res));

    await publishToProxies([parseGripUrl(server.base)], [ITEM], FAST);

    expect(server.received).toHaveLength(3);
  });

  test('does not retry a 400', async () => {
    const server = await startServer(answer(400, 'Invalid format: x\n'));
    const error = await publishError(publishToProxies([parseGripUrl(server.base)], [ITEM], FAST));

    expect(server.received).toHaveLength(1);
    expect(error.failures[0]!.cause.message).toBe('HTTP 400: Invalid format: x');
  });

  test('on 401 calls onUnauthorized once and retries once with the reloaded credentials', async () => {
    const server = await startServer((req, res) =>
      answer(req.headers.authorization === 'Bearer new-token' ? 200 : 401)(req, res),
    );
    const onUnauthorized = jest.fn(async () => [parseGripUrl(`${server.base}/?key=new-token`)]);

    await publishToProxies([parseGripUrl(`${server.base}/?key=old-token`)], [ITEM], { ...FAST, onUnauthorized });

    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(server.received.map((r) => r.authorization)).toEqual(['Bearer old-token', 'Bearer new-token']);
  });

  test('on a second 401 fails, calling the hook once for all proxies', async () => {
    const a = await startServer(answer(401, 'unauthorized'));
    const b = await startServer(answer(401, 'unauthorized'));
    const onUnauthorized = jest.fn(async () => undefined);
    const proxies = [parseGripUrl(`${a.base}/?key=t`), parseGripUrl(`${b.base}/?key=t`)];
    const error = await publishError(publishToProxies(proxies, [ITEM], { ...FAST, onUnauthorized }));

    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(a.received).toHaveLength(2);
    expect(b.received).toHaveLength(2);
    expect(error.failures.map((f) => f.target).sort()).toEqual([a.base, b.base].sort());
  });

  test('reports a failing onUnauthorized hook without retrying', async () => {
    const server = await startServer(answer(401));
    const onUnauthorized = jest.fn(async () => {
      throw new Error('secret unreadable');
    });
    const error = await publishError(
      publishToProxies([parseGripUrl(server.base)], [ITEM], { ...FAST, onUnauthorized }),
    );

    expect(server.received).toHaveLength(1);
    expect(error.failures[0]!.cause.message).toBe('secret unreadable');
  });

  test('does not follow redirects', async () => {
    const server = await startServer((_req, res) => res.writeHead(308, { Location: '/elsewhere/' }).end());
    const error = await publishError(publishToProxies([parseGripUrl(server.base)], [ITEM], FAST));

    expect(server.received.map((r) => r.url)).toEqual(['/publish/']);
    expect(error.failures[0]!.cause.message).toBe('HTTP 308: (empty body)');
  });

  test('fails a 401 at once without a hook', async () => {
    const server = await startServer(answer(401));
    const error = await publishError(publishToProxies([parseGripUrl(server.base)], [ITEM], FAST));

    expect(server.received).toHaveLength(1);
    expect(error.failures[0]!.cause.message).toBe('HTTP 401: (empty body)');
  });

  test('a good proxy next to failing ones still receives the publish', async () => {
    const good = await startServer(answer(200, 'Published\n'));
    const bad = await startServer(answer(500, 'down'));
    const refused = await closedPort();
    const proxies = [parseGripUrl(bad.base), parseGripUrl(good.base), parseGripUrl(refused)];
    const error = await publishError(publishToProxies(proxies, [ITEM], FAST));

    expect(good.received).toHaveLength(1);
    expect(JSON.parse(good.received[0]!.body).items[0].channel).toBe('room');
    expect(error.failures.map((f) => f.target)).toEqual([bad.base, refused]);
    expect(error.message).toMatch(/publish failed on 2 target\(s\)/);
  });

  test('fails a response cut short as a retryable network error', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' }).write('Publ');
      res.socket?.destroy();
    });
    const error = await publishError(publishToProxies([parseGripUrl(server.base)], [ITEM], FAST));

    expect(server.received).toHaveLength(3);
    expect(error.failures[0]!.cause.message).toMatch(/^request failed: .+ \(after 3 attempts\)$/);
  });

  test('reads a large error body to its end and reports its start', async () => {
    const server = await startServer(answer(400, `bad item ${'y'.repeat(200_000)}`));
    const error = await publishError(publishToProxies([parseGripUrl(server.base)], [ITEM], FAST));

    expect(error.failures[0]!.cause.message).toMatch(/^HTTP 400: bad item y+\.\.\.$/);
    expect(error.failures[0]!.cause.message.length).toBeLessThan(250);
  });
});

describe('publishToProxies: transport', () => {
  test('reuses one kept-alive connection for publishes in sequence', async () => {
    const server = await startServer(answer(200, 'Published\n'));
    const proxies = [parseGripUrl(server.base)];

    for (let i = 0; i < 3; i++) await publishToProxies(proxies, [ITEM]);

    expect(server.received).toHaveLength(3);
    expect(server.connections()).toBe(1);
  });

  test('opens a new connection when the proxy answers Connection: close', async () => {
    const server = await startServer((_req, res) => res.writeHead(200, { Connection: 'close' }).end('Published\n'));
    const proxies = [parseGripUrl(server.base)];

    await publishToProxies(proxies, [ITEM]);
    await publishToProxies(proxies, [ITEM]);

    expect(server.received).toHaveLength(2);
    expect(server.connections()).toBe(2);
  });

  test('sends through the injected fetch when one is given, redirects not followed', async () => {
    const server = await startServer((req, res, count) =>
      count === 1 ? res.writeHead(307, { Location: '/elsewhere/' }).end() : answer(200)(req, res),
    );
    const urls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const proxies = [parseGripUrl(`${server.base}/?key=t`)];
    const error = await publishError(publishToProxies(proxies, [ITEM], { ...FAST, fetch: recording }));
    await publishToProxies(proxies, [ITEM], { fetch: recording });

    expect(error.failures[0]!.cause.message).toBe('HTTP 307: (empty body)');
    expect(urls).toEqual([`${server.base}/publish/`, `${server.base}/publish/`]);
    expect(server.received.map((r) => [r.url, r.authorization])).toEqual([
      ['/publish/', 'Bearer t'],
      ['/publish/', 'Bearer t'],
    ]);
  });
});
