import type { HttpV2Event, RestProxyEvent } from '../../../local/grip/proxy-event';
import { type RestFrontDoor, startRestFrontDoor } from '../../../local/grip/rest-front-door';
import { httpRequest } from '../../helpers/local-http-client';

const BINARY = Buffer.from([0x4f, 0x50, 0x45, 0x4e, 0x0d, 0x0a, 0xff, 0x00, 0xfe]);

describe('startRestFrontDoor (REST API, payload 1.0)', () => {
  let door: RestFrontDoor;
  const events: RestProxyEvent[] = [];
  let reply: (event: RestProxyEvent) => unknown = () => ({ statusCode: 200, body: 'ok' });

  beforeAll(async () => {
    door = await startRestFrontDoor({
      onError: () => {},
      handler: async (event: RestProxyEvent) => {
        events.push(event);
        return reply(event);
      },
    });
  });
  afterAll(() => door.stop());
  beforeEach(() => {
    reply = () => ({ statusCode: 200, body: 'ok' });
  });

  const send = (path: string, options: Parameters<typeof httpRequest>[1] = {}) =>
    httpRequest(`http://127.0.0.1:${door.port}${path}`, {
      ...options,
      headers: { Host: door.hostHeader, ...options.headers },
    });

  it('base64-encodes a body whose Content-Type is a binary media type', async () => {
    const res = await send('/prod/ws/room?a=1&a=2&b=x', {
      method: 'POST',
      headers: { 'Content-Type': 'application/websocket-events', 'X-Custom': ['one', 'two'] },
      body: BINARY,
    });
    expect(res.status).toBe(200);
    const event = events[events.length - 1];
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(BINARY);
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/ws/room',
      httpMethod: 'POST',
      pathParameters: { proxy: 'ws/room' },
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      requestContext: { path: '/prod/ws/room', stage: 'prod', httpMethod: 'POST', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event.multiValueHeaders['X-Custom']).toEqual(['one', 'two']);
    expect(event.headers['X-Custom']).toBe('two');
    expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');
  });

  it('passes a text body as text and the root path with null path parameters', async () => {
    await send('/prod/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    const event = events[events.length - 1];
    expect(event).toMatchObject({ resource: '/', path: '/', pathParameters: null, queryStringParameters: null });
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('{"a":1}');
  });

  it('decodes a base64 result only when the first Accept type is a binary media type', async () => {
    reply = () => ({
      statusCode: 200,
      headers: { 'Content-Type': 'application/websocket-events' },
      body: BINARY.toString('base64'),
      isBase64Encoded: true,
    });
    const binary = await send('/prod/ws', { headers: { Accept: 'application/websocket-events, text/plain' } });
    expect(binary.body).toEqual(BINARY);
    const literal = await send('/prod/ws', { headers: { Accept: 'text/plain, application/websocket-events' } });
    expect(literal.text).toBe(BINARY.toString('base64'));
  });

  it('merges headers and multiValueHeaders, the multi-value list winning', async () => {
    reply = () => ({
      statusCode: 201,
      headers: { 'X-One': '1', 'X-Two': 'single' },
      multiValueHeaders: { 'X-Two': ['a', 'b'], 'Set-Cookie': ['c=1', 'd=2'] },
      body: '',
    });
    const res = await send('/prod/x');
    expect(res.status).toBe(201);
    expect(res.headers['x-one']).toBe('1');
    expect(res.headers['x-two']).toBe('a, b');
    expect(res.headers['set-cookie']).toEqual(['c=1', 'd=2']);
  });

  it('answers 403 Forbidden without the stage prefix or with another Host', async () => {
    const count = events.length;
    const noStage = await send('/ws');
    expect(noStage.status).toBe(403);
    expect(JSON.parse(noStage.text)).toEqual({ message: 'Forbidden' });
    const otherHost = await send('/prod/ws', { headers: { Host: 'example.com' } });
    expect(otherHost.status).toBe(403);
    expect(events.length).toBe(count);
  });

  it('answers 502 Internal server error when the handler throws or returns no status', async () => {
    reply = () => {
      throw new Error('boom');
    };
    const thrown = await send('/prod/x');
    expect(thrown.status).toBe(502);
    expect(JSON.parse(thrown.text)).toEqual({ message: 'Internal server error' });
    reply = () => ({ body: 'no status' });
    expect((await send('/prod/x')).status).toBe(502);
  });
});

describe('startRestFrontDoor (HTTP API and Function URL, payload 2.0)', () => {
  it('emits HTTP API v2 events under a named stage and infers a JSON reply without statusCode', async () => {
    const events: HttpV2Event[] = [];
    const door = await startRestFrontDoor({
      eventVersion: 'http-v2',
      stage: 'live',
      handler: async (event: HttpV2Event) => {
        events.push(event);
        return { hello: 'world' };
      },
    });
    try {
      const res = await httpRequest(`${door.url}/ws?a=1&a=2`, {
        method: 'POST',
        headers: { Host: door.hostHeader, 'Content-Type': 'application/websocket-events', Cookie: 'k=v; m=n' },
        body: BINARY,
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ hello: 'world' });
      expect(events[0]).toMatchObject({
        version: '2.0',
        routeKey: '$default',
        rawPath: '/live/ws',
        rawQueryString: 'a=1&a=2',
        cookies: ['k=v', 'm=n'],
        queryStringParameters: { a: '1,2' },
        isBase64Encoded: true,
        requestContext: { stage: 'live', http: { method: 'POST', path: '/live/ws', sourceIp: '127.0.0.1' } },
      });
      expect(events[0].headers['content-type']).toBe('application/websocket-events');
      expect(Buffer.from(events[0].body ?? '', 'base64')).toEqual(BINARY);
    } finally {
      await door.stop();
    }
  });

  it('emits Function URL events without a stage and always decodes a base64 reply', async () => {
    const door = await startRestFrontDoor({
      eventVersion: 'function-url',
      handler: async (event: HttpV2Event) => ({
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream' },
        cookies: ['s=1'],
        body: Buffer.from(event.rawPath).toString('base64'),
        isBase64Encoded: true,
      }),
    });
    try {
      expect(door.url).toBe(`http://127.0.0.1:${door.port}`);
      const res = await httpRequest(`${door.url}/ws/x`, { headers: { Host: door.hostHeader, Accept: 'text/html' } });
      expect(res.text).toBe('/ws/x');
      expect(res.headers['set-cookie']).toEqual(['s=1']);
    } finally {
      await door.stop();
    }
  });
});
