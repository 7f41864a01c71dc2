/**
 * `faas-grip-cdk dev`'s servers on one-function apps: a function of another runtime is named in the warnings and
 * the route it serves answers as a failing integration does (500), not silently; `$default` runs for unmatched
 * messages only, never for `$connect` or `$disconnect`; a function gets the AWS SDK v3 it did not bundle and nothing
 * else of the runner's install, as on Lambda.
 */

import { join } from 'node:path';
import type { AppFunction, AppModel, AppRoute } from '../../../local/dev/app-model';
import type * as DevAppModule from '../../../local/dev/dev-app';
import { E2eClient } from '../../helpers/e2e-ws-client';

// The built module: its function processes run the built runner beside it (dist/local/dev/function-runner.js).
const { startDevApp } = require(
  join(__dirname, '..', '..', '..', 'dist', 'local', 'dev', 'dev-app.js'),
) as typeof DevAppModule;

/** A function `S/<name>` with inline Node.js code (or of `runtime`). */
function inlineFunction(name: string, code: string, runtime = 'nodejs20.x'): AppFunction {
  return {
    id: `S/${name}`,
    stack: 'S',
    logicalId: name,
    path: `S/${name}/Resource`,
    codeDir: '',
    inlineCode: code,
    handler: 'index.handler',
    runtime,
    timeout: 3,
    environment: {},
  };
}

/** An app of one WebSocket API (stage `dev`) whose `routes` go to `fn`. */
function oneApiApp(fn: AppFunction, routes: ReadonlyArray<Omit<AppRoute, 'functionId'>>): AppModel {
  return {
    apis: [
      {
        id: 'S/Api',
        stack: 'S',
        logicalId: 'Api',
        name: 'Api',
        routeSelectionExpression: '$request.body.action',
        stageName: 'dev',
        routes: routes.map((r) => ({ ...r, functionId: fn.id })),
      },
    ],
    gripOrigins: [],
    functions: new Map([[fn.id, fn]]),
    tables: new Map(),
    templates: new Map(),
    parameters: new Map(),
    warnings: [],
  };
}

it('names a function of another runtime and refuses the route it serves', async () => {
  const python = inlineFunction('Py', 'def handler(event, context): pass', 'python3.12');
  const errors: unknown[] = [];
  const app = await startDevApp(oneApiApp(python, [{ routeKey: '$connect', twoWay: false }]), {
    onError: (error) => errors.push(error),
  });
  try {
    expect(app.warnings).toEqual(['S/Py/Resource: runtime python3.12 is not run locally (only Node.js functions are)']);
    await expect(E2eClient.connect('client', app.apis[0].url)).rejects.toMatchObject({ status: 500 });
    expect(String(errors[0])).toMatch(/S\/Py is not run locally/);
  } finally {
    await app.stop();
  }
});

it('runs $default for unmatched messages only: an API without $connect and $disconnect routes runs nothing for them', async () => {
  // As API Gateway: $default is never invoked for a connect or a disconnect.
  const echo = inlineFunction(
    'Echo',
    [
      'exports.handler = async (event) => {',
      "  if (event.requestContext.eventType !== 'MESSAGE') throw new Error('$default ran for ' + event.requestContext.eventType);",
      "  return { statusCode: 200, body: 'echo ' + event.body };",
      '};',
    ].join('\n'),
  );
  const errors: string[] = [];
  const app = await startDevApp(oneApiApp(echo, [{ routeKey: '$default', twoWay: true }]), {
    onError: (error) => errors.push(String(error)),
  });
  try {
    const client = await E2eClient.connect('client', app.apis[0].url);
    client.send('hi');
    await client.expect('echo hi');
    client.close();
  } finally {
    await app.stop();
  }
  expect(errors).toEqual([]);
});

it('provides the AWS SDK v3 to a function that did not bundle it, and nothing else of its own install', async () => {
  const probe = inlineFunction(
    'Probe',
    [
      'const found = (name) => { try { require(name); return name + ": found"; } catch { return name + ": not found"; } };',
      "exports.handler = async () => ({ statusCode: 200, body: ['@aws-sdk/client-dynamodb', 'ws', 'yaml'].map(found).join('; ') });",
    ].join('\n'),
  );
  const app = await startDevApp(oneApiApp(probe, [{ routeKey: '$default', twoWay: true }]));
  try {
    const client = await E2eClient.connect('client', app.apis[0].url);
    client.send('probe');
    // As on Lambda: the runtime's SDK, not the packages that happen to sit beside it here.
    await client.expect('@aws-sdk/client-dynamodb: found; ws: not found; yaml: not found');
    client.close();
  } finally {
    await app.stop();
  }
});
