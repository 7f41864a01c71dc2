import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { WebSocketApiEvent } from '../../../local/apigw-websocket/websocket-api-events';
import { startWebSocketEmulator, type WebSocketEmulator } from '../../../local/apigw-websocket/websocket-emulator';
import { EventRecorder } from '../../helpers/local-event-recorder';
import { connect, connectRefused } from '../../helpers/local-ws-client';

function managementClient(emulator: WebSocketEmulator, secretAccessKey = 'local'): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: emulator.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey },
    maxAttempts: 1,
  });
}

const tagOf = (e: WebSocketApiEvent) => e.queryStringParameters?.tag;
const idOf = (e: WebSocketApiEvent) => String(e.requestContext.connectionId);

describe('startWebSocketEmulator', () => {
  let emulator: WebSocketEmulator;
  let recorder: EventRecorder;
  let management: ApiGatewayManagementApiClient;
  const postErrors = new Map<string, string>();

  beforeAll(async () => {
    recorder = new EventRecorder(async (event) => {
      const tag = tagOf(event);
      if (event.requestContext.routeKey === '$connect' && tag === 'refuse') return { statusCode: 401, body: 'no' };
      if (event.requestContext.routeKey === '$connect' && tag === 'throw') throw new Error('connect failed');
      if (event.requestContext.routeKey === '$connect' && tag === 'early-post') {
        try {
          await management.send(new PostToConnectionCommand({ ConnectionId: idOf(event), Data: 'too early' }));
          postErrors.set(idOf(event), 'none');
        } catch (error) {
          postErrors.set(idOf(event), (error as Error).name);
        }
      }
      if (event.requestContext.routeKey === '$connect' && tag === 'protocol') {
        return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'chat.v1' } };
      }
      if (event.body === 'explode') throw new Error('message failed');
      return { statusCode: 200 };
    });
    emulator = await startWebSocketEmulator({
      handler: recorder.handler,
      routes: ['chat'],
      onError: () => {},
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    management = managementClient(emulator);
  });
  afterAll(async () => {
    management.destroy();
    await emulator.stop();
  });

  async function open(tag: string) {
    const client = await connect(`${emulator.url}?tag=${tag}`);
    const id = idOf(await recorder.waitFor((e) => e.requestContext.routeKey === '$connect' && tagOf(e) === tag));
    return { client, id };
  }

  it('refuses management calls signed with the wrong secret or not signed, as API Gateway does', async () => {
    const { client, id } = await open('signatures');
    const wrong = managementClient(emulator, 'not-local');
    try {
      await expect(wrong.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'forged' }))).rejects.toMatchObject(
        {
          name: 'InvalidSignatureException',
          $metadata: { httpStatusCode: 403 },
        },
      );
    } finally {
      wrong.destroy();
    }
    const unsigned = await fetch(`${emulator.managementEndpoint}/@connections/${encodeURIComponent(id)}`, {
      method: 'POST',
      body: 'unsigned',
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'signed' }));
    expect(await client.nextMessage()).toBe('signed');
    await client.close();
  });

  it('selects the route from $request.body.action and falls back to $default', async () => {
    const { client, id } = await open('routes');
    client.ws.send('{"action":"chat","text":"a"}');
    client.ws.send('{"action":"unknown"}');
    client.ws.send('plain text');
    const chat = await recorder.waitFor((e) => idOf(e) === id && e.body === '{"action":"chat","text":"a"}');
    const unknown = await recorder.waitFor((e) => idOf(e) === id && e.body === '{"action":"unknown"}');
    const plain = await recorder.waitFor((e) => idOf(e) === id && e.body === 'plain text');
    await client.close();
    expect([chat, unknown, plain].map((e) => e.requestContext.routeKey)).toEqual(['chat', '$default', '$default']);
  });

  it("invokes handlers concurrently, without ordering one connection's messages", async () => {
    let releaseFirst: () => void = () => {};
    const secondSeen = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const concurrent = await startWebSocketEmulator({
      handler: async (event: WebSocketApiEvent) => {
        if (event.body === 'second') releaseFirst();
        if (event.body === 'first') await secondSeen; // only returns if 'second' ran while 'first' was running
        return { statusCode: 200 };
      },
    });
    try {
      const client = await connect(concurrent.url);
      client.ws.send('first');
      client.ws.send('second');
      await secondSeen;
      await client.close();
    } finally {
      await concurrent.stop();
    }
  });

  it('delivers posts to the client and describes the connection', async () => {
    const { client, id } = await open('post');
    await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'hello' }));
    expect(await client.nextMessage()).toBe('hello');
    const info = await management.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    await client.close();
  });

  it('answers 410 GoneException for a connection whose client left', async () => {
    const { client, id } = await open('leaves');
    await client.close(1000);
    const disconnected = await recorder.route('$disconnect', id);
    expect(disconnected.requestContext.disconnectStatusCode).toBe(1000);
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'x' }))).rejects.toMatchObject({
      name: 'GoneException',
      $metadata: { httpStatusCode: 410 },
    });
    await expect(management.send(new GetConnectionCommand({ ConnectionId: id }))).rejects.toMatchObject({
      name: 'GoneException',
    });
  });

  it('closes the socket on DeleteConnection and reports $disconnect', async () => {
    const { client, id } = await open('delete');
    await management.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect((await client.closed).code).toBe(1000);
    await recorder.route('$disconnect', id);
    expect(emulator.connectionIds()).not.toContain(id);
  });

  it('refuses posts over 128 KB with 413 PayloadTooLargeException and accepts 128 KB', async () => {
    const { client, id } = await open('large');
    const limit = 128 * 1024;
    await expect(
      management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.alloc(limit + 1, 97) })),
    ).rejects.toMatchObject({ name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } });
    await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.alloc(limit, 98) }));
    expect((await client.nextMessage()).length).toBe(limit);
    await client.close();
  });

  it('refuses posts while $connect is still running, as API Gateway does', async () => {
    const { client, id } = await open('early-post');
    expect(postErrors.get(id)).toBe('GoneException');
    await client.close();
  });

  it('refuses the handshake with the status of a non-2xx $connect result and sends no $disconnect', async () => {
    const refused = await connectRefused(`${emulator.url}?tag=refuse`);
    expect(refused.status).toBe(401);
    expect(refused.body).toBe('no');
    const refusedId = idOf(await recorder.waitFor((e) => tagOf(e) === 'refuse'));
    const { client, id } = await open('after-refuse');
    await client.close();
    await recorder.route('$disconnect', id);
    expect(recorder.events.some((e) => e.requestContext.routeKey === '$disconnect' && idOf(e) === refusedId)).toBe(
      false,
    );
  });

  it('refuses the handshake with 500 when $connect throws', async () => {
    expect((await connectRefused(`${emulator.url}?tag=throw`)).status).toBe(500);
  });

  it('refuses handshakes outside the stage path with 403', async () => {
    expect((await connectRefused(emulator.url.replace(/\/local$/, '/other'))).status).toBe(403);
  });

  it("answers a failed message invocation with API Gateway's error message", async () => {
    const { client, id } = await open('explode');
    client.ws.send('explode');
    const reply = JSON.parse(await client.nextMessage());
    expect(reply).toMatchObject({ message: 'Internal server error', connectionId: id });
    expect(typeof reply.requestId).toBe('string');
    await client.close();
  });

  it('returns the subprotocol chosen by $connect', async () => {
    const client = await connect(`${emulator.url}?tag=protocol`, ['chat.v1', 'chat.v0']);
    expect(client.ws.protocol).toBe('chat.v1');
    await client.close();
  });

  it('closes with 1009 a message over the frame limit and with 1003 a binary message', async () => {
    const big = await open('too-big');
    big.client.ws.send('x'.repeat(32 * 1024 + 1));
    expect((await big.client.closed).code).toBe(1009);
    expect((await recorder.route('$disconnect', big.id)).requestContext.disconnectStatusCode).toBe(1009);

    const binary = await open('binary');
    binary.client.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.client.closed).code).toBe(1003);
    expect((await recorder.route('$disconnect', binary.id)).requestContext.disconnectStatusCode).toBe(1003);
  });
});

