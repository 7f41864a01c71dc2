/**
 * Runs the `faas-grip-local` command (bin/local.ts) as a child process, as `npm start` does. The command is bundled
 * from the sources with esbuild (packages stay external) into .test-output/, so the tests need no prior build.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = resolve(__dirname, '..', '..');

/** Bundles bin/local.ts into `.test-output/<name>/local.js` (two levels below the root, like dist/bin). */
export function bundleLocalCommand(name: string): string {
  const outfile = join(ROOT, '.test-output', name, 'local.js');
  buildSync({
    entryPoints: [join(ROOT, 'bin', 'local.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    logLevel: 'silent',
  });
  return outfile;
}

/** A running command and what it printed. */
export interface LocalCommand {
  readonly child: ChildProcess;
  /** Lines printed on stdout so far. */
  readonly stdout: string[];
  /** Text printed on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Pids of the command's live child processes and theirs (Pushpin's runner and its services). */
  descendantPids(): number[];
  /** Sends `signal` (default SIGTERM) unless it has exited, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts the bundled command with `args` in `cwd`; `env` is added to the current environment. */
export function startLocalCommand(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  cwd: string = ROOT,
): LocalCommand {
  const child = spawn(process.execPath, [file, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((done) => {
    child.once('exit', (code, signal) => done(code ?? signal ?? -1));
  });
  return {
    child,
    stdout,
    stderr: () => stderr,
    exited,
    descendantPids: () => (child.pid === undefined ? [] : descendantsOf(child.pid)),
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until the command printed a line matching `pattern`; fails with what it printed when it exits first. */
export async function waitForLine(command: LocalCommand, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void command.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const line = command.stdout.find((candidate) => pattern.test(candidate));
    if (line !== undefined) return line;
    if (exited || Date.now() > deadline) {
      throw new Error(
        `faas-grip-local printed no line matching ${pattern} (${exited ? 'it exited' : 'timed out'});\n` +
          `stdout:\n${command.stdout.join('\n')}\nstderr:\n${command.stderr()}`,
      );
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

/** State letter and parent pid of a process (Linux /proc), or undefined when it does not exist. */
function statOf(pid: number): { state: string; parent: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], parent: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** True while a process with `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Live descendants of `pid`, children first. */
export function descendantsOf(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter(processAlive);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const candidate of all) {
      if (statOf(candidate)?.parent === parent) {
        found.push(candidate);
        walk(candidate);
      }
    }
  };
  walk(pid);
  return found;
}
