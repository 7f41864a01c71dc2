import WebSocket from 'ws';
import { findPushpin } from '../../local/grip/pushpin';
import { freePorts } from '../../local/support/free-port';
import { signInAt } from '../helpers/dev-issuer';
import { E2eClient, HandshakeRefusedError, terminateAll } from '../helpers/e2e-ws-client';
import {
  bundleLocalCommand,
  type LocalCommand,
  processAlive,
  startLocalCommand,
  waitForLine,
} from '../helpers/local-command';

const pushpinMissing = findPushpin() === undefined;
const inCi = process.env.CI === 'true';
if (pushpinMissing && !inCi) {
  console.warn('pushpin is not installed: skipping the GRIP part of the command tests (apt-get install pushpin)');
}
const withGrip = !pushpinMissing || inCi;

const FREE_PORTS = ['--port', '0', '--ws-port', '0', '--grip-port', '0', '--no-sign-in'];
const ENDPOINT_LINE = /^(native|grip) websocket: (ws:\/\/127\.0\.0\.1:\d+\/\S*)$/;
const PAGE_LINE = /^chat page: (http:\/\/127\.0\.0\.1:\d+\/)$/;

describe('faas-grip-local', () => {
  let file: string;
  const commands: LocalCommand[] = [];
  const clients: E2eClient[] = [];

  const run = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => {
    const command = startLocalCommand(file, args, env);
    commands.push(command);
    return command;
  };

  /** The endpoint URLs the command printed, by transport. */
  const endpoints = (command: LocalCommand) =>
    Object.fromEntries(
      command.stdout.map((line) => ENDPOINT_LINE.exec(line)).flatMap((m) => (m ? [[m[1], m[2]] as const] : [])),
    );

  beforeAll(() => {
    file = bundleLocalCommand('local-command-test');
  });

  afterEach(async () => {
    terminateAll(clients.splice(0));
    await Promise.all(commands.splice(0).map((command) => command.stop()));
  });

  test('prints one line per endpoint and the page, serves the chat, exits 0 on Ctrl-C leaving no child', async () => {
    const command = run(FREE_PORTS, { PUSHPIN_BIN: withGrip ? undefined : '/nonexistent/pushpin' });
    await waitForLine(command, PAGE_LINE);
    const lines = command.stdout.filter(Boolean);
    const transports = lines.filter((line) => ENDPOINT_LINE.test(line)).map((line) => line.split(' ')[0]);
    expect(transports).toEqual(withGrip ? ['native', 'grip'] : ['native']);
    expect(lines.filter((line) => PAGE_LINE.test(line))).toHaveLength(1);

    const urls = endpoints(command);
    const native = await E2eClient.connect('native', urls.native);
    clients.push(native);
    await native.nick('ann');
    if (withGrip) {
      const grip = await E2eClient.connect('grip', urls.grip);
      clients.push(grip);
      grip.send('across transports');
      await grip.expect('anonymous: across transports');
      await native.expect('anonymous: across transports');
    }

    const children = command.descendantPids();
    expect(children.length > 0).toBe(withGrip);
    expect(await command.stop('SIGINT')).toBe(0);
    for (const pid of children) expect(processAlive(pid)).toBe(false);
  });

  test('signs users in by default: a token of the printed identity provider is needed, its name is the nick', async () => {
    const command = run(['--port', '0', '--ws-port', '0', '--grip-port', '0'], {
      PUSHPIN_BIN: withGrip ? undefined : '/nonexistent/pushpin',
    });
    const page = (await waitForLine(command, PAGE_LINE)).slice('chat page: '.length);
    const issuer = command.stdout.find((line) => line.startsWith('identity provider: '))?.split(' ')[2] as string;
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const urls = endpoints(command);
    const refused = E2eClient.connect('no token', urls.native);
    await expect(refused).rejects.toMatchObject({ status: 401 });

    const token = await signInAt(issuer, 'faas-grip-chat', 'zoe', page);
    for (const url of withGrip ? [urls.native, urls.grip] : [urls.native]) {
      const socket = new WebSocket(url, ['faas-grip', `faas-grip.bearer.${token}`]);
      const received: string[] = [];
      socket.on('message', (data) => received.push(String(data)));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      expect(socket.protocol).toBe('faas-grip');
      socket.send(`signed in on ${url}`);
      const deadline = Date.now() + 10_000;
      while (!received.includes(`zoe: signed in on ${url}`)) {
        if (Date.now() > deadline) throw new Error(`no broadcast; got ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      socket.terminate();
    }
    expect(await command.stop()).toBe(0);
  });

  test('without Pushpin it serves native and says in one line how to enable GRIP', async () => {
    const command = run(FREE_PORTS, { PUSHPIN_BIN: '/nonexistent/pushpin' });
    await waitForLine(command, PAGE_LINE);
    const lines = command.stdout.filter(Boolean);
    expect(lines.filter((line) => ENDPOINT_LINE.test(line)).map((line) => line.split(' ')[0])).toEqual(['native']);
    expect(lines.filter((line) => line.includes('apt-get install pushpin'))).toHaveLength(1);
    const native = await E2eClient.connect('native', endpoints(command).native);
    clients.push(native);
    native.send('still here');
    await native.expect('anonymous: still here');
    expect(await command.stop()).toBe(0);
  });

  test('--no-grip serves native only; ports come from the environment when no flag is given', async () => {
    // A port free a moment ago can be taken by another test's connection before the command binds it: try again
    // with new ports then (the command says EADDRINUSE and exits).
    let page = 0;
    let ws = 0;
    let command: ReturnType<typeof run> | undefined;
    for (let attempt = 1; command === undefined; attempt++) {
      [page, ws] = await freePorts(2);
      const started = run(['--no-grip'], { FAAS_GRIP_PORT: String(page), FAAS_GRIP_WS_PORT: String(ws) });
      try {
        await waitForLine(started, PAGE_LINE);
        command = started;
      } catch (error) {
        if (attempt === 3 || !started.stderr().includes('EADDRINUSE')) throw error;
      }
    }
    expect(command.stdout.filter((line) => ENDPOINT_LINE.test(line))).toEqual([
      `native websocket: ws://127.0.0.1:${ws}/local`,
    ]);
    expect(command.stdout).toContain(`chat page: http://127.0.0.1:${page}/`);
    expect(command.stdout.filter((line) => line.startsWith('grip: off'))).toHaveLength(1);
    expect(await command.stop()).toBe(0);
  });

  test('--handler serves a user module (TypeScript, bundled with esbuild)', async () => {
    const command = run(['--no-grip', ...FREE_PORTS, '--handler', 'test/fixtures/dev-server/echo-handler.ts']);
    await waitForLine(command, PAGE_LINE);
    const client = await E2eClient.connect('user', endpoints(command).native);
    clients.push(client);
    client.send('<b>hi</b>');
    await client.expect('echo: <b>hi</b>');
    expect(await command.stop()).toBe(0);
  });

  test('the API shape from flags: stage, two-way routes, a $connect authorizer', async () => {
    const command = run([
      '--no-grip',
      ...FREE_PORTS,
      '--handler',
      'test/fixtures/dev-server/plain-handler.js',
      '--stage',
      'prod',
      '--routes',
      'ask',
      '--two-way',
      'ask',
      '--authorizer',
      'test/fixtures/dev-server/token-authorizer.js',
    ]);
    await waitForLine(command, PAGE_LINE);
    const url = endpoints(command).native;
    expect(url).toMatch(/\/prod$/);
    await expect(E2eClient.connect('no token', url)).rejects.toMatchObject({ status: 401 });
    await expect(E2eClient.connect('bad token', `${url}?token=nope`)).rejects.toMatchObject({ status: 401 });
    const client = await E2eClient.connect('allowed', `${url}?token=letmein`);
    clients.push(client);
    client.send('{"action":"ask"}');
    await client.expect('{"route":"ask"}');
    expect(await command.stop()).toBe(0);
  });

  test('--handler serves a user ES module', async () => {
    const command = run(['--no-grip', ...FREE_PORTS, '--handler', 'test/fixtures/dev-server/refuse-handler.mjs']);
    await waitForLine(command, PAGE_LINE);
    const refused = E2eClient.connect('refused', endpoints(command).native);
    await expect(refused).rejects.toThrow(HandshakeRefusedError);
    await expect(refused).rejects.toMatchObject({ status: 403 });
    expect(await command.stop()).toBe(0);
  });

  test('fails with the bad value and exit code 1 on a bad port or handler', async () => {
    const badPort = run(['--port', 'eighty']);
    expect(await badPort.exited).toBe(1);
    expect(badPort.stderr()).toContain('--port must be a port number from 0 to 65535, got "eighty"');

    const badHandler = run(['--no-grip', ...FREE_PORTS, '--handler', 'test/fixtures/dev-server/not-a-handler.js']);
    expect(await badHandler.exited).toBe(1);
    expect(badHandler.stderr()).toContain('exports no handler function');
  });

  test('--help prints the flags with their environment variables and defaults', async () => {
    const command = run(['--help']);
    expect(await command.exited).toBe(0);
    const help = command.stdout.join('\n');
    expect(help).toContain('--port <n>        chat page port (env FAAS_GRIP_PORT, default 8080)');
    expect(help).toContain('--grip-port <n>');
    expect(help).toContain('--no-grip');
  });
});
