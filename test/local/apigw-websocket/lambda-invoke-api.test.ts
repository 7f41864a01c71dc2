import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { namesFunction } from '../../../local/apigw-websocket/lambda-invoke-api';
import { startWebSocketEmulator, type WebSocketEmulator } from '../../../local/apigw-websocket/websocket-emulator';

describe('the emulator Lambda Invoke endpoint', () => {
  let emulator: WebSocketEmulator;
  let lambda: LambdaClient;
  const asyncEvents: unknown[] = [];
  const invoked: unknown[] = [];
  let asyncSeen: (event: unknown) => void = () => {};

  beforeAll(async () => {
    emulator = await startWebSocketEmulator({
      functionName: 'chat-fn',
      onError: () => {},
      handler: async (event: { kind?: string; value?: number }) => {
        invoked.push(event);
        if (event.kind === 'async') {
          asyncEvents.push(event);
          asyncSeen(event);
          return undefined;
        }
        if (event.kind === 'fail') throw new TypeError('bad input');
        return { doubled: (event.value ?? 0) * 2 };
      },
    });
    lambda = lambdaClient(emulator.credentials);
  });
  afterAll(async () => {
    lambda.destroy();
    await emulator.stop();
  });

  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const lambdaClient = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new LambdaClient({ endpoint: emulator.lambdaEndpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const invokeUrl = () => `${emulator.lambdaEndpoint}/2015-03-31/functions/chat-fn/invocations`;

  it('signs with a key pair of its own run unless given one', () => {
    expect(emulator.credentials.accessKeyId).toBe('local');
    expect(emulator.credentials.secretAccessKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an unsigned invoke, or one signed with another secret, and runs nothing', async () => {
    const before = invoked.length;
    const unsigned = await fetch(invokeUrl(), {
      method: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'Event' },
      body: JSON.stringify({ kind: 'async', forged: true }),
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const stranger = lambdaClient({ accessKeyId: 'local', secretAccessKey: 'not-the-run-secret' });
    try {
      await expect(
        stranger.send(new InvokeCommand({ FunctionName: 'chat-fn', Payload: payload({ value: 1 }) })),
      ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    } finally {
      stranger.destroy();
    }
    expect(invoked.length).toBe(before);
  });

  it('refuses a signed invoke that carries the marks of a cross-origin page', async () => {
    const before = invoked.length;
    for (const headers of [{ origin: 'http://127.0.0.1:9' }, { 'sec-fetch-site': 'same-site' }]) {
      const client = lambdaClient(emulator.credentials);
      client.middlewareStack.add(
        (next) => (args) => {
          Object.assign((args.request as { headers: Record<string, string> }).headers, headers);
          return next(args);
        },
        { step: 'build' },
      );
      try {
        await expect(
          client.send(new InvokeCommand({ FunctionName: 'chat-fn', Payload: payload({ value: 2 }) })),
        ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      } finally {
        client.destroy();
      }
    }
    expect(invoked.length).toBe(before);
  });

  it('answers 202 to an Event invocation and runs the handler in the background', async () => {
    const seen = new Promise((resolve) => {
      asyncSeen = resolve;
    });
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'chat-fn',
        InvocationType: 'Event',
        Payload: payload({ kind: 'async', n: 1 }),
      }),
    );
    expect(result.StatusCode).toBe(202);
    expect(await seen).toEqual({ kind: 'async', n: 1 });
  });

  it('returns the result of a RequestResponse invocation', async () => {
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:chat-fn',
        Payload: payload({ value: 21 }),
      }),
    );
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(result.Payload))).toEqual({ doubled: 42 });
  });

  it('reports a thrown error as an Unhandled function error', async () => {
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: 'chat-fn', Payload: payload({ kind: 'fail' }) }),
    );
    expect(result.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(result.Payload))).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'bad input',
    });
  });

  it('answers ResourceNotFoundException for another function', async () => {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'other-fn', Payload: payload({}) })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('namesFunction', () => {
  it('accepts names, qualified names, ARNs and partial ARNs of the function only', () => {
    for (const name of ['fn', 'fn:$LATEST', 'arn:aws:lambda:eu-west-1:1:function:fn', '1:function:fn:prod']) {
      expect(namesFunction(name, 'fn')).toBe(true);
    }
    expect(namesFunction('fn2', 'fn')).toBe(false);
    expect(namesFunction('arn:aws:lambda:eu-west-1:1:function:fn2', 'fn')).toBe(false);
  });
});
