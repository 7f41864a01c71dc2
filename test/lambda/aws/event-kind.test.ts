import { eventKind } from '../../../lambda/aws/event-kind';
import { holdStream, httpHoldHandler } from '../../../lambda/index';
import { fixture, getEvent, SHAPES, useGripEnv, wohEvent } from '../../helpers/grip-events';

describe('eventKind: the one dispatch decision of every entry point', () => {
  test.each(SHAPES)('a %s event is grip-http', (shape) => {
    expect(eventKind(wohEvent(shape))).toBe('grip-http');
    expect(eventKind(fixture(shape))).toBe('grip-http');
  });

  test.each(['CONNECT', 'MESSAGE', 'DISCONNECT'])('an API Gateway WebSocket %s event is native', (eventType) => {
    const event = { requestContext: { connectionId: 'c1', eventType, routeKey: '$default' }, body: 'x' };
    expect(eventKind(event)).toBe('native');
  });

  test('the pending-delivery self-invocation is recognised without loading the native transport', () => {
    expect(eventKind({ faasGripDeliverPending: { connectionId: 'c1' } })).toBe('pending-delivery');
    expect(eventKind({ faasGripDeliverPending: { connectionId: '' } })).toBe('unknown');
  });

  test.each([
    ['null', null],
    ['a string', 'GET /'],
    ['an empty object', {}],
    ['a requestContext without http or connectionId', { requestContext: {} }],
    ['an S3 event', { Records: [{ eventSource: 'aws:s3' }] }],
  ])('%s is unknown', (_name, event) => {
    expect(eventKind(event)).toBe('unknown');
  });
});

describe('httpHoldHandler, public next to webSocketHandler', () => {
  useGripEnv(() => 'http://127.0.0.1:9/?verify-iss=pushpin&verify-key=changeme');

  test('answers a verified GET with the builder hold, on the channel the request names', async () => {
    const handler = httpHoldHandler('fallback', ({ channel }) => holdStream({ channels: [channel] }));

    const result = await handler(getEvent('http-v2', { path: '/stream/news' }));

    expect(result.statusCode).toBe(200);
    expect(result.headers['Grip-Channel']).toBe('news');
  });

  test('refuses a forged request with 401 and a non-HTTP event with 400, before the builder runs', async () => {
    const built: string[] = [];
    const handler = httpHoldHandler('fallback', ({ channel }) => {
      built.push(channel);
      return holdStream({ channels: [channel] });
    });

    expect((await handler(getEvent('rest-v1', { sig: null }))).statusCode).toBe(401);
    expect((await handler({ hello: 'world' })).statusCode).toBe(400);
    expect(built).toEqual([]);
  });
});
