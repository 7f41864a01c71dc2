import { handler as stream } from '../../../lambda/examples/stream';
import { getEvent as get, SHAPES, useGripEnv } from '../../helpers/grip-events';

useGripEnv(() => 'http://127.0.0.1:5561/?verify-iss=pushpin&verify-key=changeme');

describe.each(SHAPES)('stream handler on %s events', (shape) => {
  test('holds a plain stream on the channel named by the path', async () => {
    const result = await stream(get(shape));

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({
      'Content-Type': 'text/plain',
      'Grip-Hold': 'stream',
      'Grip-Channel': 'news',
    });
    expect(result.body).toBe('stream opened, prepare yourself!\n');
  });

  test('holds a Server-Sent Events stream when the client accepts text/event-stream', async () => {
    const result = await stream(get(shape, { query: { channel: 'ticker' }, accept: 'text/event-stream' }));

    expect(result.headers).toMatchObject({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'Grip-Hold': 'stream',
      'Grip-Channel': 'ticker',
      'Grip-Keep-Alive': `${Buffer.from(':\n\n').toString('base64')}; format=base64; timeout=20`,
    });
    expect(result.body).toBe(': stream opened\n\n');
  });
});
