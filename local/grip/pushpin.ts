/**
 * Launches private Pushpin instances for local runs and tests. Each instance gets a fresh temp directory (readable
 * by this user only) for its config, routes, IPC sockets and logs, and a free client port, so several run side by
 * side. Pushpin checks no credentials on publish, so it opens no publish port: it reads publishes from an IPC socket
 * in that directory, and the instance's publish API is a JWT gate (publish-gate.ts) that hands accepted items to
 * that socket. The runner process (which starts condure, zurl, pushpin-proxy and pushpin-handler) is stopped with
 * SIGTERM by `stop()` or, as a last resort, when the Node process exits.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { FaasGripError, GripConfigError } from '../../lambda/core/errors';
import { onProcessExit } from '../support/exit-cleanup';
import { freePorts } from '../support/free-port';
import { buildGripUrl } from './grip-url-builder';
import { type PublishGate, type PublishSink, startPublishGate } from './publish-gate';
import { PROBE_HOST, type PushpinRouteOptions, publishSocketPath, pushpinConf, pushpinRoutes } from './pushpin-config';
import { startProbeBackend, waitUntilReady } from './pushpin-probe';
import { childPids, exited, killQuietly, waitForExit } from './pushpin-process';
import { encodeTnetstring } from './tnetstring';
import { connectPush, type PushSocket } from './zmtp-push';

export type { PushpinRouteOptions } from './pushpin-config';

/** Options of {@link startPushpin}. */
export interface StartPushpinOptions {
  /** The backend as `host:port`, e.g. a front door's `127.0.0.1:4567`. */
  readonly target: string;
  /** How requests are routed to the backend; default WebSocket-over-HTTP, paths unchanged. */
  readonly route?: PushpinRouteOptions;
  /** Key Pushpin signs `Grip-Sig` with; default 32 random bytes as hex. */
  readonly sigKey?: string;
  /** Client (HTTP and WebSocket) port on 127.0.0.1; default (or 0) a free port. */
  readonly httpPort?: number;
  /** Issuer of `Grip-Sig`; default `pushpin`. */
  readonly sigIss?: string;
  /** Issuer the publish API requires in tokens; default `faas-grip-local`. */
  readonly publishIss?: string;
  /** HS256 key the publish API requires tokens signed with; default 32 random bytes as hex. */
  readonly publishKey?: string;
  /** Pushpin log level, 0 (errors) to 3 (debug); default 1. */
  readonly logLevel?: number;
  /** The `pushpin` executable; default {@link findPushpin}. */
  readonly binary?: string;
  /** How long to wait for readiness; default 20 s. */
  readonly readyTimeoutMs?: number;
  /** Receives each log line of the instance. */
  readonly onLog?: (line: string) => void;
}

/** A running Pushpin instance. */
export interface PushpinInstance {
  /** Client-facing base URL (`http://127.0.0.1:<port>`); use `ws://` with the same host and port for WebSockets. */
  readonly httpUrl: string;
  readonly httpPort: number;
  /**
   * Control API base URL (publish goes to `<publishUrl>/publish/`): a gate that requires `Authorization: Bearer`
   * with an HS256 JWT carrying `publishIss` and an `exp`, signed with `publishKey`.
   */
  readonly publishUrl: string;
  readonly publishPort: number;
  readonly publishIss: string;
  readonly publishKey: string;
  /** Key of the `Grip-Sig` JWTs Pushpin attaches to proxied requests. */
  readonly sigKey: string;
  readonly sigIss: string;
  /**
   * GRIP_URL with the control URI, the publish issuer and key, and `verify-iss`/`verify-key`: the runtime
   * publishes through the gate and verifies Pushpin's signatures.
   */
  readonly gripUrl: string;
  /** The runner's process id. */
  readonly pid: number;
  /** The last log lines (for failure messages). */
  logs(): string;
  /** Stops the instance, waits for its processes to exit and removes its temp directory. */
  stop(): Promise<void>;
}

const MAX_LOG_LINES = 200;
const START_ATTEMPTS = 3;

