/**
 * `faas-grip-cdk dev` runs Node.js functions only: another runtime's function is named in the warnings, and the
 * route it serves answers as a failing integration does (the handshake refused with 500), not silently.
 */

import { join } from 'node:path';
import type { AppModel } from '../../../local/dev/app-model';
import type * as DevAppModule from '../../../local/dev/dev-app';
import { E2eClient } from '../../helpers/e2e-ws-client';

// The built module: its function processes run the built runner beside it (dist/local/dev/function-runner.js).
const { startDevApp } = require(
  join(__dirname, '..', '..', '..', 'dist', 'local', 'dev', 'dev-app.js'),
) as typeof DevAppModule;

it('names a function of another runtime and refuses the route it serves', async () => {
  const python = {
    id: 'S/Py',
    stack: 'S',
    logicalId: 'Py',
    path: 'S/Py/Resource',
    codeDir: '/nonexistent',
    handler: 'app.handler',
    runtime: 'python3.12',
    timeout: 3,
    environment: {},
  };
  const model: AppModel = {
    apis: [
      {
        id: 'S/Api',
        stack: 'S',
        logicalId: 'Api',
        name: 'Api',
        routeSelectionExpression: '$request.body.action',
        stageName: 'dev',
        routes: [{ routeKey: '$connect', functionId: 'S/Py', twoWay: false }],
      },
    ],
    gripOrigins: [],
    functions: new Map([[python.id, python]]),
    tables: new Map(),
    templates: new Map(),
    parameters: new Map(),
    warnings: [],
  };
  const errors: unknown[] = [];
  const app = await startDevApp(model, { onError: (error) => errors.push(error) });
  try {
    expect(app.warnings).toEqual(['S/Py/Resource: runtime python3.12 is not run locally (only Node.js functions are)']);
    await expect(E2eClient.connect('client', app.apis[0].url)).rejects.toMatchObject({ status: 500 });
    expect(String(errors[0])).toMatch(/S\/Py is not run locally/);
  } finally {
    await app.stop();
  }
});

it('runs $default for unmatched messages only: an API without $connect and $disconnect routes runs nothing for them', async () => {
  const events: string[] = [];
  const echo = {
    id: 'S/Echo',
    stack: 'S',
    logicalId: 'Echo',
    path: 'S/Echo',
    codeDir: '',
    // As API Gateway: $default is never invoked for a connect or a disconnect.
    inlineCode: [
      'exports.handler = async (event) => {',
      "  if (event.requestContext.eventType !== 'MESSAGE') throw new Error('$default ran for ' + event.requestContext.eventType);",
      "  return { statusCode: 200, body: 'echo ' + event.body };",
      '};',
    ].join('\n'),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    timeout: 3,
    environment: {},
  };
  const model: AppModel = {
    apis: [
      {
        id: 'S/Api',
        stack: 'S',
        logicalId: 'Api',
        name: 'Api',
        routeSelectionExpression: '$request.body.action',
        stageName: 'dev',
        routes: [{ routeKey: '$default', functionId: 'S/Echo', twoWay: true }],
      },
    ],
    gripOrigins: [],
    functions: new Map([[echo.id, echo]]),
    tables: new Map(),
    templates: new Map(),
    parameters: new Map(),
    warnings: [],
  };
  const app = await startDevApp(model, { onError: (error) => events.push(String(error)) });
  try {
    const client = await E2eClient.connect('client', app.apis[0].url);
    client.send('hi');
    await client.expect('echo hi');
    client.close();
  } finally {
    await app.stop();
  }
  expect(events).toEqual([]);
});

it('provides the AWS SDK v3 to a function that did not bundle it, and nothing else of its own install', async () => {
  const probe = {
    id: 'S/Probe',
    stack: 'S',
    logicalId: 'Probe',
    path: 'S/Probe',
    codeDir: '',
    inlineCode: [
      'const found = (name) => { try { require(name); return name + ": found"; } catch { return name + ": not found"; } };',
      "exports.handler = async () => ({ statusCode: 200, body: ['@aws-sdk/client-dynamodb', 'ws', 'yaml'].map(found).join('; ') });",
    ].join('\n'),
    handler: 'index.handler',
    runtime: 'nodejs20.x',
    timeout: 3,
    environment: {},
  };
  const model: AppModel = {
    apis: [
      {
        id: 'S/Api',
        stack: 'S',
        logicalId: 'Api',
        name: 'Api',
        routeSelectionExpression: '$request.body.action',
        stageName: 'dev',
        routes: [{ routeKey: '$default', functionId: 'S/Probe', twoWay: true }],
      },
    ],
    gripOrigins: [],
    functions: new Map([[probe.id, probe]]),
    tables: new Map(),
    templates: new Map(),
    parameters: new Map(),
    warnings: [],
  };
  const app = await startDevApp(model);
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
