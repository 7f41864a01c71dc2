/**
 * Preloaded into each function process of `faas-grip-cdk dev` (`--require`): a TLS connection to a WebSocket API's
 * AWS host name, `{apiId}.execute-api.{region}.amazonaws.com` (the callback URL AWS's own samples build from the
 * event), goes to that API's local emulator instead, keeping the name for TLS (the run's certificate covers
 * `*.execute-api.{region}.amazonaws.com`, and the process trusts it). Nothing else is touched.
 * FAAS_GRIP_DEV_APIS maps each local API id to its port.
 */
import tls from 'node:tls';

const ports = JSON.parse(process.env.FAAS_GRIP_DEV_APIS ?? '{}') as Record<string, number>;
const HOST = /^([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com$/;

const connect = tls.connect;
(tls as { connect: typeof tls.connect }).connect = ((...args: unknown[]) => {
  const options = (typeof args[0] === 'object' && args[0] !== null ? args[0] : undefined) as
    | (tls.ConnectionOptions & { host?: string })
    | undefined;
  const port = options?.host ? ports[HOST.exec(options.host)?.[1] ?? ''] : undefined;
  if (options && port !== undefined) {
    args[0] = { ...options, servername: options.servername ?? options.host, host: '127.0.0.1', port };
  }
  return (connect as (...a: unknown[]) => tls.TLSSocket)(...args);
}) as typeof tls.connect;
