/**
 * Command-line options of `faas-grip-local` (the dev server behind `npm start`). Every port comes from a flag,
 * else an environment variable, else a documented default.
 */
import { parseArgs } from 'node:util';
import { FaasGripError } from '../../lambda/core/errors';
import type { DevServerOptions } from './dev-server';

/** Defaults of the command: the chat page, the native endpoint and Pushpin's usual client port. */
export const DEV_SERVER_DEFAULTS = { host: '127.0.0.1', port: 8080, wsPort: 8081, gripPort: 7999 } as const;

/** Environment variables the command reads (flags win). */
export const DevServerEnv = {
  HOST: 'FAAS_GRIP_HOST',
  PORT: 'FAAS_GRIP_PORT',
  WS_PORT: 'FAAS_GRIP_WS_PORT',
  GRIP_PORT: 'FAAS_GRIP_GRIP_PORT',
  HANDLER: 'FAAS_GRIP_HANDLER',
  /** The chat page's heartbeat interval in milliseconds (its presence liveness signal); default 15,000. */
  HEARTBEAT_MS: 'FAAS_GRIP_HEARTBEAT_MS',
} as const;

/** The help text of `faas-grip-local --help`. */
export const USAGE = `usage: faas-grip-local [options]

Serves a Lambda WebSocket handler locally on both transports, with a chat page.

options:
  --port <n>        chat page port (env ${DevServerEnv.PORT}, default ${DEV_SERVER_DEFAULTS.port})
  --ws-port <n>     native WebSocket port (env ${DevServerEnv.WS_PORT}, default ${DEV_SERVER_DEFAULTS.wsPort})
  --grip-port <n>   GRIP WebSocket port (env ${DevServerEnv.GRIP_PORT}, default ${DEV_SERVER_DEFAULTS.gripPort})
  --host <addr>     interface to bind (env ${DevServerEnv.HOST}, default ${DEV_SERVER_DEFAULTS.host})
  --handler <path>  module exporting \`handler\` (env ${DevServerEnv.HANDLER}, default: the library's chat)
  --no-grip         serve the native transport only
  --stage <name>    the native API's stage (default local)
  --routes <keys>   custom route keys, comma-separated (beside $connect, $disconnect, $default)
  --route-selection <expr>   route selection expression (default $request.body.action)
  --two-way <keys>  routes whose integration body answers the client (route responses), comma-separated or *
  --authorizer <path>        module exporting the $connect authorizer as \`handler\` (REQUEST authorizer)
  --identity-source <list>   the authorizer's identity sources (default route.request.querystring.token)
  --idle-timeout <s>         seconds without a client message before API Gateway closes (default 600)
  --max-age <s>              longest a connection lives, seconds (default 7200)
  --no-sign-in      no identity provider: anyone connects, the nickname is chosen with /nick
  --sign-in         sign users in with --handler too (the handler then gets FAAS_GRIP_AUTH_*)
  -h, --help        show this help

A port of 0 picks a free one. GRIP needs Pushpin (apt-get install pushpin). The chat page's heartbeat interval is
${DevServerEnv.HEARTBEAT_MS} (ms, default 15000); presence's timeout is FAAS_GRIP_PRESENCE_TIMEOUT (s, default 45).`;

/** What the command line asks for: options for the dev server, or the help text. */
export type DevServerCommand = { readonly help: true } | { readonly help: false; readonly options: DevServerOptions };

function port(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new FaasGripError(`${name} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Reads the command line and the environment.
 *
 * @throws FaasGripError for an unknown flag or a bad port.
 */
export function parseDevServerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DevServerCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'ws-port': { type: 'string' },
        'grip-port': { type: 'string' },
        host: { type: 'string' },
        handler: { type: 'string' },
        'no-grip': { type: 'boolean' },
        stage: { type: 'string' },
        routes: { type: 'string' },
        'route-selection': { type: 'string' },
        'two-way': { type: 'string' },
        authorizer: { type: 'string' },
        'identity-source': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'max-age': { type: 'string' },
        'no-sign-in': { type: 'boolean' },
        'sign-in': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new FaasGripError(`${(error as Error).message}; see faas-grip-local --help`);
  }
  if (values.help) return { help: true };
  const pick = (flag: string, variable: string, fallback: number) => {
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return port(`--${flag}`, fromFlag);
    const fromEnv = env[variable];
    return fromEnv ? port(variable, fromEnv) : fallback;
  };
  const handler = (values.handler as string | undefined) ?? (env[DevServerEnv.HANDLER] || undefined);
  const heartbeat = env[DevServerEnv.HEARTBEAT_MS];
  if (heartbeat !== undefined && (!/^\d+$/.test(heartbeat) || Number(heartbeat) < 100)) {
    throw new FaasGripError(
      `${DevServerEnv.HEARTBEAT_MS} must be a whole number of milliseconds >= 100, got ${JSON.stringify(heartbeat)}`,
    );
  }
  const list = (flag: string) =>
    typeof values[flag] === 'string'
      ? (values[flag] as string)
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : undefined;
  const seconds = (flag: string) => {
    const text = values[flag];
    if (typeof text !== 'string') return undefined;
    if (!/^\d+$/.test(text) || Number(text) < 1) {
      throw new FaasGripError(`--${flag} must be a whole number of seconds >= 1, got ${JSON.stringify(text)}`);
    }
    return Number(text) * 1000;
  };
  const stage = values.stage as string | undefined;
  if (stage !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(stage)) {
    throw new FaasGripError(`--stage must be 1 to 128 letters, digits, - and _, got ${JSON.stringify(stage)}`);
  }
  const api = Object.fromEntries(
    Object.entries({
      routes: list('routes'),
      routeSelectionExpression: values['route-selection'] as string | undefined,
      routeResponses: list('two-way'),
      authorizer: values.authorizer as string | undefined,
      identitySource: list('identity-source'),
      idleTimeout: seconds('idle-timeout'),
      maxConnectionAge: seconds('max-age'),
    }).filter(([, v]) => v !== undefined),
  );
  return {
    help: false,
    options: {
      ...(stage === undefined ? {} : { stage }),
      ...(Object.keys(api).length > 0 ? { api } : {}),
      host: (values.host as string | undefined) ?? (env[DevServerEnv.HOST] || DEV_SERVER_DEFAULTS.host),
      port: pick('port', DevServerEnv.PORT, DEV_SERVER_DEFAULTS.port),
      wsPort: pick('ws-port', DevServerEnv.WS_PORT, DEV_SERVER_DEFAULTS.wsPort),
      gripPort: pick('grip-port', DevServerEnv.GRIP_PORT, DEV_SERVER_DEFAULTS.gripPort),
      grip: values['no-grip'] !== true,
      // The chat signs users in; a handler of the user's own only when asked (its clients may carry no token).
      signIn: values['no-sign-in'] !== true && (values['sign-in'] === true || !handler),
      ...(handler ? { handler } : {}),
      ...(heartbeat !== undefined ? { heartbeatMs: Number(heartbeat) } : {}),
    },
  };
}
