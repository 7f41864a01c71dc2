/**
 * The configuration files of a private Pushpin instance: the client port chosen by the caller and no other TCP
 * port (publish, subscribe and command sockets are IPC sockets in the instance's own run directory, readable by
 * its user only, and the HTTP publish port is off: Pushpin checks no credentials on publish, so anyone who could
 * reach a TCP publish port, a web page included, could publish), zurl started by the runner (Debian's config
 * expects a system-wide zurl), no `message_rate`/`message_hwm` (the stock limits drop deliveries to large rooms),
 * and the given signing key.
 */
import { GripConfigError } from '../../lambda/core/errors';

/** Route options: how Pushpin reaches the backend. */
export interface PushpinRouteOptions {
  /** Speak WebSocket-over-HTTP to the backend (`over_http`); default true. */
  readonly overHttp?: boolean;
  /** Route only paths starting with this (`path_beg`). */
  readonly pathBeg?: string;
  /** Replace the `pathBeg` part of the path with this before forwarding (`replace_beg`). */
  readonly replaceBeg?: string;
  /** Host header to send to the backend instead of the client's (`host`), e.g. a front door's `hostHeader`. */
  readonly host?: string;
  /** Use TLS to the backend (`ssl`). */
  readonly ssl?: boolean;
}

/** Everything the files depend on. */
export interface PushpinConfigInput {
  readonly runDir: string;
  readonly logDir: string;
  readonly sigIss: string;
  readonly sigKey: string;
  readonly logLevel: number;
}

/** The publish socket (`push_in_spec`, a ZeroMQ PULL socket) of an instance whose run directory is `runDir`. */
export function publishSocketPath(runDir: string): string {
  return `${runDir}/pushpin-push-in`;
}

/** The Host the readiness probes use: routed (`over_http`) to the launcher's probe backend, never to the user's. */
export const PROBE_HOST = 'faas-grip-probe.invalid';

const SAFE_VALUE = /^[A-Za-z0-9._~:/@+-]+$/;

function checkValue(name: string, value: string): string {
  if (!SAFE_VALUE.test(value)) {
    throw new GripConfigError(
      `pushpin ${name} ${JSON.stringify(value)} has characters the routes file cannot carry; ` +
        'use letters, digits and . _ ~ : / @ + - only',
    );
  }
  return value;
}

/** `pushpin.conf` for one instance. */
export function pushpinConf(c: PushpinConfigInput): string {
  checkValue('sigIss', c.sigIss);
  const sigKey = Buffer.from(c.sigKey, 'utf8').toString('base64');
  return [
    '[global]',
    'include={libdir}/internal.conf',
    `rundir=${c.runDir}`,
    'ipc_prefix=pushpin-',
    'port_offset=0',
    '',
    '[runner]',
    'services=condure,zurl,pushpin-proxy,pushpin-handler',
    `logdir=${c.logDir}`,
    `log_level=${c.logLevel}`,
    '',
    '[proxy]',
    'routesfile=routes',
    'zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in',
    'zurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream',
    'zurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out',
    `sig_iss=${c.sigIss}`,
    `sig_key=base64:${sigKey}`,
    'updates_check=off',
    '',
    '[handler]',
    'ipc_file_mode=600',
    `push_in_spec=ipc://${publishSocketPath('{rundir}')}`,
    'push_in_sub_specs=ipc://{rundir}/{ipc_prefix}push-in-sub',
    'stats_spec=ipc://{rundir}/{ipc_prefix}stats',
    'command_spec=ipc://{rundir}/{ipc_prefix}command',
    '',
  ].join('\n');
}

/** The routes file: the probe route to `probePort`, then every other request to `target` with `route`'s options. */
export function pushpinRoutes(target: string, probePort: number, route: PushpinRouteOptions = {}): string {
  checkValue('target', target);
  const condition = ['*'];
  if (route.pathBeg !== undefined) condition.push(`path_beg=${checkValue('pathBeg', route.pathBeg)}`);
  if (route.replaceBeg !== undefined) condition.push(`replace_beg=${checkValue('replaceBeg', route.replaceBeg)}`);
  const targetParts = [target];
  if (route.overHttp ?? true) targetParts.push('over_http');
  if (route.ssl) targetParts.push('ssl');
  if (route.host !== undefined) targetParts.push(`host=${checkValue('host', route.host)}`);
  return `${PROBE_HOST} 127.0.0.1:${probePort},over_http\n${condition.join(',')} ${targetParts.join(',')}\n`;
}
