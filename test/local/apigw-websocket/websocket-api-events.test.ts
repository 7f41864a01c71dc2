import { startWebSocketEmulator, type WebSocketEmulator } from '../../../local/apigw-websocket/websocket-emulator';
import authorizerFixture from '../../fixtures/apigw-websocket-authorizer.json';
import connectFixture from '../../fixtures/apigw-websocket-connect.json';
import disconnectFixture from '../../fixtures/apigw-websocket-disconnect.json';
import messageFixture from '../../fixtures/apigw-websocket-message.json';
import { EventRecorder } from '../../helpers/local-event-recorder';
import { connect } from '../../helpers/local-ws-client';

/** The type skeleton of a value: same keys, same value types (arrays by their first element). */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? ['array', shape(value[0])] : ['array'];
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

describe('websocket emulator events match events captured from AWS', () => {
  let emulator: WebSocketEmulator;
  let recorder: EventRecorder;
  let authorizerInput: unknown;

  beforeAll(async () => {
    recorder = new EventRecorder();
    emulator = await startWebSocketEmulator({ handler: recorder.handler, routes: ['chat'], stage: 'prod' });
  });
  afterAll(() => emulator.stop());

  it('emits $connect, message and $disconnect events shaped like the AWS fixtures', async () => {
    // GIVEN a client that connects, sends a routed message and closes without a status
    const client = await connect(emulator.url);
    const connected = await recorder.route('$connect');
    const id = String(connected.requestContext.connectionId);
    client.ws.send(JSON.stringify({ action: 'chat', message: 'Hello from client' }));
    const message = await recorder.route('chat', id);
    await client.close();
    const disconnected = await recorder.route('$disconnect', id);

    // THEN each event has the keys and value types of the captured one
    expect(shape(connected)).toEqual(shape(connectFixture));
    expect(shape(message)).toEqual(shape(messageFixture));
    expect(shape(disconnected)).toEqual(shape(disconnectFixture));
    // AND the header names are the ones API Gateway forwards
    expect(Object.keys(connected.headers ?? {}).sort()).toEqual(Object.keys(connectFixture.headers).sort());
    expect(Object.keys(disconnected.headers ?? {}).sort()).toEqual(Object.keys(disconnectFixture.headers).sort());
    // AND the values describe this connection
    expect(connected.requestContext).toMatchObject({ stage: 'prod', apiId: emulator.apiId, messageDirection: 'IN' });
    expect(message.body).toBe('{"action":"chat","message":"Hello from client"}');
    expect(disconnected.requestContext).toMatchObject({
      connectionId: id,
      disconnectStatusCode: 1005,
      disconnectReason: 'Client-side close frame status not set',
      connectedAt: connected.requestContext.connectedAt,
    });
    expect(id).toMatch(/^[A-Za-z0-9_-]{15}=$/);
  });

  it('adds the query maps to $connect only when the URL has a query string', async () => {
    const client = await connect(`${emulator.url}?room=a&room=b&user=x`);
    const connected = await recorder.waitFor(
      (e) => e.requestContext.routeKey === '$connect' && e.queryStringParameters !== undefined,
    );
    await client.close();
    expect(connected.queryStringParameters).toEqual({ room: 'b', user: 'x' });
    expect(connected.multiValueQueryStringParameters).toEqual({ room: ['a', 'b'], user: ['x'] });
  });

  it('gives a REQUEST authorizer the input shaped like the AWS example', async () => {
    const authorized = await startWebSocketEmulator({
      handler: new EventRecorder().handler,
      stage: 'production',
      identitySource: ['route.request.querystring.QueryString1'],
      authorizer: async (event: { methodArn: string }) => {
        authorizerInput = event;
        return {
          principalId: 'me',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
          },
        };
      },
    });
    try {
      const client = await connect(`${authorized.url}?QueryString1=queryValue1`);
      await client.close();
    } finally {
      await authorized.stop();
    }
    expect(shape(authorizerInput)).toEqual(shape(authorizerFixture));
    expect(Object.keys((authorizerInput as { headers: object }).headers).sort()).toEqual(
      Object.keys(authorizerFixture.headers).sort(),
    );
    expect(authorizerInput).toMatchObject({
      methodArn: `arn:aws:execute-api:us-east-1:123456789012:${authorized.apiId}/production/$connect`,
      queryStringParameters: { QueryString1: 'queryValue1' },
    });
  });
});
