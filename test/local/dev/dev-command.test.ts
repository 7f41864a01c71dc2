/**
 * `faas-grip-cdk` fails clearly: an unknown command prints the usage and exits 1; `dev` outside a CDK project, on
 * a directory that holds no assembly, or with an app that does not synthesize, says which and exits 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCommand } from '../../helpers/local-command';

const BIN = join(__dirname, '..', '..', '..', 'dist', 'bin', 'faas-grip-cdk.js');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faas-grip-dev-command-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outcome = async (args: string[], cwd = dir) => {
  const command = startLocalCommand(BIN, args, {}, cwd);
  const code = await command.exited;
  return { code, stdout: command.stdout.join('\n'), stderr: command.stderr() };
};

it('prints the usage for an unknown command', async () => {
  const run = await outcome(['deploy']);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('usage: faas-grip-cdk dev');
});

it('says there is no cdk.json outside a CDK project', async () => {
  const run = await outcome(['dev']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('no cdk.json in');
});

it('says a directory holds no assembly', async () => {
  const run = await outcome(['dev', '--assembly', dir]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('no cloud assembly in');
});

it("shows the app's own error when it does not synthesize", async () => {
  const project = mkdtempSync(join(dir, 'app-'));
  writeFileSync(join(project, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
  writeFileSync(join(project, 'app.js'), "throw new Error('the app is broken');\n");
  const run = await outcome(['dev'], project);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('synthesizing the app (node app.js) failed');
  expect(run.stderr).toContain('the app is broken');
});
