import { Env } from '../../../lambda/contract';
import { handler as longPoll } from '../../../lambda/examples/long-poll';
import { getEvent as get, SHAPES, setEnv, useGripEnv } from '../../helpers/grip-events';

useGripEnv(() => 'http://127.0.0.1:5561/?verify-iss=pushpin&verify-key=changeme');

describe('long-poll handler', () => {
  test.each(SHAPES)('holds a response on the channel (%s)', async (shape) => {
    const result = await longPoll(get(shape, { path: '/poll/orders' }));

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'Grip-Hold': 'response', 'Grip-Channel': 'orders' });
    expect(result.body).toBe('request timed out\n');
  });

  test('adds GRIP_PREFIX to the channel', async () => {
    const restore = setEnv({ [Env.GRIP_PREFIX]: 'app-' });
    const result = await longPoll(get('http-v2', { path: '/poll', query: { channel: 'orders' } }));
    restore();

    expect(result.headers['Grip-Channel']).toBe('app-orders');
  });
});
