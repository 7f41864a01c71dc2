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
  return {
    help: false,
    options: {
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
