/**
 * `npx faas-grip-cdk dev` on a user's own CDK app (test/fixtures/dev-app: a plain aws-cdk-lib WebSocketApi, functions
 * from a code asset, a REQUEST authorizer on $connect, a two-way route, a DynamoDB table), run as a user runs it, in
 * the project's directory (a copy): the app is synthesized from its cdk.json, the API served on its stage, the
 * authorizer refuses a client without a name, the functions read and write their table in the local DynamoDB and
 * broadcast through the callback URL their environment names (the AWS SDK v3 provided, as Lambda's runtime does:
 * the functions' code does not carry it), the two-way route answers; an edit of a handler's source changes the
 * behaviour, on the same URL, without restarting the command.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { findPushpin } from '../../../local/grip/pushpin';
import { localDynamoClient } from '../../../local/stack/local-dynamo';
import { E2eClient, terminateAll } from '../../helpers/e2e-ws-client';
import { type LocalCommand, startLocalCommand, waitForLine } from '../../helpers/local-command';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'dev-app');
const BIN = join(ROOT, 'dist', 'bin', 'faas-grip-cdk.js');
// Inside the repository, so the app resolves aws-cdk-lib from its node_modules as a user's project would.
const PROJECT = join(ROOT, '.test-output', `dev-app-${process.pid}`);

let command: LocalCommand;
const clients: E2eClient[] = [];

beforeAll(async () => {
  mkdirSync(PROJECT, { recursive: true });
  cpSync(FIXTURE, PROJECT, { recursive: true });
  command = startLocalCommand(BIN, ['dev'], {}, PROJECT);
  await waitForLine(command, /^dynamodb: /, 60_000);
}, 90_000);

afterAll(async () => {
  terminateAll(clients);
  await command?.stop();
  rmSync(PROJECT, { recursive: true, force: true });
});

const urlOf = () =>
  ([...command.stdout].reverse().find((l) => l.startsWith('websocket UserChat/ChatApi')) ?? '').split(': ')[1];
const dynamoOf = () =>
  ([...command.stdout].reverse().find((l) => l.startsWith('dynamodb: ')) ?? '').slice('dynamodb: '.length);

it('serves the WebSocket API on its stage with nothing unresolved', () => {
  expect(urlOf()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/dev$/);
  expect(command.stderr()).not.toMatch(/faas-grip-cdk dev: warning/);
});

it('runs the authorizer, the functions with their table and callback URL, and a two-way route', async () => {
  const url = urlOf();
  await expect(E2eClient.connect('nameless', url)).rejects.toMatchObject({ status: 401 });
  const alice = await E2eClient.connect('alice', `${url}?name=alice`);
  const bob = await E2eClient.connect('bob', `${url}?name=bob`);
  clients.push(alice, bob);
  const scan = await localDynamoClient(dynamoOf()).send(new ScanCommand({ TableName: await userTable() }));
  expect(scan.Items?.map((i) => i.name.S).sort()).toEqual(['alice', 'bob']);
  alice.send('hi all');
  await alice.expect('hello from alice: hi all');
  await bob.expect('hello from alice: hi all');
  bob.send('{"action":"whoami"}');
  await bob.expect('you are bob');
  // The callback URL built from the event (https://{domainName}/{stage}) reaches the local management API.
  bob.send('{"action":"shout","text":"over tls"}');
  await bob.expect('SHOUT: OVER TLS');
  // So does the AWS host name of the API (https://{apiId}.execute-api.{region}.amazonaws.com/{stage}), as AWS's
  // chat sample builds it.
  bob.send('{"action":"awshost"}');
  const deadline = Date.now() + 5000;
  while (!bob.pending().some((t) => /^via [a-z0-9]+\.execute-api$/.test(t)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(bob.pending().some((t) => /^via [a-z0-9]+\.execute-api$/.test(t))).toBe(true);
  // And with the AWS SDK for JavaScript v2 (endpoint `{domainName}/{stage}`, path signed as /%40connections/).
  bob.send('{"action":"v2"}');
  const v2Deadline = Date.now() + 10_000;
  while (!bob.pending().includes('v2 says hi') && Date.now() < v2Deadline) await new Promise((r) => setTimeout(r, 25));
  expect(bob.pending()).toContain('v2 says hi');
  terminateAll(clients.splice(0));
});

const withPushpin = findPushpin() !== undefined || process.env.CI === 'true';
if (!withPushpin) console.warn('pushpin is not installed: skipping the GRIP origin of the dev app test');

(withPushpin ? it : it.skip)(
  'serves GripApi and NativeWebSocketApi around the user function: one room on both',
  async () => {
    const grip = [...command.stdout]
      .reverse()
      .find((l) => l.startsWith('grip UserChat/'))
      ?.split(': ')[1];
    const native = [...command.stdout]
      .reverse()
      .find((l) => l.startsWith('websocket UserChat/Native'))
      ?.split(': ')[1];
    expect(grip).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/?$/);
    expect(native).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/prod$/);
    const viaGrip = await E2eClient.connect('grip', grip as string);
    const viaNative = await E2eClient.connect('native', native as string);
    clients.push(viaGrip, viaNative);
    await new Promise((resolve) => setTimeout(resolve, 300)); // Pushpin applies the subscription
    viaNative.send('from native');
    await viaGrip.expect('lobby (native): from native');
    await viaNative.expect('lobby (native): from native');
    viaGrip.send('from grip');
    await viaNative.expect('lobby (grip): from grip');
    await viaGrip.expect('lobby (grip): from grip');
    terminateAll(clients.splice(0));
  },
);

it("enforces a function's timeout in its own process, as Lambda does", async () => {
  const client = await E2eClient.connect('timed', `${urlOf()}?name=timed`);
  clients.push(client);
  const started = Date.now();
  client.send('{"action":"slow"}');
  const deadline = Date.now() + 5000;
  while (client.pending().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect(JSON.parse(client.pending()[0])).toMatchObject({ message: 'Internal server error' });
  expect(Date.now() - started).toBeLessThan(2500);
  expect(command.stderr()).toMatch(/Task timed out after 1\.00 seconds/);
  terminateAll(clients.splice(0));
});

it('reloads an edited handler on the same URL, without a restart', async () => {
  const url = urlOf();
  const table = await userTable();
  await localDynamoClient(dynamoOf()).send(
    new PutItemCommand({ TableName: table, Item: { connectionId: { S: 'kept' }, name: { S: 'kept' } } }),
  );
  const file = join(PROJECT, 'handler', 'message.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace('GREETING} from', 'GREETING} again from'));
  await waitForLine(command, /^reloaded$/, 60_000);
  expect(urlOf()).toBe(url);
  // The tables keep their items across a reload.
  const kept = await localDynamoClient(dynamoOf()).send(new ScanCommand({ TableName: table }));
  expect(kept.Items?.map((i) => i.name.S)).toEqual(['kept']);
  const carol = await E2eClient.connect('carol', `${url}?name=carol`);
  clients.push(carol);
  carol.send('edited');
  await carol.expect('hello again from carol: edited');
});

/** The user's table (the other one is NativeWebSocketApi's connection table). */
async function userTable(): Promise<string> {
  const tables = await localDynamoClient(dynamoOf()).send(
    new (await import('@aws-sdk/client-dynamodb')).ListTablesCommand({}),
  );
  return tables.TableNames?.find((name) => name.startsWith('Connections')) as string;
}
