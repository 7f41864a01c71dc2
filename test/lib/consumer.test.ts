/**
 * The package as its users meet it: the chat app synthesized with `npx cdk synth`, and the packed tarball
 * installed into a fresh CDK app outside the repo that composes GripApi with its own function. Both synthesize
 * offline, with no AWS credentials and no Docker (a fake `docker` on the PATH records any call).
 *
 * Slow (a build, an install, a type-check, two synths): the tests run one after the other in this file so that
 * the build the first one runs is what the others pack.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SLOW = 300_000;

let tmp: string;
let dockerMarker: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-consumer-'));
  const fakeBin = path.join(tmp, 'fake-bin');
  dockerMarker = path.join(tmp, 'docker-was-called');
  fs.mkdirSync(fakeBin);
  fs.writeFileSync(path.join(fakeBin, 'docker'), `#!/bin/sh\necho "$@" >> "${dockerMarker}"\nexit 1\n`, {
    mode: 0o755,
  });
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The environment of a user with no AWS credentials at all. */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(tmp, 'fake-bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    AWS_CONFIG_FILE: path.join(tmp, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'no-aws-credentials'),
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    ...extra,
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
    delete env[name];
  }
  return env;
}

function run(command: string, args: string[], cwd: string, env = offlineEnv()): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: SLOW - 10_000 });
}

