/**
 * The local dev server behind `npm start`: one handler served on both transports at once, in one process, so a
 * single chat room spans them. Native: the WebSocket emulator with an in-memory DynamoDB connection table. GRIP:
 * Pushpin in front of the REST front door, its publish API behind a JWT gate. The handler's environment holds
 * both transports' settings, so its `publish()` reaches every subscriber. A chat page is served on `/`.
 */
// Sign-in sets FAAS_GRIP_AUTH_*: the verified-identity module is registered, so the handlers this process runs have
// it even when this code is bundled (a bundle of bin/, for instance).
import '../../lambda/auth-api';
import { Env } from '../../lambda/contract';
import { PING_COMMAND } from '../../lambda/examples/chat/chat-commands';
import type { LambdaHandler } from '../apigw-websocket/lambda-context';
import { type EmulatorCredentials, runCredentials } from '../apigw-websocket/websocket-emulator';
import { findPushpin } from '../grip/pushpin';
import { type DevIssuer, startDevIssuer } from '../identity/dev-issuer';
import { type GripStack, startGripStack } from '../stack/grip-stack';
import { startNativeStack } from '../stack/native-stack';
import { StopStack } from '../stack/stop-stack';
import { loadHandlerModule } from './load-handler';
import { type ChatPageConfig, formatHost, startStaticServer } from './static-server';

/** The command the chat page sends as its heartbeat (the chat handler answers it with nothing). */
export const HEARTBEAT_COMMAND = PING_COMMAND;
/**
 * How often the chat page sends its heartbeat: well inside API Gateway's 10-minute idle timeout, and the presence
 * liveness signal (with the default 45-second presence timeout, a silent page leaves the online list within 60 s).
 */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** The chat's private channel when sign-in is on: `staff`, for alice and bob. */
export const DEFAULT_PRIVATE_CHANNELS: Readonly<Record<string, readonly string[]>> = { staff: ['alice', 'bob'] };
/** What to install to turn the GRIP transport on. */
export const GRIP_INSTALL_HINT = 'apt-get install pushpin';

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /**
   * The Lambda handler to serve, or the path of a module exporting `handler` (.js, or .ts when esbuild is installed).
   * @default - the library's chat handler
   */
  readonly handler?: LambdaHandler | string;
  /**
   * Interface every server binds.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Port of the chat page; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Port of the native WebSocket endpoint (and its management and Lambda APIs); 0 picks a free one.
   * @default 0
   */
  readonly wsPort?: number;
  /**
   * Port of the GRIP WebSocket endpoint (Pushpin's client port); 0 picks a free one.
   * @default 0
   */
  readonly gripPort?: number;
  /**
   * Run the GRIP transport when Pushpin is installed.
   * @default true
   */
  readonly grip?: boolean;
  /**
   * Interval of the chat page's heartbeat, in milliseconds.
   * @default 300000 (5 minutes)
   */
  readonly heartbeatMs?: number;
  /**
   * Sign users in: a development identity provider (an OIDC issuer on loopback) runs beside the servers, the chat
   * page signs in by name through it, and connections must carry its ID token (FAAS_GRIP_AUTH_*).
   * @default false (the `faas-grip-local` command turns it on unless `--no-sign-in`)
   */
  readonly signIn?: boolean;
  /**
   * Channels open only to the listed users (with `signIn`).
   * @default { staff: ['alice', 'bob'] }
   */
  readonly privateChannels?: Readonly<Record<string, readonly string[]>>;
  /**
   * The native API's stage (its URL path).
   * @default 'local'
   */
  readonly stage?: string;
  /**
   * The native API's shape: routes, route selection expression, two-way routes, a `$connect` authorizer (a
   * handler, or the path of a module exporting `handler`) with its identity sources, idle and age limits (ms).
   * @default - `$connect`, `$disconnect` and `$default`, no authorizer, API Gateway's limits (10 min idle, 2 h)
   */
  readonly api?: DevServerApi;
  /**
   * Receives the errors of handler invocations and of stopping.
   * @default - `console.error`
   */
  readonly onError?: (error: unknown) => void;
}

