/**
 * A user's handler bundled as users bundle it (esbuild, minified, CommonJS, AWS SDK external), importing this
 * package by name from its built dist/ (bench/lib/user-bundle.js, run `npm run build` first): the README handler
 * carries no native transport, and the same handler with `faas-grip-cdk/runtime/native` serves API Gateway
 * WebSocket connections for real (dynalite).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Env } from '../../lambda/contract';
import { LOCAL_AWS, type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { setEnv } from '../helpers/grip-events';
import { connectEvent } from '../helpers/native-events';

const run = promisify(execFile);
const { bundleUserHandler, NATIVE_HANDLER, README_HANDLER } = require('../../bench/lib/user-bundle.js');

interface Bundled {
  readonly file: string;
  readonly bytes: number;
  readonly nativeModules: readonly string[];
}

/** Runs the bundle's handler on `event` in a fresh Node process (as Lambda loads it); its result and stderr. */
async function invokeInNode(file: string, event: unknown): Promise<{ result: { statusCode: number }; stderr: string }> {
  // Asynchronous: the local DynamoDB the handler calls runs in this process.
  const child = await run(
    process.execPath,
    [
      '-e',
      'require(process.argv[1]).handler(JSON.parse(process.argv[2])).then((r) => process.stdout.write(JSON.stringify(r)))',
      file,
      JSON.stringify(event),
    ],
    { encoding: 'utf8', env: { ...process.env, JEST_WORKER_ID: '' } },
  );
  return { result: JSON.parse(child.stdout), stderr: child.stderr };
}

let dynamo: LocalDynamo;
let restoreEnv: () => void;

beforeAll(async () => {
  dynamo = await startDynalite();
  restoreEnv = setEnv({
    [Env.CONNECTION_TABLE]: dynamo.tableName,
    [Env.MANAGEMENT_ENDPOINT]: 'http://127.0.0.1:9/prod',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
});

afterAll(async () => {
  restoreEnv();
  await dynamo.stop();
});

test('the README handler bundles to at most 80 KB with no module of the native transport inside', async () => {
  const bundled: Bundled = await bundleUserHandler(README_HANDLER, 'test-readme');

  expect(bundled.nativeModules).toEqual([]);
  expect(bundled.bytes).toBeLessThanOrEqual(80_000);
});

test('the README handler, given an API Gateway WebSocket event, answers 500 and logs the import that adds the transport', async () => {
  const bundled: Bundled = await bundleUserHandler(README_HANDLER, 'test-readme-native-event');

  const { result, stderr } = await invokeInNode(bundled.file, connectEvent('c-readme'));

  expect(result.statusCode).toBe(500);
  expect(stderr).toContain("import 'faas-grip-cdk/runtime/native'");
});

test('with `faas-grip-cdk/runtime/native` imported, the bundle carries the transport and stores a connection on $connect', async () => {
  const bundled: Bundled = await bundleUserHandler(NATIVE_HANDLER, 'test-native');
  expect(bundled.nativeModules).toEqual(expect.arrayContaining(['connection-store', 'fan-out', 'native-context']));

  const { result } = await invokeInNode(bundled.file, connectEvent('c-native'));

  expect(result.statusCode).toBe(200);
  const { Items } = await dynamo.newClient().send(new ScanCommand({ TableName: dynamo.tableName }));
  const keys = (Items ?? []).map((item: Record<string, { S?: string }>) => `${item.pk?.S} ${item.sk?.S}`);
  expect(keys.some((key: string) => key.includes('c-native') && key.includes('room'))).toBe(true);
});
