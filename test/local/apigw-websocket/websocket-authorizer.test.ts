import type { WebSocketAuthorizerEvent } from '../../../local/apigw-websocket/websocket-api-events';
import { evaluateAuthorizerResult } from '../../../local/apigw-websocket/websocket-authorizer';
import { startWebSocketEmulator, type WebSocketEmulator } from '../../../local/apigw-websocket/websocket-emulator';
import { EventRecorder } from '../../helpers/local-event-recorder';
import { connect, connectRefused } from '../../helpers/local-ws-client';

const policy = (effect: string, resource: string) => ({
  principalId: 'user-1',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  context: { user: 'alice', admin: false },
});

describe('startWebSocketEmulator with a $connect REQUEST authorizer', () => {
  let emulator: WebSocketEmulator;
  let recorder: EventRecorder;
  const authorizerCalls: WebSocketAuthorizerEvent[] = [];

  beforeAll(async () => {
    recorder = new EventRecorder();
    emulator = await startWebSocketEmulator({
      handler: recorder.handler,
      onError: () => {},
      authorizer: async (event: WebSocketAuthorizerEvent) => {
        authorizerCalls.push(event);
        const token = event.queryStringParameters.token;
        if (token === 'unauthorized') throw new Error('Unauthorized');
        if (token === 'broken') throw new Error('database down');
        return policy(token === 'allow' ? 'Allow' : 'Deny', event.methodArn);
      },
    });
  });
  afterAll(() => emulator.stop());

  it('answers 401 without calling the authorizer when the token is missing', async () => {
    const before = authorizerCalls.length;
    expect((await connectRefused(emulator.url)).status).toBe(401);
    expect(authorizerCalls.length).toBe(before);
  });

  it('answers 403 when the policy denies', async () => {
    const refused = await connectRefused(`${emulator.url}?token=deny`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ message: 'Forbidden' });
  });

  it('answers 401 when the authorizer throws Unauthorized and 500 for other errors', async () => {
    expect((await connectRefused(`${emulator.url}?token=unauthorized`)).status).toBe(401);
    expect((await connectRefused(`${emulator.url}?token=broken`)).status).toBe(500);
  });

  it('connects when the policy allows and passes the context to every later event', async () => {
    const client = await connect(`${emulator.url}?token=allow`);
    const connected = await recorder.route('$connect');
    const id = String(connected.requestContext.connectionId);
    client.ws.send('hi');
    const message = await recorder.route('$default', id);
    await client.close();
    const disconnected = await recorder.route('$disconnect', id);
    for (const event of [connected, message, disconnected]) {
      expect(event.requestContext.authorizer).toMatchObject({ principalId: 'user-1', user: 'alice', admin: false });
    }
    expect(recorder.events.filter((e) => e.requestContext.routeKey === '$connect')).toHaveLength(1);
  });
});

describe('evaluateAuthorizerResult', () => {
  const arn = 'arn:aws:execute-api:us-east-1:123456789012:abc/local/$connect';

  it('allows a wildcard resource and denies when a Deny statement also matches', () => {
    expect(evaluateAuthorizerResult(policy('Allow', 'arn:aws:execute-api:*:*:abc/*'), arn).allowed).toBe(true);
    const both = policy('Allow', arn);
    both.policyDocument.Statement.push({ Action: 'execute-api:*', Effect: 'Deny', Resource: '*' });
    expect(evaluateAuthorizerResult(both, arn)).toMatchObject({ allowed: false, status: 403 });
  });

  it('denies an Allow for another resource and fails a result without a policy', () => {
    expect(evaluateAuthorizerResult(policy('Allow', `${arn}x`), arn)).toMatchObject({ allowed: false, status: 403 });
    expect(evaluateAuthorizerResult({ principalId: 'x' }, arn)).toMatchObject({ allowed: false, status: 500 });
  });
});