function expectSuccess(result: SpawnSyncReturns<string>): void {
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}\n${result.error?.message ?? ''}`;
  expect([result.status, output]).toEqual([0, output]);
}

function resourceTypes(templateFile: string): string[] {
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string }> };
  return Object.values(template.Resources).map((r) => r.Type);
}

/**
 * A copy of the working tree as a fresh clone has it (tracked and untracked, not ignored files: no dist/, no
 * assets/), sharing the repo's node_modules. Synthesizing there builds from scratch, as a user's first
 * `npx cdk synth` does, and never rewrites the repo's own build while other test files read it.
 */
function cloneWorkingTree(dest: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expectSuccess(listed);
  for (const file of listed.stdout.split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)))) {
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dest, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
}

describe('the chat app (bin/chat.ts)', () => {
  let clone: string;

  test(
    '`npx cdk synth` builds and synthesizes it offline, with no credentials and no Docker',
    () => {
      // GIVEN a fresh clone: nothing built yet
      clone = path.join(tmp, 'clone');
      cloneWorkingTree(clone);
      expect(fs.existsSync(path.join(clone, 'dist'))).toBe(false);

      // WHEN
      const out = path.join(tmp, 'chat.out');
      const result = run('npx', ['cdk', 'synth', '-q', '--no-notices', '-o', out], clone);

      // THEN
      expectSuccess(result);
      const types = resourceTypes(path.join(out, 'FaasGripChat.template.json'));
      expect(types).toEqual(expect.arrayContaining(['AWS::ApiGateway::RestApi', 'AWS::ApiGatewayV2::Api'])); // both
      expect(types).not.toContain('AWS::CloudWatch::Alarm');
      expect(fs.existsSync(dockerMarker)).toBe(false);
    },
    SLOW,
  );

  test('-c transport=grip picks GRIP only, -c alarms=true adds the alarms; an unknown transport fails', () => {
    // GIVEN the app built in the clone by the previous test, run the way the CLI runs it
    const app = path.join(clone, 'dist', 'bin', 'chat.js');
    const synth = (context: Record<string, string>, out: string) =>
      run(process.execPath, [app], clone, offlineEnv({ CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify(context) }));

    // WHEN
    const grip = synth({ transport: 'grip', alarms: 'true' }, path.join(tmp, 'grip.out'));
    const unknown = synth({ transport: 'carrier-pigeon' }, path.join(tmp, 'unknown.out'));

    // THEN
    expectSuccess(grip);
    const types = resourceTypes(path.join(tmp, 'grip.out', 'FaasGripChat.template.json'));
    expect(types).toContain('AWS::ApiGateway::RestApi');
    expect(types).not.toContain('AWS::ApiGatewayV2::Api');
    expect(types).toContain('AWS::CloudWatch::Alarm');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("unknown chat transport 'carrier-pigeon': use one of grip, native, both");
  });
});

describe('a consumer app installing the packed package', () => {
  let appDir: string;

  test(
    'installs the tarball from `npm pack`, handler bundles and types included',
    () => {
      // GIVEN the package as npm would publish it
      for (const built of ['dist/lib/index.js', 'dist/lambda/index.d.ts', 'assets/chat/index.js']) {
        expect([built, fs.existsSync(path.join(ROOT, built))]).toEqual([built, true]); // else: npm run build
      }
      const pack = run('npm', ['pack', '--json', '--pack-destination', tmp], ROOT);
      expectSuccess(pack);
      const tarball = path.join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);

      // WHEN installed into a fresh app outside the repo; the peers come from the repo's node_modules
      appDir = path.join(tmp, 'app');
      fs.mkdirSync(path.join(appDir, 'node_modules'), { recursive: true });
      const manifest = {
        name: 'consumer-app',
        version: '1.0.0',
        private: true,
        dependencies: { 'faas-grip-cdk': `file:${tarball}` },
      };
      fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify(manifest));
      const install = run(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--legacy-peer-deps',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
        ],
        appDir,
      );
      expectSuccess(install);
      for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
        fs.symlinkSync(path.join(ROOT, 'node_modules', peer), path.join(appDir, 'node_modules', peer), 'dir');
      }

      // THEN
      const installed = path.join(appDir, 'node_modules', 'faas-grip-cdk');
      for (const file of ['assets/chat/index.js', 'assets/authorizer/index.js', 'dist/lib/index.d.ts']) {
        expect([file, fs.existsSync(path.join(installed, file))]).toEqual([file, true]);
      }
    },
    SLOW,
  );

  test(
    'types resolve for both entry points (node16 resolution, through the exports map)',
    () => {
      // GIVEN
      fs.writeFileSync(
        path.join(appDir, 'app.ts'),
        [
          "import { App, Stack, Validations } from 'aws-cdk-lib';",
          "import * as lambda from 'aws-cdk-lib/aws-lambda';",
          "import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';",
          "import { ChannelLogTable, GripApi, HandlerBundle, HandlerFunction, NativeWebSocketApi, TransportAlarms } from 'faas-grip-cdk';",
          '',
          'const app = new App();',
          'Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));',
          "const stack = new Stack(app, 'Consumer');",
          "const handler = new lambda.Function(stack, 'MyHandler', {",
          '  runtime: lambda.Runtime.NODEJS_22_X,',
          "  handler: 'index.handler',",
          '  code: lambda.Code.fromInline(\'exports.handler = async () => ({ statusCode: 200, body: "" });\'),',
          '});',
          "// the findings of the app's own function are the app's to answer, not the package's",
          "const reason = 'a minimal function of this test app, defined by the app itself, not by faas-grip-cdk';",
          "const ids = app.node.tryGetContext('acknowledge') === 'no' ? [] : [",
          "  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',",
          "  'AwsSolutions-L1',",
          "  'Serverless-LambdaDLQ',",
          "  'Serverless-LambdaTracing',",
          "  'Serverless-LambdaDefaultMemorySize',",
          "  'Serverless-LambdaDefaultTimeout',",
          "  'Serverless-LambdaLatestVersion',",
          '];',
          'Validations.of(handler).acknowledge(...ids.map((id) => ({ id, reason })));',
          "const gripApi = new GripApi(stack, 'Grip', { handler });",
          "const stream = new HandlerFunction(stack, 'Stream', { bundle: HandlerBundle.STREAM });",
          "new GripApi(stack, 'StreamApi', { handler: stream });",
          "const nativeWebSocketApi = new NativeWebSocketApi(stack, 'Ws');",
          'nativeWebSocketApi.addPublisher(handler);',
          "new ChannelLogTable(stack, 'Log').addPublisher(handler);",
          "new TransportAlarms(stack, 'Alarms', { gripApi, nativeWebSocketApi });",
          '',
        ].join('\n'),
      );
      fs.writeFileSync(
        path.join(appDir, 'handler.ts'),
        [
          "import { Env, type PublishOptions } from 'faas-grip-cdk/runtime';",
          "import { type HistoryPage, history } from 'faas-grip-cdk/runtime/channels';",
          "import { ChannelClient, type ChannelMessage } from 'faas-grip-cdk/client';",
          'export const options: PublishOptions | undefined = undefined;',
          'export const reads: Array<(channel: string) => Promise<HistoryPage>> = [(channel) => history(channel)];',
          'export const clients: Array<{ client: typeof ChannelClient; seen?: ChannelMessage }> = [{ client: ChannelClient }];',
          'export const handler = async (): Promise<{ statusCode: number; body: string }> =>',
          '  ({ statusCode: 200, body: Env.GRIP_SECRET_ARN });',
          '',
        ].join('\n'),
      );
      const compilerOptions = {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        skipLibCheck: true,
        types: [],
      };
      fs.writeFileSync(
        path.join(appDir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, files: ['app.ts', 'handler.ts'] }),
      );

      // WHEN
      const tsc = run(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
        appDir,
      );

      // THEN
      expectSuccess(tsc);
      expect(fs.existsSync(path.join(appDir, 'app.js'))).toBe(true);
    },
    SLOW,
  );

  test(
    '`cdk synth` composes the constructs with its own function under cdk-nag, offline, no credentials, no Docker',
    () => {
      // GIVEN
      fs.writeFileSync(path.join(appDir, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));

      // WHEN
      const synth = run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '--no-notices'], appDir);

      // THEN
      expectSuccess(synth);
      const out = path.join(appDir, 'cdk.out');
      const template = JSON.parse(fs.readFileSync(path.join(out, 'Consumer.template.json'), 'utf8'));
      const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: any }>).filter(
        (r) => r.Type === 'AWS::Lambda::Function',
      );
      // the packs ran as validation plugins and passed: nothing the constructs define is left open
      expect(functions.map((f) => f.Properties.Runtime).sort()).toEqual(['nodejs22.x', 'nodejs24.x', 'nodejs24.x']);
      const staged = fs.readdirSync(out).filter((name) => name.startsWith('asset.'));
      expect(staged).toHaveLength(2); // the pre-built stream and chat bundles, copied, not bundled
      for (const asset of staged) {
        expect(fs.readdirSync(path.join(out, asset)).sort()).toEqual(['index.js', 'index.js.map']);
      }
      expect(fs.existsSync(dockerMarker)).toBe(false);
    },
    SLOW,
  );

  test(
    "the same synth fails on the findings of the app's own function once it stops acknowledging them",
    () => {
      // WHEN
      const synth = run(
        path.join(ROOT, 'node_modules', '.bin', 'cdk'),
        ['synth', '-q', '--no-notices', '-c', 'acknowledge=no', '-o', path.join(tmp, 'unacknowledged.out')],
        appDir,
      );

      // THEN: the plugins do run at synth, and they name only the app's own function
      const output = `${synth.stdout}\n${synth.stderr}`;
      expect(synth.status).not.toBe(0);
      expect(output).toContain('Consumer/MyHandler');
      expect(output).toMatch(/Serverless-LambdaDLQ/);
      const paths = [...output.matchAll(/^\s+(Consumer\/\S+)/gm)].map((m) => m[1]);
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.filter((p) => !p.startsWith('Consumer/MyHandler/'))).toEqual([]);
    },
    SLOW,
  );

  test(
    'npx faas-grip-cdk dev runs the fresh app: NodejsFunctions behind a plain WebSocketApi, and its own function behind GripApi and NativeWebSocketApi',
    async () => {
      // GIVEN a fresh app of the user's own: esbuild (NodejsFunction bundles with it, no Docker) comes from the repo
      for (const dep of ['esbuild', '@esbuild']) {
        const link = path.join(appDir, 'node_modules', dep);
        if (!fs.existsSync(link)) fs.symlinkSync(path.join(ROOT, 'node_modules', dep), link, 'dir');
      }
      const dir = path.join(appDir, 'dev');
      fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
      fs.copyFileSync(path.join(appDir, 'package-lock.json'), path.join(dir, 'package-lock.json'));
      fs.writeFileSync(
        path.join(dir, 'app.js'),
        [
          "const path = require('node:path');",
          "const { App, Stack } = require('aws-cdk-lib');",
          "const apigwv2 = require('aws-cdk-lib/aws-apigatewayv2');",
          "const { WebSocketLambdaIntegration } = require('aws-cdk-lib/aws-apigatewayv2-integrations');",
          "const dynamodb = require('aws-cdk-lib/aws-dynamodb');",
          "const lambda = require('aws-cdk-lib/aws-lambda');",
          "const { NodejsFunction } = require('aws-cdk-lib/aws-lambda-nodejs');",
          "const { GripApi, NativeWebSocketApi } = require('faas-grip-cdk');",
          'const app = new App();',
          "const stack = new Stack(app, 'DevApp');",
          "const table = new dynamodb.Table(stack, 'Seen', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });",
          'const fn = (id, entry) => {',
          '  const f = new NodejsFunction(stack, id, {',
          '    entry: path.join(__dirname, entry),',
          '    runtime: lambda.Runtime.NODEJS_22_X,',
          '    depsLockFilePath: path.join(__dirname, "package-lock.json"),',
          '    environment: { TABLE_NAME: table.tableName },',
          '  });',
          '  table.grantReadWriteData(f);',
          '  return f;',
          '};',
          "const api = new apigwv2.WebSocketApi(stack, 'Api', {",
          "  connectRouteOptions: { integration: new WebSocketLambdaIntegration('C', fn('Connect', 'src/connect.js')) },",
          "  disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('D', fn('Disconnect', 'src/disconnect.js')) },",
          "  defaultRouteOptions: { integration: new WebSocketLambdaIntegration('M', fn('Message', 'src/message.js')) },",
          '});',
          "new apigwv2.WebSocketStage(stack, 'Stage', { webSocketApi: api, stageName: 'live', autoDeploy: true });",
          "const own = new NodejsFunction(stack, 'Own', { entry: path.join(__dirname, 'src/own.js'), runtime: lambda.Runtime.NODEJS_22_X, depsLockFilePath: path.join(__dirname, 'package-lock.json') });",
          "new GripApi(stack, 'Grip', { handler: own });",
          "new NativeWebSocketApi(stack, 'Native', { handler: own });",
          'app.synth();',
          '',
        ].join('\n'),
      );
      const sdk =
        "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');\nconst db = new DynamoDBClient({});\n";
      const put = (what: string) =>
        `${sdk}const { PutItemCommand, DeleteItemCommand, ScanCommand } = require('@aws-sdk/client-dynamodb');\n` +
        `const { ApiGatewayManagementApiClient, PostToConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi');\n` +
        `exports.handler = async (event) => {\n  const id = event.requestContext.connectionId;\n${what}\n  return { statusCode: 200 };\n};\n`;
      fs.writeFileSync(
        path.join(dir, 'src', 'connect.js'),
        put('  await db.send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { id: { S: id } } }));'),
      );
      fs.writeFileSync(
        path.join(dir, 'src', 'disconnect.js'),
        put('  await db.send(new DeleteItemCommand({ TableName: process.env.TABLE_NAME, Key: { id: { S: id } } }));'),
      );
      fs.writeFileSync(
        path.join(dir, 'src', 'message.js'),
        put(
          [
            '  const { domainName, stage } = event.requestContext;',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of the generated app
            '  const api = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` });',
            '  const all = await db.send(new ScanCommand({ TableName: process.env.TABLE_NAME }));',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of the generated app
            '  await Promise.all(all.Items.map((item) => api.send(new PostToConnectionCommand({ ConnectionId: item.id.S, Data: `echo: ${event.body}` }))));',
          ].join('\n'),
        ),
      );
      fs.writeFileSync(
        path.join(dir, 'src', 'own.js'),
        [
          "const { publish, webSocketHandler, WebSocketMessageFormat } = require('faas-grip-cdk/runtime');",
          "require('faas-grip-cdk/runtime/native');",
          'exports.handler = webSocketHandler(async (ws) => {',
          "  if (ws.isOpening()) { ws.accept(); ws.subscribe('all'); }",
          '  while (ws.canRecv()) {',
          '    const m = ws.recv();',
          '    if (m === null) break;',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of the generated app
          "    await publish('all', new WebSocketMessageFormat(`all: ${m}`));",
          '  }',
          '});',
          '',
        ].join('\n'),
      );

      // WHEN the user runs the command in the app's directory
      const { spawn } = await import('node:child_process');
      const bin = path.join(appDir, 'node_modules', 'faas-grip-cdk', 'dist', 'bin', 'faas-grip-cdk.js');
      const child = spawn(process.execPath, [bin, 'dev'], { cwd: dir, env: offlineEnv() });
      const lines: string[] = [];
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const { default: WebSocket } = await import('ws');
      const open = (url: string) =>
        new Promise<{ socket: InstanceType<typeof WebSocket>; got: string[] }>((resolve, reject) => {
          const socket = new WebSocket(url);
          const got: string[] = [];
          socket.on('message', (data) => got.push(String(data)));
          socket.once('open', () => resolve({ socket, got }));
          socket.once('error', reject);
        });
      const until = async (what: string, check: () => boolean, ms = 60_000) => {
        const deadline = Date.now() + ms;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      try {
        await until('the servers', () => lines.some((l) => l.startsWith('dynamodb: ')), 120_000);
        const url = (prefix: string) =>
          [...lines]
            .reverse()
            .find((l) => l.startsWith(prefix))
            ?.split(': ')[1] as string;

        // THEN the plain API's NodejsFunctions keep their table and answer through the callback URL of the event
        const a = await open(url('websocket DevApp/Api'));
        const b = await open(url('websocket DevApp/Api'));
        a.socket.send('from a');
        await until('both echoes', () => a.got.includes('echo: from a') && b.got.includes('echo: from a'));
        // and the user's own function serves one room across its GRIP origin and its native API
        const native = await open(url('websocket DevApp/Native'));
        const grip = lines.some((l) => l.startsWith('grip DevApp/')) ? await open(url('grip DevApp/')) : undefined;
        await new Promise((r) => setTimeout(r, 300));
        native.socket.send('hello room');
        await until(
          'the room',
          () => native.got.includes('all: hello room') && (!grip || grip.got.includes('all: hello room')),
        );
        expect(stderr).not.toMatch(/faas-grip-cdk dev: warning/);
        for (const s of [a, b, native, grip]) s?.socket.terminate();

        // and an edit of a handler's source changes the behaviour without restarting the command
        const source = path.join(dir, 'src', 'message.js');
        fs.writeFileSync(source, fs.readFileSync(source, 'utf8').replace('echo: ', 'edited echo: '));
        await until('the reload', () => lines.includes('reloaded'));
        const c = await open(url('websocket DevApp/Api'));
        c.socket.send('after the edit');
        await until('the edited echo', () => c.got.includes('edited echo: after the edit'));
        c.socket.terminate();
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
    SLOW,
  );
});
