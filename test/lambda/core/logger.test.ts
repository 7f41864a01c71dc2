import jwt from 'jsonwebtoken';
import { PublishError } from '../../../lambda/core/errors';
import { logger, scrub } from '../../../lambda/core/logger';
import { setEnv } from '../../helpers/grip-events';

afterEach(() => jest.restoreAllMocks());

test('writes one JSON line per entry with level, message and fields', () => {
  const lines: string[] = [];
  jest.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));

  logger.warn('something odd', { channel: 'room', count: 2 });

  expect(lines.map((line) => JSON.parse(line))).toEqual([
    { level: 'warn', message: 'something odd', channel: 'room', count: 2 },
  ]);
});

test('never prints Grip-Sig, Authorization, keys, secrets or tokens, at any depth', () => {
  const out = scrub({
    headers: { 'grip-sig': 'sig-value', Authorization: 'Bearer abc', 'content-type': 'x' },
    key: 'k1',
    verifyKey: 'k2',
    secretString: 's',
    token: 't',
    password: 'p',
    nested: [{ apiKey: 'k3' }],
  });

  expect(JSON.stringify(out)).not.toMatch(/sig-value|Bearer abc|k1|k2|"s"|"t"|"p"|k3/);
  expect(out).toMatchObject({ headers: { 'grip-sig': '[redacted]', 'content-type': 'x' } });
});

test('masks anything shaped like a JWT inside messages, strings and errors', () => {
  const token = jwt.sign({ iss: 'pushpin', exp: 2_000_000_000 }, 'changeme');
  const lines: string[] = [];
  jest.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));

  logger.error(`bad request with ${token}`, { detail: `header was ${token}`, error: new Error(`token ${token}`) });

  expect(lines.join('')).not.toContain(token);
  expect(lines.join('')).toContain('[redacted-jwt]');
});

test('errors keep their name, message, failures and cause', () => {
  const error = new PublishError([{ target: 'http://proxy', cause: new Error('HTTP 500: down') }]);

  expect(scrub({ error })).toEqual({
    error: {
      name: 'PublishError',
      message: 'publish failed on 1 target(s): http://proxy: HTTP 500: down',
      failures: [{ target: 'http://proxy', cause: { name: 'Error', message: 'HTTP 500: down' } }],
    },
  });
});

test('respects AWS_LAMBDA_LOG_LEVEL', () => {
  const restore = setEnv({ AWS_LAMBDA_LOG_LEVEL: 'WARN' });
  const lines: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));

  logger.info('hidden');
  logger.debug('hidden too');
  restore();

  expect(lines).toEqual([]);
});
