/**
 * The pre-built handler assets (assets/<name>/index.js, made by `npm run build`) run as Lambda runs them: the
 * minified bundle is required and invoked, so a bundling mistake (a missing module, a mangled error name, a
 * lazy import that esbuild could not resolve) fails here rather than after a deploy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Env, HandlerBundleName } from '../../lambda/contract';
import { ControlEndpoint } from '../helpers/control-endpoint';
import { decodeResult, gripSig, setEnv, wohEvent } from '../helpers/grip-events';

const ROOT = path.resolve(__dirname, '..', '..');
const asset = (name: string) => path.join(ROOT, 'assets', name, 'index.js');

type Handler = (event: unknown, context?: unknown) => Promise<Record<string, unknown>>;

let endpoint: ControlEndpoint;
let restoreEnv: () => void;

beforeAll(async () => {
  endpoint = await ControlEndpoint.start();
  restoreEnv = setEnv({
    [Env.GRIP_URL]: `${endpoint.uri}/?iss=backend&key=publish-secret&verify-iss=pushpin&verify-key=changeme`,
    [Env.GRIP_PROXIES]: undefined,
    [Env.GRIP_SECRET_ARN]: undefined,
    [Env.CONNECTION_TABLE]: undefined,
    [Env.MANAGEMENT_ENDPOINT]: undefined,
    [Env.AUTHORIZER_TOKEN]: 'let-me-in',
  });
  jest.spyOn(console, 'error').mockImplementation(() => {});
  jest.spyOn(console, 'warn').mockImplementation(() => {});
});

afterAll(async () => {
  restoreEnv();
  jest.restoreAllMocks();
  await endpoint.stop();
});

test('every handler of the contract is built (run `npm run build` first)', () => {
  const missing = Object.values(HandlerBundleName).filter((name) => !fs.existsSync(asset(name)));
  expect(missing).toEqual([]);
});

describe('the chat asset', () => {
  const load = (): Handler => require(asset(HandlerBundleName.CHAT)).handler;

  test('accepts an opening request and subscribes it to room', async () => {
    const result = decodeResult(await load()(wohEvent('http-v2', { events: [{ type: 'OPEN' }], connectionId: 'a' })));

    expect(result.statusCode).toBe(200);
    expect(result.events).toEqual(['OPEN', 'TEXT:c:{"type":"subscribe","channel":"room"}']);
  });

  test('publishes a message through the control API before it answers', async () => {
    const event = wohEvent('rest-v1', { events: [{ type: 'TEXT', content: 'from the bundle' }], connectionId: 'a' });

    const result = decodeResult(await load()(event));

    expect(result.statusCode).toBe(200);
    expect(endpoint.wsMessages('room')).toContain('anonymous: from the bundle');
  });

  test('refuses a request signed with the wrong key with 401', async () => {
    const event = wohEvent('function-url', {
      events: [{ type: 'OPEN' }],
      connectionId: 'b',
      sig: gripSig({ key: 'not-the-key' }),
    });

    const result = await load()(event);

    expect(result.statusCode).toBe(401);
  });
});

describe('the GRIP-only chat asset', () => {
  const load = (): Handler => require(asset(HandlerBundleName.CHAT_GRIP)).handler;

  test('carries none of the native transport (no management API client, no connection store)', () => {
    const code = fs.readFileSync(asset(HandlerBundleName.CHAT_GRIP), 'utf8');

    expect(code).not.toMatch(/client-apigatewaymanagementapi|fan-out did not reach every member/);
    // DynamoDB only for the channel log (the chat keeps history on GRIP too).
    expect(code).toMatch(/channel log table/);
    expect(fs.readFileSync(asset(HandlerBundleName.CHAT), 'utf8')).toMatch(/client-apigatewaymanagementapi/);
  });

  test('chats on GRIP: accepts, subscribes and publishes', async () => {
    const opened = decodeResult(await load()(wohEvent('http-v2', { events: [{ type: 'OPEN' }], connectionId: 'g' })));
    const said = decodeResult(
      await load()(wohEvent('rest-v1', { events: [{ type: 'TEXT', content: 'grip only' }], connectionId: 'g' })),
    );

    expect(opened.events).toEqual(['OPEN', 'TEXT:c:{"type":"subscribe","channel":"room"}']);
    expect(said.statusCode).toBe(200);
    expect(endpoint.wsMessages('room')).toContain('anonymous: grip only');
  });

  test('answers an API Gateway WebSocket event with 500 and a log line naming the bundle to use', async () => {
    const errors = jest.mocked(console.error);
    errors.mockClear();
    const event = {
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        connectionId: 'n1',
        domainName: 'x',
        stage: 'prod',
      },
      isBase64Encoded: false,
    };

    const result = await load()(event);

    expect(result.statusCode).toBe(500);
    const logged = errors.mock.calls.flat().join(' ');
    expect(logged).toContain('does not carry the API Gateway WebSocket (native) transport');
    expect(logged).toContain('HandlerBundle.CHAT');
  });
});

test('the authorizer asset allows the right token and denies another', async () => {
  const handler: Handler = require(asset(HandlerBundleName.AUTHORIZER)).handler;
  const event = (token: string) => ({
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef/prod/$connect',
    queryStringParameters: { token },
  });

  const allowed = JSON.stringify(await handler(event('let-me-in')));
  const denied = JSON.stringify(await handler(event('guess')));

  expect(allowed).toContain('"Effect":"Allow"');
  expect(denied).toContain('"Effect":"Deny"');
});
