/**
 * One function of `faas-grip-cdk dev` in a Node.js process of its own, as on Lambda: its environment only, its
 * globals and crashes its own, its timeout enforced (an invocation past it fails with "Task timed out after N
 * seconds" and the process is replaced, as Lambda replaces a timed-out sandbox).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The node_modules directory holding the AWS SDK for JavaScript v3 that faas-grip-cdk depends on. */
const SDK_MODULES = dirname(dirname(dirname(require.resolve('@aws-sdk/client-dynamodb/package.json'))));

/**
 * Makes `dir` (a `node_modules`) a module directory holding the AWS SDK v3 and nothing else (links to its
 * `@aws-sdk` and `@smithy` scopes), for the functions' NODE_PATH: as on Lambda, where the runtime provides the SDK, a package the function
 * did not bundle is not found, even though faas-grip-cdk's other dependencies sit beside the SDK.
 */
export function runtimeModules(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const scope of ['@aws-sdk', '@smithy']) {
    if (existsSync(join(SDK_MODULES, scope)) && !existsSync(join(dir, scope))) {
      symlinkSync(join(SDK_MODULES, scope), join(dir, scope), 'dir');
    }
  }
  return dir;
}

/** What a function process runs. */
export interface FunctionProcessSpec {
  /** The code's file, without extension, and the handler's export. */
  readonly file: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly timeoutSeconds: number;
  /** The function's environment (the process gets PATH and HOME besides, nothing else of ours). */
  readonly env: Readonly<Record<string, string>>;
  /** The runtime's module directory, the process's NODE_PATH ({@link runtimeModules}). */
  readonly runtimeModules: string;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A function's process, started on its first invocation and again after a crash or a timeout. */
export class FunctionProcess {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stopped = false;

  constructor(private readonly spec: FunctionProcessSpec) {}

  /** Runs the handler with `event`; rejects with its error, or with the timeout's. */
  invoke(event: unknown): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error(`${this.spec.functionName} is stopped`));
    const child = this.process();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`));
        // Lambda ends a sandbox whose invocation timed out: the next invocation starts a fresh process.
        this.replace(child);
      }, this.spec.timeoutSeconds * 1000);
      this.pending.set(id, { resolve, reject, timer });
      child.send({ id, event });
    });
  }

  /** Ends the process. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('the function process was stopped'));
      this.pending.delete(id);
    }
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
  }

  private process(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.connected) return this.child;
    const base = Object.fromEntries(
      ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])),
    );
    const child = fork(join(__dirname, 'function-runner.js'), [], {
      env: {
        ...base,
        ...this.spec.env,
        // As on Lambda, whose NODE_PATH names its runtime's modules: the SDK v3 faas-grip-cdk installs.
        NODE_PATH: this.spec.runtimeModules,
        AWS_LAMBDA_FUNCTION_NAME: this.spec.functionName,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(this.spec.timeoutSeconds),
        FAAS_GRIP_DEV_FUNCTION: JSON.stringify({
          file: this.spec.file,
          exportName: this.spec.exportName,
          functionName: this.spec.functionName,
          timeoutMs: this.spec.timeoutSeconds * 1000,
        }),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--no-warnings', '--require', join(__dirname, 'aws-endpoint-hook.js')],
    });
    child.on(
      'message',
      (message: { id: number; result?: unknown; error?: { name: string; message: string; stack?: string } }) => {
        const p = this.pending.get(message.id);
        if (!p) return;
        this.pending.delete(message.id);
        clearTimeout(p.timer);
        if (message.error) p.reject(Object.assign(new Error(message.error.message), message.error));
        else p.resolve(message.result);
      },
    );
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.spec.functionName}: the function's process exited (${signal ?? code})`));
        this.pending.delete(id);
      }
    });
    this.child = child;
    return child;
  }

  private replace(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    child.kill('SIGKILL');
  }
}
