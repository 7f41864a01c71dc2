/**
 * scripts/bundle.js on a scratch copy of the repo layout (its own contract and handlers), so the test neither
 * depends on nor touches the real handler bundles.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

let scratch: string;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
  fs.writeFileSync(path.join(scratch, file), text);
}

function bundle() {
  return spawnSync(process.execPath, [path.join(scratch, 'scripts', 'bundle.js')], { cwd: scratch, encoding: 'utf8' });
}

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-bundle-'));
  fs.mkdirSync(path.join(scratch, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'bundle.js'), path.join(scratch, 'scripts', 'bundle.js'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
  write('lambda/contract.ts', "export const HandlerBundleName = { ONE: 'one', TWO: 'two-words' } as const;\n");
  write('lambda/errors.ts', "export class SpecialError extends Error {\n  override name = 'SpecialError';\n}\n");
  for (const name of ['one', 'two-words']) {
    write(
      `lambda/handlers/${name}.ts`,
      [
        "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
        "import { SpecialError } from '../errors';",
        'export const handler = async (fail: boolean) => {',
        `  if (fail) throw new SpecialError('${name} failed');`,
        '  return typeof SecretsManagerClient;',
        '};',
        '',
      ].join('\n'),
    );
  }
});

afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('scripts/bundle.js', () => {
  test('bundles every handler of the contract, silently, with an external source map and the AWS SDK left out', async () => {
    // WHEN
    const result = bundle();

    // THEN
    expect([result.status, result.stdout, result.stderr]).toEqual([0, '', '']);
    for (const name of ['one', 'two-words']) {
      const code = fs.readFileSync(path.join(scratch, 'assets', name, 'index.js'), 'utf8');
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
      expect(code).toContain('require("@aws-sdk/client-secrets-manager")');
      expect(code.split('\n').length).toBeLessThan(5); // minified
      const map = JSON.parse(fs.readFileSync(path.join(scratch, 'assets', name, 'index.js.map'), 'utf8'));
      expect(map.sources.some((s: string) => s.endsWith(`handlers/${name}.ts`))).toBe(true);
    }
    // error classes that name themselves in a literal (as lambda/core/errors.ts does) keep their names when minified
    const { handler } = require(path.join(scratch, 'assets', 'one', 'index.js'));
    await expect(handler(true)).rejects.toMatchObject({ name: 'SpecialError', message: 'one failed' });
    await expect(handler(false)).resolves.toBe('function');
  });

  test('fails, naming each handler that is missing or does not compile', () => {
    // GIVEN
    fs.rmSync(path.join(scratch, 'lambda', 'handlers', 'one.ts'));
    write('lambda/handlers/two-words.ts', 'export const handler = () => { nope( ; };\n');

    // WHEN
    const result = bundle();

    // THEN
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("bundle: handler 'one' has no entry file: expected lambda/handlers/one.ts");
    expect(result.stderr).toMatch(
      /bundle: handler 'two-words' failed to bundle:\n {2}lambda\/handlers\/two-words\.ts:1:\d+: /,
    );
  });
});
