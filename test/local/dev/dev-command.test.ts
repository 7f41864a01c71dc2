/**
 * `faas-grip-cdk` fails clearly: an unknown command prints the usage and exits 1; `dev` outside a CDK project, on
 * a directory that holds no assembly, with an app that does not synthesize, a template that does not parse, or flags
 * that do not go together, says which and exits 1.
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

it('refuses --template with --app, and --stack-name without a template', async () => {
  const both = await outcome(['dev', '--template', 'template.yaml', '--app', 'node app.js']);
  expect(both.code).toBe(1);
  expect(both.stderr).toContain('--template reads a template file: give it without --app or --assembly');
  const stackName = await outcome(['dev', '--stack-name', 'S']);
  expect(stackName.code).toBe(1);
  expect(stackName.stderr).toContain("--stack-name names a template file's stack");
});

it('names the file and line of a template that does not parse, and a parameter no template has', async () => {
  const project = mkdtempSync(join(dir, 'sam-'));
  writeFileSync(join(project, 'template.yaml'), 'Resources:\n  Fn: [unclosed\n');
  const broken = await outcome(['dev'], project);
  expect(broken.code).toBe(1);
  expect(broken.stderr).toMatch(/faas-grip-cdk dev: .*template\.yaml: .*line 3/s);
  writeFileSync(join(project, 'template.yaml'), 'Resources: {}\n');
  const unknown = await outcome(['dev', '--parameter', 'Nope=1'], project);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no template has the parameter Nope (--parameter)');
});
