import { CONNECTION_TTL_SECONDS } from '../../../lambda/contract';
import { FaasGripError } from '../../../lambda/core/errors';
import { loadHandlerModule } from '../../../local/dev-server/load-handler';

const FIXTURES = 'test/fixtures/dev-server';

describe('loadHandlerModule', () => {
  test('loads the handler export of a CommonJS module', async () => {
    const handler = (await loadHandlerModule(`${FIXTURES}/plain-handler.js`)) as unknown as (event: unknown) => unknown;
    await expect(handler({ requestContext: { routeKey: '$default' } })).resolves.toEqual({
      statusCode: 200,
      body: '{"route":"$default"}',
    });
  });

  test('finds the file without its extension', async () => {
    await expect(loadHandlerModule(`${FIXTURES}/plain-handler`)).resolves.toEqual(expect.any(Function));
  });

  test('bundles a TypeScript module with esbuild, relative imports included, and loads its handler', async () => {
    const handler = (await loadHandlerModule(`${FIXTURES}/typed-handler.ts`)) as unknown as (event: unknown) => unknown;
    await expect(handler({ name: 'ann' })).resolves.toEqual({
      statusCode: 200,
      body: `hello ann, connections live ${CONNECTION_TTL_SECONDS} s`,
    });
  });

  test('fails naming the file when it does not exist', async () => {
    const loading = loadHandlerModule(`${FIXTURES}/missing-handler.js`);
    await expect(loading).rejects.toThrow(FaasGripError);
    await expect(loading).rejects.toThrow(/handler module test\/fixtures\/dev-server\/missing-handler\.js not found/);
  });

  test('fails with how to fix it when the module exports no handler', async () => {
    await expect(loadHandlerModule(`${FIXTURES}/not-a-handler.js`)).rejects.toThrow(
      'handler module test/fixtures/dev-server/not-a-handler.js exports no handler function (found undefined); ' +
        'export one: export const handler = async (event) => { ... }',
    );
  });
});