describe('startWebSocketEmulator connection limits', () => {
  it('closes an idle connection with 1001 Going away after the configured idle timeout', async () => {
    const recorder = new EventRecorder();
    const emulator = await startWebSocketEmulator({ handler: recorder.handler, idleTimeout: 150 });
    try {
      const client = await connect(emulator.url);
      expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
      const disconnected = await recorder.route('$disconnect');
      expect(disconnected.requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: 'Going away' });
    } finally {
      await emulator.stop();
    }
  });

  it('closes a connection at the configured maximum age even while it is active', async () => {
    const recorder = new EventRecorder();
    const emulator = await startWebSocketEmulator({
      handler: recorder.handler,
      idleTimeout: 60_000,
      maxConnectionAge: 300,
    });
    try {
      const client = await connect(emulator.url);
      const keepAlive = setInterval(() => client.ws.send('ping'), 50);
      const closed = await client.closed;
      clearInterval(keepAlive);
      expect(closed.code).toBe(1001);
    } finally {
      await emulator.stop();
    }
  });
});

describe('parity with API Gateway', () => {
  it('accepts the percent-encoded /%40connections/ path, signed as a client signs it', async () => {
    const emulator = await startWebSocketEmulator({
      handler: async () => ({ statusCode: 200 }),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const client = await connect(emulator.url);
      const [id] = emulator.connectionIds();
      const { SignatureV4 } = await import('@smithy/signature-v4');
      const { Sha256 } = await import('../../../lambda/native/sigv4'); // node:crypto behind smithy's interface
      const url = new URL(`${emulator.managementEndpoint}/%40connections/${encodeURIComponent(id)}`);
      const signer = new SignatureV4({
        service: 'execute-api',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        sha256: Sha256,
      });
      const signed = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host, 'content-type': 'text/plain' },
        body: 'encoded path',
      });
      const answer = await fetch(url, { method: 'POST', headers: signed.headers, body: 'encoded path' });
      expect(answer.status).toBe(200);
      expect(await client.nextMessage()).toBe('encoded path');
      await client.close();
    } finally {
      await emulator.stop();
    }
  });

  it('reports a throwing authorizer like a throwing handler, and refuses the handshake with 500', async () => {
    const errors: unknown[] = [];
    const emulator = await startWebSocketEmulator({
      handler: async () => ({ statusCode: 200 }),
      authorizer: async () => {
        throw new Error('authorizer exploded');
      },
      onError: (error) => errors.push(error),
    });
    try {
      expect(await connectRefused(`${emulator.url}?token=x`)).toMatchObject({ status: 500 });
      expect(errors.map((e) => (e as Error).message)).toEqual(['authorizer exploded']);
    } finally {
      await emulator.stop();
    }
  });

  it('answers the client with the body of a two-way route, and only of one', async () => {
    const emulator = await startWebSocketEmulator({
      handler: async (event: WebSocketApiEvent) =>
        event.requestContext.routeKey === '$connect'
          ? { statusCode: 200 }
          : { statusCode: 200, body: `re: ${event.body}` },
      routes: ['ask'],
      routeResponses: ['ask'],
    });
    try {
      const client = await connect(emulator.url);
      client.ws.send('no answer');
      client.ws.send('{"action":"ask"}');
      expect(await client.nextMessage()).toBe('re: {"action":"ask"}');
      await client.close();
    } finally {
      await emulator.stop();
    }
  });

  it('keeps a connection open while the server sends to it (idle timeout), and closes it once both are quiet', async () => {
    const emulator = await startWebSocketEmulator({
      handler: async () => ({ statusCode: 200 }),
      idleTimeout: 400,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const api = managementClient(emulator);
    try {
      const client = await connect(emulator.url);
      const [id] = emulator.connectionIds();
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: `keep ${i}` }));
      }
      expect(emulator.connectionIds()).toEqual([id]); // 900 ms old, never idle for 400 ms
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(emulator.connectionIds()).toEqual([]);
      await client.close().catch(() => undefined);
    } finally {
      api.destroy();
      await emulator.stop();
    }
  });

  it('sends a 100 KB post as 32 KB frames on the wire (a text frame, then continuations, the last one final)', async () => {
    const emulator = await startWebSocketEmulator({
      handler: async () => ({ statusCode: 200 }),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const api = managementClient(emulator);
    const { connect: tcp } = await import('node:net');
    const url = new URL(emulator.url);
    const socket = tcp(Number(url.port), url.hostname);
    try {
      // A bare WebSocket handshake, then the raw bytes the server sends.
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      let bytes = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
      });
      const until = async (check: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => bytes.includes('\r\n\r\n') && emulator.connectionIds().length === 1);
      const start = bytes.indexOf('\r\n\r\n') + 4;
      const [id] = emulator.connectionIds();
      await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'w'.repeat(100 * 1024) }));
      await until(() => bytes.length - start >= 100 * 1024 + 4 * 4);
      const frames: Array<{ fin: boolean; opcode: number; length: number }> = [];
      let at = start;
      while (at < bytes.length) {
        const fin = (bytes[at] & 0x80) !== 0;
        const opcode = bytes[at] & 0x0f;
        let length = bytes[at + 1] & 0x7f;
        let header = 2;
        if (length === 126) {
          length = bytes.readUInt16BE(at + 2);
          header = 4;
        } else if (length === 127) {
          length = Number(bytes.readBigUInt64BE(at + 2));
          header = 10;
        }
        frames.push({ fin, opcode, length });
        at += header + length;
      }
      expect(frames).toEqual([
        { fin: false, opcode: 1, length: 32 * 1024 },
        { fin: false, opcode: 0, length: 32 * 1024 },
        { fin: false, opcode: 0, length: 32 * 1024 },
        { fin: true, opcode: 0, length: 4 * 1024 },
      ]);
    } finally {
      socket.destroy();
      api.destroy();
      await emulator.stop();
    }
  });

  it('delivers a 100 KB post (sent in 32 KB frames, as API Gateway does) whole', async () => {
    const emulator = await startWebSocketEmulator({
      handler: async () => ({ statusCode: 200 }),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const api = managementClient(emulator);
    try {
      const client = await connect(emulator.url);
      const [id] = emulator.connectionIds();
      const big = 'x'.repeat(100 * 1024);
      await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: big }));
      expect(await client.nextMessage()).toBe(big);
      await client.close();
    } finally {
      api.destroy();
      await emulator.stop();
    }
  });

  it('accepts a message sent in several frames up to 128 KB; a single frame over 32 KB closes with 1009', async () => {
    const bodies: string[] = [];
    const emulator = await startWebSocketEmulator({
      handler: async (event: WebSocketApiEvent) => {
        if (event.requestContext.routeKey === '$default') bodies.push(String(event.body));
        return { statusCode: 200 };
      },
    });
    try {
      const client = await connect(emulator.url);
      const part = 'y'.repeat(25 * 1024);
      for (let i = 0; i < 4; i++) {
        await new Promise<void>((resolve, reject) =>
          client.ws.send(part, { fin: i === 3 }, (error) => (error ? reject(error) : resolve())),
        );
      }
      const deadline = Date.now() + 5000;
      while (bodies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(bodies).toEqual([part.repeat(4)]);
      client.ws.send('z'.repeat(40 * 1024));
      expect(await client.closed).toMatchObject({ code: 1009 });
    } finally {
      await emulator.stop();
    }
  });
});

test('stop() ends an idle keep-alive TLS connection instead of waiting for it to expire', async () => {
  const { localCertificate } = await import('../../../local/dev/dev-app');
  const { request } = await import('node:https');
  const { Agent } = await import('node:https');
  const certificate = await localCertificate();
  const tlsEmulator = await startWebSocketEmulator({ handler: async () => ({ statusCode: 200 }), tls: certificate });
  const agent = new Agent({ keepAlive: true, ca: certificate.cert });
  // A management call over TLS on a kept-alive connection (as the functions' SDK clients make), left idle.
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${tlsEmulator.port}/${'local'}/@connections/nobody`,
      { agent, method: 'GET', servername: 'localhost' },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
  expect(status).toBeGreaterThanOrEqual(400);
  const started = Date.now();
  await tlsEmulator.stop();
  agent.destroy();
  // Node's keep-alive timeout is 5 s: a stop that waited for it would take that long.
  expect(Date.now() - started).toBeLessThan(4000);
}, 15_000);