/** The path of the `pushpin` executable (`PUSHPIN_BIN`, else the first on PATH), or `undefined`. */
export function findPushpin(): string | undefined {
  const candidates = process.env.PUSHPIN_BIN
    ? [process.env.PUSHPIN_BIN]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, 'pushpin'));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Starts a Pushpin instance in front of `options.target` and resolves once it is ready: a publish is accepted, and a
 * held HTTP stream and a WebSocket handshake made the full trip through it (to a probe backend of the launcher).
 */
export async function startPushpin(options: StartPushpinOptions): Promise<PushpinInstance> {
  const binary = options.binary ?? findPushpin();
  if (!binary) {
    throw new GripConfigError(
      'pushpin is not installed: install it (Debian: apt-get install pushpin) or set PUSHPIN_BIN',
    );
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(binary: string, options: StartPushpinOptions): Promise<PushpinInstance> {
  const sigKey = options.sigKey ?? randomBytes(32).toString('hex');
  const sigIss = options.sigIss ?? 'pushpin';
  const dir = mkdtempSync(join(tmpdir(), 'faas-grip-pushpin-'));
  const runDir = join(dir, 'run');
  const logDir = join(dir, 'log');
  mkdirSync(runDir);
  mkdirSync(logDir);
  const httpPort = options.httpPort || (await freePorts(1))[0];
  const probeBackend = await startProbeBackend();
  try {
    const conf = pushpinConf({
      runDir,
      logDir,
      sigIss,
      sigKey,
      logLevel: options.logLevel ?? 1,
    });
    writeFileSync(join(dir, 'pushpin.conf'), conf);
    writeFileSync(join(dir, 'routes'), pushpinRoutes(options.target, probeBackend.port, options.route));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    await probeBackend.stop();
    throw error;
  }

  const lines: string[] = [];
  const child = spawn(
    binary,
    [
      '--config',
      join(dir, 'pushpin.conf'),
      '--merge-output',
      '--port',
      `127.0.0.1:${httpPort}`,
      '--loglevel',
      String(options.logLevel ?? 1),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > MAX_LOG_LINES) lines.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const cleanupOnExit = onProcessExit(() => {
    if (!exited(child)) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  let publisher: PushSocket | undefined;
  let gate: PublishGate | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await gate?.stop();
      publisher?.close();
      const pids = childPids(runDir);
      if (!exited(child)) child.kill('SIGTERM');
      if (!(await waitForExit(child, 10_000))) {
        for (const pid of pids) killQuietly(pid, 'SIGKILL');
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
      cleanupOnExit();
      rmSync(dir, { recursive: true, force: true });
      await probeBackend.stop();
    })();
    return stopped;
  };

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const logs = () => lines.join('\n');
  const publishReady = async () => {
    publisher ??= await connectPush(publishSocketPath(runDir), 1_000).catch(() => undefined);
    return publisher !== undefined;
  };
  const failure = await waitUntilReady({
    httpUrl,
    publishReady,
    probeHost: PROBE_HOST,
    timeoutMs: options.readyTimeoutMs ?? 20_000,
    exited: () => exited(child),
    spawnError,
  });
  if (failure) {
    await stop();
    throw new FaasGripError(`pushpin (${binary}) did not start: ${failure}\n--- pushpin log ---\n${logs()}`);
  }
  const socket = publisher as PushSocket;
  const sink: PublishSink = {
    publish: async (items) => {
      for (const item of items) await socket.send(encodeTnetstring(item));
    },
  };
  const publishIss = options.publishIss ?? 'faas-grip-local';
  const publishKey = options.publishKey ?? randomBytes(32).toString('hex');
  try {
    gate = await startPublishGate({ upstream: sink, iss: publishIss, key: publishKey });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpUrl,
    httpPort,
    publishUrl: gate.url,
    publishPort: gate.port,
    publishIss,
    publishKey,
    sigKey,
    sigIss,
    gripUrl: buildGripUrl({
      controlUri: gate.url,
      iss: publishIss,
      key: publishKey,
      verifyIss: sigIss,
      verifyKey: sigKey,
    }),
    pid: child.pid ?? 0,
    logs,
    stop,
  };
}