/** The native API's shape (see {@link DevServerOptions.api}). */
export interface DevServerApi {
  readonly routes?: readonly string[];
  readonly routeSelectionExpression?: string;
  readonly routeResponses?: readonly string[];
  readonly authorizer?: LambdaHandler | string;
  readonly identitySource?: readonly string[];
  readonly idleTimeout?: number;
  readonly maxConnectionAge?: number;
}

/** Where the dev server is reachable. */
export interface DevServerUrls {
  /** The chat page, `http://host:port/`. */
  readonly page: string;
  /** The native transport's WebSocket endpoint, `ws://host:port/local`. */
  readonly native: string;
  /** The GRIP transport's WebSocket endpoint, absent when GRIP is off. */
  readonly grip?: string;
  /** The development identity provider, when sign-in is on. */
  readonly issuer?: string;
}

/** A running dev server. */
export interface DevServer {
  readonly urls: DevServerUrls;
  /** Why GRIP is off, with how to turn it on; absent when GRIP runs. */
  readonly gripOff?: string;
  /** The environment variables the handler runs with (set on `process.env` until `stop()`). */
  readonly env: Readonly<Record<string, string>>;
  /** Things that did not go as asked but did not stop the server (printed on stderr by the command). */
  readonly warnings: readonly string[];
  /** Process id of the Pushpin runner, when GRIP runs. */
  readonly pushpinPid?: number;
  /** Stops every server and child process and restores `process.env`. Safe to call twice. */
  stop(): Promise<void>;
}

function displayHost(host: string): string {
  return formatHost(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
}

/** Sets `vars` on `process.env`; returns a function that puts the previous values back. */
function applyEnv(vars: Readonly<Record<string, string>>): () => void {
  const previous = Object.keys(vars).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, vars);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/**
 * Placeholders the AWS SDK needs locally, kept when the user already set them. The placeholder secret is new on
 * every run, so only this run's handlers can sign a call the emulator accepts.
 */
function sdkDefaults(): Record<string, string> {
  const env: Record<string, string> = {};
  if (!process.env.AWS_REGION) env.AWS_REGION = process.env.AWS_DEFAULT_REGION || 'us-east-1';
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) {
    const run = runCredentials();
    env.AWS_ACCESS_KEY_ID = run.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = run.secretAccessKey;
  }
  if (!process.env.POWERTOOLS_METRICS_DISABLED && !process.env.POWERTOOLS_DEV) env.POWERTOOLS_METRICS_DISABLED = 'true';
  return env;
}

/**
 * The credentials the handlers sign management API and Lambda Invoke calls with (the run's placeholders, or keys
 * in the environment): the emulator checks every signature against them, as AWS would.
 */
function signingCredentials(sdkEnv: Readonly<Record<string, string>>): EmulatorCredentials {
  return {
    accessKeyId: sdkEnv.AWS_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: sdkEnv.AWS_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY ?? '',
  };
}

async function loadHandler(handler: DevServerOptions['handler']): Promise<LambdaHandler> {
  if (typeof handler === 'function') return handler;
  if (typeof handler === 'string') return loadHandlerModule(handler);
  const chat = await import('../../lambda/examples/chat/chat-handler');
  return chat.handler as LambdaHandler;
}

