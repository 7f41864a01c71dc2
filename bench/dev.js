/**
 * `faas-grip-cdk dev` bench, a ratio against an anchor measured in the same run: a client message's round trip
 * through the API Gateway WebSocket emulator whose handler only sends the event to a bare forked child and returns
 * its answer (the least a handler in a process of its own costs: the anchor), and the same through `dev` serving a
 * SAM template, where the function runs in its own process as on Lambda (target <= 1.25x). The handler in the
 * emulator's own process is shown beside them. Also reported: how long a reload of that template takes
 * (servers stopped and started again on the same ports, tables and certificate kept).
 */
'use strict';

const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { median, nowMs, fmt, ratio } = require('./lib/stats');

const dist = (p) => path.join(__dirname, '..', 'dist', p);

const BARE_CHILD = `process.on('message', ({ id, event }) =>
  process.send({ id, result: { statusCode: 200, body: 'echo ' + event.body } }));
process.on('disconnect', () => process.exit(0));
`;
const ECHO = "exports.handler = async (event) => ({ statusCode: 200, body: 'echo ' + event.body });\n";
const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
      StageName: bench
      Routes:
        $default: { FunctionArn: !GetAtt Echo.Arn, RouteResponseSelectionExpression: $default }
  Echo:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: echo, Handler: index.handler, Runtime: nodejs20.x }
`;

/** Median round trip (ms) of `reps` messages on one connection to `url`, after `warm` untimed ones. */
async function roundTrips(url, reps, warm = 50) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const once = (text) =>
    new Promise((resolve) => {
      socket.once('message', (data) => resolve(String(data)));
      socket.send(text);
    });
  for (let i = 0; i < warm; i++) await once(`warm ${i}`);
  const times = [];
  for (let i = 0; i < reps; i++) {
    const started = nowMs();
    const answer = await once(`m ${i}`);
    times.push(nowMs() - started);
    if (answer !== `echo m ${i}`) throw new Error(`wrong answer ${answer}`);
  }
  socket.close();
  return times;
}

async function run(ctx) {
  const reps = ctx.args.reps ?? (ctx.quick ? 300 : 2000);
  const { startWebSocketEmulator } = require(dist('local/apigw-websocket/websocket-emulator.js'));
  const { readTemplateFile } = require(dist('local/dev/template-file.js'));
  const { startDevApp, localCertificate } = require(dist('local/dev/dev-app.js'));
  const { startLocalDynamo } = require(dist('local/stack/local-dynamo.js'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-bench-dev-'));
  fs.mkdirSync(path.join(dir, 'echo'));
  fs.writeFileSync(path.join(dir, 'echo', 'index.js'), ECHO);
  fs.writeFileSync(path.join(dir, 'template.yaml'), TEMPLATE);
  const handler = async (event) => ({ statusCode: 200, body: `echo ${event.body}` });
  const emulator = await startWebSocketEmulator({ handler, stage: 'bench', routeResponses: ['$default'] });
  // The least that isolating a handler in a process costs: the event to a forked child and its answer back.
  fs.writeFileSync(path.join(dir, 'bare-child.js'), BARE_CHILD);
  const child = fork(path.join(dir, 'bare-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let next = 0;
  child.on('message', ({ id, result }) => {
    waiting.get(id)(result);
    waiting.delete(id);
  });
  const forwarding = await startWebSocketEmulator({
    handler: (event) =>
      new Promise((resolve) => {
        const id = ++next;
        waiting.set(id, resolve);
        child.send({ id, event });
      }),
    stage: 'bench',
    routeResponses: ['$default'],
  });
  const dynamo = await startLocalDynamo();
  const certificate = await localCertificate();
  const model = readTemplateFile(path.join(dir, 'template.yaml'), { stackName: 'bench' });
  let app = await startDevApp(model, { dynamo, certificate });
  try {
    // Interleaved rounds, so both sides see the same machine.
    const anchor = [];
    const bare = [];
    const served = [];
    for (let round = 0; round < 4; round++) {
      anchor.push(...(await roundTrips(emulator.url, reps / 4)));
      bare.push(...(await roundTrips(forwarding.url, reps / 4)));
      served.push(...(await roundTrips(app.apis[0].url, reps / 4)));
    }
    const reloads = [];
    for (let i = 0; i < (ctx.quick ? 3 : 10); i++) {
      const started = nowMs();
      const ports = app.apis.map((a) => a.emulator.port);
      await app.stop();
      app = await startDevApp(readTemplateFile(path.join(dir, 'template.yaml'), { stackName: 'bench' }), {
        dynamo,
        certificate,
        ports,
      });
      // Until the first answer: the function's process starts on its first invocation.
      await roundTrips(app.apis[0].url, 1, 0);
      reloads.push(nowMs() - started);
    }
    const a = median(anchor);
    const b = median(bare);
    const s = median(served);
    return {
      tables: [
        {
          title: `A client message's round trip, two-way $default route (median of ${reps} each, interleaved)`,
          headers: ['served by', 'median ms'],
          rows: [
            ['the emulator, handler in its process', fmt(a, 3)],
            ['the emulator, the event to a bare forked child and back (anchor)', fmt(b, 3)],
            ['faas-grip-cdk dev, SAM template, handler in its own process', fmt(s, 3)],
            [`reload of that template until the first answer (median of ${reloads.length})`, fmt(median(reloads), 1)],
          ],
        },
      ],
      targets: [
        {
          what: 'faas-grip-cdk dev: a route invocation in the function’s own process vs a bare forked child',
          target: '<= 1.25x',
          measured: `${ratio(s / b)} (${fmt(s, 3)} vs ${fmt(b, 3)} ms; ${ratio(s / a)} the in-process handler's)`,
          met: s / b <= 1.25,
        },
      ],
      notes: [
        'Isolating a function in a process (as Lambda does) costs one IPC message each way; the anchor is that alone.',
        'A reload reads the template again, restarts the API on the same port and starts the function process on first use.',
      ],
    };
  } finally {
    await app.stop();
    await emulator.stop();
    await forwarding.stop();
    child.disconnect();
    await dynamo.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = {
  name: 'dev',
  title: 'faas-grip-cdk dev: a route invocation in its own process vs in the emulator, and a reload',
  usage: '--reps N (round trips of each kind; default 2000, --quick 300)',
  run,
};
