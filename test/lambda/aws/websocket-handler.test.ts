import { webSocketHandler } from '../../../lambda/aws/websocket-handler';
import { Env, MetricName } from '../../../lambda/contract';
import { publish } from '../../../lambda/core/publish';
import { WebSocketMessageFormat } from '../../../lambda/grip/formats';
import { ControlEndpoint } from '../../helpers/control-endpoint';
import {
  captureConsole,
  decodeResult,
  fixture,
  gripSig,
  SHAPES,
  setEnv,
  useGripEnv,
  wohEvent,
} from '../../helpers/grip-events';

let endpoint: ControlEndpoint;
let logs: string[];

beforeAll(async () => {
  endpoint = await ControlEndpoint.start();
});

afterAll(async () => {
  await endpoint.stop();
});

useGripEnv(() => `${endpoint.uri}/?iss=backend&key=publish-secret&verify-iss=pushpin&verify-key=changeme`);

beforeEach(() => {
  endpoint.published.length = 0;
  endpoint.statuses.length = 0;
  endpoint.hold = undefined;
  logs = captureConsole();
});

/** Captures the EMF lines the handler flushes (metrics are otherwise silent under jest). */
function captureMetrics(): { lines: string[]; restore: () => void } {
  const restore = setEnv({ POWERTOOLS_METRICS_DISABLED: 'false' });
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    if (String(chunk).includes('"_aws"')) {
      lines.push(String(chunk));
      return true;
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  });
  return {
    lines,
    restore: () => {
      spy.mockRestore();
      restore();
    },
  };
}

