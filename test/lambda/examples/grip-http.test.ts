import { resetContainer } from '../../../lambda/core/container';
import { handler as longPoll } from '../../../lambda/examples/long-poll';
import { handler as stream } from '../../../lambda/examples/stream';
import { getEvent as get, gripSig, setEnv, useGripEnv, wohEvent } from '../../helpers/grip-events';

useGripEnv(() => 'http://127.0.0.1:5561/?verify-iss=pushpin&verify-key=changeme');

describe('refusals of the hold handlers', () => {
  test.each([
    ['no Grip-Sig', null, 401],
    ['a forged Grip-Sig', gripSig({ key: 'forged' }), 401],
  ])('%s gets %s', async (_name, sig, status) => {
    const event = wohEvent('rest-v1', { method: 'GET', events: null, path: '/stream/news', sig });

    const [a, b] = await Promise.all([stream(event), longPoll(event)]);

    expect(a.statusCode).toBe(status);
    expect(b.statusCode).toBe(status);
    expect(a.headers['Grip-Hold']).toBeUndefined();
  });

  test('a POST gets 405 with Allow: GET', async () => {
    const result = await stream(wohEvent('rest-v1', { method: 'POST', events: null, path: '/stream/news' }));

    expect(result.statusCode).toBe(405);
    expect(result.headers.Allow).toBe('GET');
  });

  test.each([
    ['channel rules that cannot be read', { FAAS_GRIP_PRIVATE_CHANNELS: '{not json' }],
    [
      'identity settings that cannot be used',
      { FAAS_GRIP_AUTH_ISSUER: 'https://issuer.example', FAAS_GRIP_AUTH_TOKEN_FROM: 'pigeon' },
    ],
  ])('%s: 500 and a log line, never the hold', async (_name, values) => {
    const restore = setEnv(values);
    resetContainer();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const [a, b] = await Promise.all([stream(get('http-v2', {})), longPoll(get('http-v2', {}))]);
      expect([a.statusCode, b.statusCode]).toEqual([500, 500]);
      expect(a.headers['Grip-Hold']).toBeUndefined();
      expect(errors).toHaveBeenCalled();
    } finally {
      errors.mockRestore();
      restore();
      resetContainer();
    }
  });

  test('a channel name that would corrupt Grip-Channel gets 400', async () => {
    const result = await stream(get('http-v2', { query: { channel: 'a,b;c' } }));

    expect(result.statusCode).toBe(400);
    expect(result.body).toBe("invalid channel name: use 1 to 64 letters, digits, '-', '_', '.' or ':'\n");
    expect(result.headers['Grip-Hold']).toBeUndefined();
  });
});
