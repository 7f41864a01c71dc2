/**
 * Synthesizes a user's CDK app the way the CDK CLI does: runs its `app` command (from `cdk.json`, or given) with
 * `CDK_OUTDIR` naming the assembly directory, which `App` writes to.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The app command of the project in `dir`, from its cdk.json. @throws Error when there is none. */
export function appCommand(dir: string): string {
  const file = join(dir, 'cdk.json');
  if (!existsSync(file))
    throw new Error(
      `no cdk.json in ${dir}: run in a CDK project (or a SAM project with template.yaml), or give --app, --assembly or --template`,
    );
  const app = (JSON.parse(readFileSync(file, 'utf8')) as { app?: unknown }).app;
  if (typeof app !== 'string' || app.trim() === '') throw new Error(`${file} has no "app" command`);
  return app;
}

/** The context the CDK CLI gives an app, with the asset metadata on (it tells where each function's code is). */
function contextJson(): string {
  const given = process.env.CDK_CONTEXT_JSON ? (JSON.parse(process.env.CDK_CONTEXT_JSON) as object) : {};
  return JSON.stringify({ 'aws:cdk:enable-asset-metadata': true, ...given });
}

/**
 * Runs `app` in `dir` with the assembly going to `outdir`; resolves with the assembly's directory.
 * @throws Error with the app's output when it fails.
 */
export function synthesize(dir: string, app: string, outdir: string): Promise<string> {
  const out = resolve(dir, outdir);
  return new Promise((done, fail) => {
    const child = spawn(app, {
      cwd: dir,
      shell: true,
      env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: contextJson() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code === 0 && existsSync(join(out, 'manifest.json'))) done(out);
      else fail(new Error(`synthesizing the app (${app}) failed with ${code}:\n${output.slice(-4000)}`));
    });
  });
}
