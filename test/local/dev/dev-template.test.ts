/**
 * `npx faas-grip-cdk dev` on a SAM project (test/fixtures/dev-sam-app, in the shape of AWS's SAM WebSocket chat
 * sample: raw AWS::ApiGatewayV2 resources, `AWS::Serverless::Function`s with `CodeUri` directories and `Globals`,
 * a parameter naming the table, integration URIs by `Fn::Sub`, ES modules importing the AWS SDK v3 they do not
 * install, the callback URL built from the API id and region; plus a SimpleTable, an inline-code two-way route and
 * a second API declared as SAM's own AWS::Serverless::WebSocketApi with an authorizer), copied outside the repository so nothing of ours is on its module path, and run as a user runs it: in
 * the directory, with no flag (template.yaml is found as SAM finds it). Clients chat, the functions write both
 * tables, a parameter given on the command line names the table, and an edit reloads on the same URL.
 * A plain CloudFormation template in the shape of the API Gateway guide's examples (test/fixtures/dev-cfn-app) runs
 * too, given by --template, and a SAM function with GRIP settings behind an Api event is a GRIP origin behind Pushpin
 * (test/fixtures/dev-sam-grip).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { findPushpin } from '../../../local/grip/pushpin';
import { localDynamoClient } from '../../../local/stack/local-dynamo';
import { E2eClient, terminateAll } from '../../helpers/e2e-ws-client';
import { type LocalCommand, startLocalCommand, waitForLine } from '../../helpers/local-command';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'dist', 'bin', 'faas-grip-cdk.js');
let project: string;
let command: LocalCommand;
const clients: E2eClient[] = [];

beforeAll(async () => {
  project = join(mkdtempSync(join(tmpdir(), 'faas-grip-sam-')), 'sam-chat');
  cpSync(join(ROOT, 'test', 'fixtures', 'dev-sam-app'), project, { recursive: true });
  command = startLocalCommand(BIN, ['dev'], {}, project);
  await waitForLine(command, /^dynamodb: /, 30_000);
}, 60_000);

afterAll(async () => {
  terminateAll(clients);
  await command?.stop();
  rmSync(join(project, '..'), { recursive: true, force: true });
});

const lineOf = (c: LocalCommand, prefix: string) =>
  ([...c.stdout].reverse().find((l) => l.startsWith(prefix)) ?? '').slice(prefix.length);

it('serves the template’s WebSocket API on its stage, named after the project, with nothing unresolved', () => {
  expect(lineOf(command, 'websocket sam-chat/ChatApi: ')).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/Prod$/);
  expect(command.stderr()).not.toMatch(/faas-grip-cdk dev: (warning|handler failed)/);
});

it('runs the SAM functions with their tables, the provided SDK and the callback URL of the API’s AWS host', async () => {
  const url = lineOf(command, 'websocket sam-chat/ChatApi: ');
  const alice = await E2eClient.connect('alice', url);
  const bob = await E2eClient.connect('bob', url);
  clients.push(alice, bob);
  const dynamo = localDynamoClient(lineOf(command, 'dynamodb: '));
  // The table named by the parameter's default.
  const connections = await dynamo.send(new ScanCommand({ TableName: 'chat_connections' }));
  expect(connections.Items).toHaveLength(2);
  alice.send(JSON.stringify({ action: 'sendmessage', data: 'hi all' }));
  await alice.expect('hello from us-east-1: hi all');
  await bob.expect('hello from us-east-1: hi all');
  // The SimpleTable, named by its logical id, keyed by its PrimaryKey.
  const messages = await dynamo.send(new ScanCommand({ TableName: 'MessagesTable' }));
  expect(messages.Items?.map((i) => i.text.S)).toEqual(['hello from us-east-1: hi all']);
  // The inline-code function answers its two-way route.
  bob.send(JSON.stringify({ action: 'whoami' }));
  const deadline = Date.now() + 5000;
  while (!bob.pending().some((t) => t.startsWith('you are ')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(bob.pending().find((t) => t.startsWith('you are '))).toMatch(/^you are \S+ on Prod$/);
  terminateAll(clients.splice(0));
  // $disconnect removes both.
  const emptied = Date.now() + 5000;
  let left = 2;
  while (left > 0 && Date.now() < emptied) {
    await new Promise((r) => setTimeout(r, 50));
    left = (await dynamo.send(new ScanCommand({ TableName: 'chat_connections' }))).Items?.length ?? 0;
  }
  expect(left).toBe(0);
  dynamo.destroy();
});

it('serves an AWS::Serverless::WebSocketApi with its authorizer and two-way default route', async () => {
  const url = lineOf(command, 'websocket sam-chat/LobbyApi: ');
  expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/lobby$/);
  // No identity source: refused before the authorizer runs; denied by it: 403.
  await expect(E2eClient.connect('nameless', url)).rejects.toMatchObject({ status: 401 });
  await expect(E2eClient.connect('mallory', `${url}?name=mallory`)).rejects.toMatchObject({ status: 403 });
  const dave = await E2eClient.connect('dave', `${url}?name=dave`);
  clients.push(dave);
  dave.send('anything');
  const deadline = Date.now() + 5000;
  while (!dave.pending().some((t) => t.startsWith('you are ')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(dave.pending().find((t) => t.startsWith('you are '))).toMatch(/^you are \S+ on lobby$/);
  terminateAll(clients.splice(0));
});

it('reloads an edited function on the same URL', async () => {
  const url = lineOf(command, 'websocket sam-chat/ChatApi: ');
  const file = join(project, 'sendmessage', 'app.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace('GREETING}: ', 'GREETING}, edited: '));
  await waitForLine(command, /^reloaded$/, 30_000);
  expect(lineOf(command, 'websocket sam-chat/ChatApi: ')).toBe(url);
  const carol = await E2eClient.connect('carol', url);
  clients.push(carol);
  carol.send(JSON.stringify({ action: 'sendmessage', data: 'again' }));
  await carol.expect('hello from us-east-1, edited: again');
});

it('takes parameter values on the command line', async () => {
  const other = startLocalCommand(
    BIN,
    [
      'dev',
      '--no-watch',
      '--parameter',
      'TableName=other_room',
      '--parameter',
      'Greeting=hey',
      '--stack-name',
      'Other',
    ],
    {},
    project,
  );
  try {
    await waitForLine(other, /^dynamodb: /, 30_000);
    const alice = await E2eClient.connect('alice', lineOf(other, 'websocket Other/ChatApi: '));
    clients.push(alice);
    alice.send(JSON.stringify({ action: 'sendmessage', data: 'there' }));
    await alice.expect('hey from us-east-1, edited: there');
    const dynamo = localDynamoClient(lineOf(other, 'dynamodb: '));
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual(['MessagesTable', 'other_room']);
    dynamo.destroy();
  } finally {
    terminateAll(clients.splice(0));
    await other.stop();
  }
});

it('serves a plain CloudFormation template: inline CommonJS code using the SDK, the stage a parameter names', async () => {
  const template = join(ROOT, 'test', 'fixtures', 'dev-cfn-app', 'ws-chat.yaml');
  const cfn = startLocalCommand(BIN, ['dev', '--no-watch', '--template', template], {}, project);
  try {
    await waitForLine(cfn, /^dynamodb: /, 30_000);
    const url = lineOf(cfn, 'websocket dev-cfn-app/ChatApi: ');
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/production$/);
    const alice = await E2eClient.connect('alice', url);
    const bob = await E2eClient.connect('bob', url);
    clients.push(alice, bob);
    // $default: the function describes the caller's connection (GetConnection) and answers through the callback URL.
    alice.send('what can I do?');
    await alice.expect('Use the sendmessage route to send a message. Your source IP is 127.0.0.1');
    alice.send(JSON.stringify({ action: 'sendmessage', message: 'hello, documentation' }));
    await alice.expect('hello, documentation');
    await bob.expect('hello, documentation');
    expect(cfn.stderr()).not.toMatch(/faas-grip-cdk dev: (warning|handler failed)/);
  } finally {
    terminateAll(clients.splice(0));
    await cfn.stop();
  }
});

const withPushpin = findPushpin() !== undefined || process.env.CI === 'true';
if (!withPushpin) console.warn('pushpin is not installed: skipping the SAM GRIP origin test');

(withPushpin ? it : it.skip)(
  'serves a SAM function with GRIP settings behind its Api event as a GRIP origin',
  async () => {
    // Inside the repository, so the function resolves faas-grip-cdk as a user's project would.
    const gripProject = join(ROOT, '.test-output', `dev-sam-grip-${process.pid}`);
    cpSync(join(ROOT, 'test', 'fixtures', 'dev-sam-grip'), gripProject, { recursive: true });
    const grip = startLocalCommand(BIN, ['dev', '--no-watch'], {}, gripProject);
    try {
      await waitForLine(grip, /^dynamodb: /, 30_000);
      const url = lineOf(grip, `grip dev-sam-grip-${process.pid}/ServerlessRestApi: `);
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/?$/);
      expect(grip.stderr()).not.toMatch(/faas-grip-cdk dev: (warning|handler failed)/);
      const client = await E2eClient.connect('grip', `${url.replace(/\/$/, '')}/chat`);
      clients.push(client);
      client.send('through Pushpin');
      await client.expect('echo through Pushpin');
    } finally {
      terminateAll(clients.splice(0));
      await grip.stop();
      rmSync(gripProject, { recursive: true, force: true });
    }
  },
);