describe.each(SHAPES)('webSocketHandler on %s events', (shape) => {
  test('accepts an opening request and answers in the shape of the event', async () => {
    const handler = webSocketHandler((ws) => {
      expect(ws.isOpening()).toBe(true);
      ws.accept();
      ws.subscribe('room');
      ws.send('welcome');
    });

    const result = decodeResult(await handler(wohEvent(shape, { events: [{ type: 'OPEN' }] })));

    expect(result.statusCode).toBe(200);
    expect(result.headers['Content-Type']).toBe('application/websocket-events');
    expect(result.headers['Sec-WebSocket-Extensions']).toBe('grip');
    expect(result.events).toEqual(['OPEN', 'TEXT:c:{"type":"subscribe","channel":"room"}', 'TEXT:m:welcome']);
  });

  test('runs the function for a keep-alive request with body null and answers no events', async () => {
    const seen: boolean[] = [];
    const handler = webSocketHandler((ws) => void seen.push(ws.canRecv()));

    const result = decodeResult(await handler(wohEvent(shape, { events: null })));

    expect(seen).toEqual([false]);
    expect(result.statusCode).toBe(200);
    expect(result.events).toEqual([]);
  });

  test('refuses a request without Grip-Sig with 401 before the function runs', async () => {
    const fn = jest.fn();
    const handler = webSocketHandler(fn);

    const result = decodeResult(await handler(wohEvent(shape, { sig: null })));

    expect(result.statusCode).toBe(401);
    expect(result.headers['Content-Type']).toMatch(/^text\/plain/);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('webSocketHandler with the unmodified AWS samples', () => {
  test('HTTP API v2 sample: reads TEXT and CLOSE, decodes encoded meta, echoes the CLOSE', async () => {
    const restore = setEnv({ [Env.GRIP_SIG_VERIFY]: 'off' });
    const seen: Array<string | null> = [];
    let user: string | undefined;
    const handler = webSocketHandler((ws) => {
      user = ws.meta.user;
      while (ws.canRecv()) seen.push(ws.recv());
    });

    const result = decodeResult(await handler(fixture('http-v2')));
    restore();

    expect(user).toBe('Zoë');
    expect(seen).toEqual(['hello', null]);
    expect(result.events).toEqual(['CLOSE:1000:bye']);
  });

  test('function URL sample with body null is a request without events', async () => {
    const restore = setEnv({ [Env.GRIP_SIG_VERIFY]: 'off' });
    const handler = webSocketHandler((ws) => expect(ws.canRecv()).toBe(false));

    const result = decodeResult(await handler(fixture('function-url')));
    restore();

    expect(result.statusCode).toBe(200);
    expect(result.events).toEqual([]);
  });
});

describe('signature enforcement', () => {
  const forged = [
    ['a wrong key', () => gripSig({ key: 'not-the-key' })],
    ['an expired token', () => gripSig({ expiresInSeconds: -3600 })],
    ['the wrong issuer', () => gripSig({ iss: 'someone-else' })],
    ['garbage', () => 'garbage'],
  ] as const;

  test.each(forged)('refuses %s with 401, never runs the function, logs without the token', async (_name, make) => {
    const token = make();
    const fn = jest.fn();
    const metrics = captureMetrics();

    const result = await webSocketHandler(fn)(wohEvent('rest-v1', { sig: token }));
    metrics.restore();

    expect(decodeResult(result).statusCode).toBe(401);
    expect(fn).not.toHaveBeenCalled();
    expect(logs.some((line) => line.includes('Grip-Sig missing or invalid'))).toBe(true);
    expect(logs.join('\n')).not.toContain(token);
    expect(metrics.lines.join('')).toContain(`"${MetricName.SIGNATURE_REJECTED}":1`);
  });

  test('answers 500 and runs nothing when verification is on but no verify key is configured', async () => {
    const restore = setEnv({ [Env.GRIP_URL]: `${endpoint.uri}/` });
    const fn = jest.fn();

    const result = decodeResult(await webSocketHandler(fn)(wohEvent('http-v2')));
    restore();

    expect(result.statusCode).toBe(500);
    expect(fn).not.toHaveBeenCalled();
    expect(logs.join('\n')).toContain('no verify key is configured');
  });
});

describe('requests that are not WebSocket-over-HTTP', () => {
  test('a signed GET gets 400 and the function does not run', async () => {
    const fn = jest.fn();

    const result = decodeResult(await webSocketHandler(fn)(wohEvent('http-v2', { method: 'GET', events: null })));

    expect(result.statusCode).toBe(400);
    expect(result.bodyText).toBe('Not a WebSocket-over-HTTP request\n');
    expect(fn).not.toHaveBeenCalled();
  });

  test('an event of no known kind gets 400', async () => {
    const fn = jest.fn();

    const result = decodeResult(await webSocketHandler(fn)({ hello: 'world' }));

    expect(result.statusCode).toBe(400);
    expect(fn).not.toHaveBeenCalled();
  });

  test('a malformed websocket-events body gets 400 naming the problem', async () => {
    const event = wohEvent('rest-v1');
    event.body = Buffer.from('TEXT zz\r\nhello\r\n').toString('base64');
    const fn = jest.fn();

    const result = decodeResult(await webSocketHandler(fn)(event));

    expect(result.statusCode).toBe(400);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('errors in the user function', () => {
  test('while handling a message: logged, counted, answered with CLOSE 1011 and nothing else', async () => {
    const metrics = captureMetrics();
    const handler = webSocketHandler((ws) => {
      ws.send('partial');
      ws.meta.half = 'done';
      throw new Error('boom in user code');
    });

    const result = decodeResult(await handler(wohEvent('http-v2', { events: [{ type: 'TEXT', content: 'hi' }] })));
    metrics.restore();

    expect(result.statusCode).toBe(200);
    expect(result.events).toEqual(['CLOSE:1011:internal error']);
    expect(Object.keys(result.headers).filter((h) => h.startsWith('Set-Meta-'))).toEqual([]);
    expect(logs.some((line) => line.includes('boom in user code') && line.includes('"level":"error"'))).toBe(true);
    expect(metrics.lines.join('')).toContain(`"${MetricName.HANDLER_ERRORS}":1`);
  });

  test('while opening: OPEN then CLOSE 1011, so the client sees the code', async () => {
    const handler = webSocketHandler(async () => {
      throw new TypeError('cannot open');
    });

    const result = decodeResult(await handler(wohEvent('rest-v1', { events: [{ type: 'OPEN' }] })));

    expect(result.statusCode).toBe(200);
    expect(result.headers['Sec-WebSocket-Extensions']).toBe('grip');
    expect(result.events).toEqual(['OPEN', 'CLOSE:1011:internal error']);
  });

  test('an invalid action (close code 999) is mapped the same way', async () => {
    const handler = webSocketHandler((ws) => ws.close(999));

    const result = decodeResult(await handler(wohEvent('rest-v1', { events: [{ type: 'TEXT', content: 'x' }] })));

    expect(result.events).toEqual(['CLOSE:1011:internal error']);
  });

  test('state that cannot be answered (meta that is not a string) is mapped the same way', async () => {
    const handler = webSocketHandler((ws) => {
      (ws.meta as Record<string, unknown>).count = 5;
    });

    const result = decodeResult(await handler(wohEvent('http-v2', { events: [{ type: 'TEXT', content: 'x' }] })));

    expect(result.events).toEqual(['CLOSE:1011:internal error']);
    expect(logs.some((line) => line.includes('MetaError'))).toBe(true);
  });

  test('while the peer closes: the CLOSE is still echoed with its own code', async () => {
    const handler = webSocketHandler(() => {
      throw new Error('fails on close');
    });
    const close = Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('bye')]);

    const result = decodeResult(await handler(wohEvent('rest-v1', { events: [{ type: 'CLOSE', content: close }] })));

    expect(result.events).toEqual(['CLOSE:4000:bye']);
  });
});

describe('publishes started by the function', () => {
  test('a seed-style publish that is never awaited reaches the proxy before the handler answers', async () => {
    let release = () => {};
    endpoint.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = webSocketHandler((ws) => {
      while (ws.canRecv()) {
        const message = ws.recv();
        if (message !== null) void publish('room', new WebSocketMessageFormat(`anonymous: ${message}`));
      }
    });

    const answer = handler(wohEvent('http-v2', { events: [{ type: 'TEXT', content: 'hello' }] }));
    while (endpoint.received === 0) await new Promise((resolve) => setImmediate(resolve));
    let answered = false;
    void answer.then(() => {
      answered = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    release();
    const result = decodeResult(await answer);

    expect(result.statusCode).toBe(200);
    expect(endpoint.wsMessages('room')).toEqual(['anonymous: hello']);
  });

  test('a failed un-awaited publish is logged with its cause and counted, and the answer is unchanged', async () => {
    endpoint.statuses.push(400);
    const metrics = captureMetrics();
    const handler = webSocketHandler((ws) => {
      ws.recv();
      void publish('room', new WebSocketMessageFormat('lost?'));
      ws.send('ok');
    });

    const result = decodeResult(await handler(wohEvent('rest-v1', { events: [{ type: 'TEXT', content: 'x' }] })));
    metrics.restore();

    expect(result.events).toEqual(['TEXT:m:ok']);
    const line = logs.find((l) => l.includes('publish failed'));
    expect(line).toBeDefined();
    expect(line).toContain('HTTP 400');
    expect(line).toContain(endpoint.uri);
    expect(line).toContain('"channel":"room"');
    expect(metrics.lines.join('')).toContain(`"${MetricName.PUBLISH_ERRORS}":1`);
  });
});
