/**
 * `faas-grip-cdk dev` runs Node.js functions only: another runtime's function is named in the warnings, and the
 * route it serves answers as a failing integration does (the handshake refused with 500), not silently.
 */
import type { AppModel } from '../../../local/dev/app-model';
import { startDevApp } from '../../../local/dev/dev-app';
import { E2eClient } from '../../helpers/e2e-ws-client';

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
