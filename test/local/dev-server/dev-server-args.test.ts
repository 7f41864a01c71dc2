import { FaasGripError } from '../../../lambda/core/errors';
import { DEV_SERVER_DEFAULTS, parseDevServerArgs, USAGE } from '../../../local/dev-server/dev-server-args';

describe('parseDevServerArgs', () => {
  test('uses the documented defaults', () => {
    expect(parseDevServerArgs([], {})).toEqual({
      help: false,
      options: { host: '127.0.0.1', port: 8080, wsPort: 8081, gripPort: 7999, grip: true, signIn: true },
    });
    expect(DEV_SERVER_DEFAULTS).toEqual({ host: '127.0.0.1', port: 8080, wsPort: 8081, gripPort: 7999 });
  });

  test('reads ports, host and handler from the environment', () => {
    const env = {
      FAAS_GRIP_PORT: '9000',
      FAAS_GRIP_WS_PORT: '9001',
      FAAS_GRIP_GRIP_PORT: '9002',
      FAAS_GRIP_HOST: '0.0.0.0',
      FAAS_GRIP_HANDLER: 'dist/handler.js',
    };
    expect(parseDevServerArgs([], env)).toEqual({
      help: false,
      options: {
        host: '0.0.0.0',
        port: 9000,
        wsPort: 9001,
        gripPort: 9002,
        grip: true,
        signIn: false,
        handler: 'dist/handler.js',
      },
    });
  });

  test('flags win over the environment', () => {
    const env = { FAAS_GRIP_PORT: '9000', FAAS_GRIP_HANDLER: 'from-env.js' };
    const args = ['--port', '0', '--ws-port=1234', '--grip-port', '4321', '--handler', 'mine.ts', '--no-grip'];
    expect(parseDevServerArgs(args, env)).toEqual({
      help: false,
      options: {
        host: '127.0.0.1',
        port: 0,
        wsPort: 1234,
        gripPort: 4321,
        grip: false,
        signIn: false,
        handler: 'mine.ts',
      },
    });
  });

  test('signs users in for the chat, not for a handler of your own unless --sign-in; --no-sign-in turns it off', () => {
    const signIn = (args: string[]) =>
      (parseDevServerArgs(args, {}) as { options: { signIn?: boolean } }).options.signIn;
    expect(signIn([])).toBe(true);
    expect(signIn(['--no-sign-in'])).toBe(false);
    expect(signIn(['--handler', 'h.js'])).toBe(false);
    expect(signIn(['--handler', 'h.js', '--sign-in'])).toBe(true);
  });

  test('reads the API shape: stage, routes, selection, two-way routes, authorizer, identity sources, limits', () => {
    const args = [
      '--stage=prod',
      '--routes=ask, tell',
      '--route-selection=$request.body.type',
      '--two-way=*',
      '--authorizer=auth.js',
      '--identity-source=route.request.header.Auth',
      '--idle-timeout=30',
      '--max-age=60',
    ];
    expect((parseDevServerArgs(args, {}) as { options: object }).options).toMatchObject({
      stage: 'prod',
      api: {
        routes: ['ask', 'tell'],
        routeSelectionExpression: '$request.body.type',
        routeResponses: ['*'],
        authorizer: 'auth.js',
        identitySource: ['route.request.header.Auth'],
        idleTimeout: 30_000,
        maxConnectionAge: 60_000,
      },
    });
    expect(() => parseDevServerArgs(['--idle-timeout=soon'], {})).toThrow(/--idle-timeout must be a whole number/);
    expect(() => parseDevServerArgs(['--stage=a/b'], {})).toThrow(/--stage must be/);
  });

  test('asks for help with --help or -h', () => {
    expect(parseDevServerArgs(['--help'], {})).toEqual({ help: true });
    expect(parseDevServerArgs(['-h'], {})).toEqual({ help: true });
    for (const name of ['--port', '--ws-port', '--grip-port', '--host', '--handler', '--no-grip', '--no-sign-in']) {
      expect(USAGE).toContain(name);
    }
  });

  test.each([
    [['--port', 'eighty'], {}, '--port must be a port number from 0 to 65535, got "eighty"'],
    [['--ws-port', '65536'], {}, '--ws-port must be a port number from 0 to 65535, got "65536"'],
    [[], { FAAS_GRIP_GRIP_PORT: '-1' }, 'FAAS_GRIP_GRIP_PORT must be a port number from 0 to 65535, got "-1"'],
  ])('fails on a bad port %j %j', (args, env, message) => {
    expect(() => parseDevServerArgs(args, env)).toThrow(FaasGripError);
    expect(() => parseDevServerArgs(args, env)).toThrow(message);
  });

  test('fails on an unknown flag or a stray argument, pointing at --help', () => {
    expect(() => parseDevServerArgs(['--verbose'], {})).toThrow(
      /unknown option '--verbose'.*see faas-grip-local --help/i,
    );
    expect(() => parseDevServerArgs(['extra'], {})).toThrow(/see faas-grip-local --help/);
  });
});