/**
 * Starts the dev server. The runtime keeps its AWS SDK clients for the life of the process, so run one dev server
 * per process.
 *
 * @example
 * const server = await startDevServer({ port: 8080 });
 * console.log(server.urls.page);
 * await server.stop();
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const shown = displayHost(host);
  const onError = options.onError ?? ((error: unknown) => console.error('dev server: handler failed:', error));
  const functionName = 'faas-grip-local';
  let restoreEnv = () => {};
  const stack = new StopStack(onError);
  stack.push(async () => restoreEnv());

  // The servers call the handler through this, so they can start before the handler module is loaded.
  let resolveHandler: (handler: LambdaHandler) => void = () => {};
  const ready = new Promise<LambdaHandler>((resolve) => {
    resolveHandler = resolve;
  });
  const handler = (async (event: never, context: never) => (await ready)(event, context)) as LambdaHandler;

  return stack.build(async () => {
    const sdkEnv = sdkDefaults();
    const { authorizer, ...shape } = options.api ?? {};
    const native = await startNativeStack({
      handler,
      host,
      port: options.wsPort ?? 0,
      stage: options.stage,
      functionName,
      onError,
      credentials: signingCredentials(sdkEnv),
      api: {
        ...shape,
        ...(authorizer === undefined ? {} : { authorizer: await loadHandler(authorizer) }),
      },
    });
    stack.push(() => native.stop());
    const env: Record<string, string> = { ...sdkEnv, ...native.env };

    let gripUrl: string | undefined;
    let gripOff: string | undefined;
    let grip: GripStack | undefined;
    if (options.grip === false) {
      gripOff = 'grip: off (disabled by --no-grip)';
    } else if (findPushpin() === undefined) {
      gripOff = `grip: off, Pushpin is not installed; install it (${GRIP_INSTALL_HINT}) to enable the grip transport`;
    } else {
      grip = await startGripStack({ handler, functionName, port: options.gripPort ?? 0, onError });
      stack.push(() => grip?.stop() ?? Promise.resolve());
      Object.assign(env, grip.env);
      gripUrl = `ws://${shown}:${grip.pushpin.httpPort}/`;
    }

    const nativeUrl = native.wsUrl.replace(`//${host}:`, `//${shown}:`);
    let config: ChatPageConfig = {
      transports: { native: nativeUrl, ...(gripUrl ? { grip: gripUrl } : {}) },
      ...(gripOff ? { hint: gripOff } : {}),
      heartbeat: { command: HEARTBEAT_COMMAND, intervalMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS },
    };
    const page = await startStaticServer({ host, port: options.port ?? 0, config: () => config });
    stack.push(() => page.stop());
    const pageUrl = page.url.replace(`//${formatHost(host)}:`, `//${shown}:`);

    let issuer: DevIssuer | undefined;
    if (options.signIn === true) {
      const privateChannels = options.privateChannels ?? DEFAULT_PRIVATE_CHANNELS;
      issuer = await startDevIssuer({ redirectUris: [pageUrl, page.url] });
      stack.push(() => issuer?.stop() ?? Promise.resolve());
      Object.assign(env, {
        [Env.AUTH_ISSUER]: issuer.issuer,
        [Env.AUTH_AUDIENCE]: issuer.clientId,
        [Env.PRIVATE_CHANNELS]: JSON.stringify(privateChannels),
      });
      config = {
        ...config,
        auth: {
          issuer: issuer.issuer,
          clientId: issuer.clientId,
          authorizationEndpoint: `${issuer.issuer}/auth`,
          tokenEndpoint: `${issuer.issuer}/token`,
          privateChannels,
        },
      };
    }

    restoreEnv = applyEnv(env);
    resolveHandler(await loadHandler(options.handler));
    return {
      urls: { page: pageUrl, native: nativeUrl, grip: gripUrl, ...(issuer ? { issuer: issuer.issuer } : {}) },
      gripOff,
      env,
      pushpinPid: grip?.pushpin.pid,
      warnings: grip?.warnings ?? [],
      stop: () => stack.stop(),
    };
  });
}

/** The lines `faas-grip-local` prints: one per WebSocket endpoint, the GRIP hint when it is off, the chat page. */
export function describeDevServer(server: Pick<DevServer, 'urls' | 'gripOff'>): string[] {
  const lines = [`native websocket: ${server.urls.native}`];
  if (server.urls.grip) lines.push(`grip websocket: ${server.urls.grip}`);
  if (server.gripOff) lines.push(server.gripOff);
  if (server.urls.issuer) lines.push(`identity provider: ${server.urls.issuer} (sign in with any name)`);
  lines.push(`chat page: ${server.urls.page}`);
  return lines;
}
