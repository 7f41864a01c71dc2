import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Where a GRIP proxy reaches the origin. */
export interface Origin {
  /** Host to connect to (port 443, TLS) and to send as `Host`. */
  readonly host: string;
  /** Path prefix to put before the client's path (`''` when none). */
  readonly pathPrefix: string;
}

/** A Pushpin routes-file line forwarding every request to the origin, rewriting the path when needed. */
export function pushpinRouteOf(origin: Origin): string {
  const condition = origin.pathPrefix === '' ? '*' : `*,path_beg=/,replace_beg=${origin.pathPrefix}/`;
  return `${condition} ${origin.host}:443,ssl,over_http,host=${origin.host}`;
}

/** Outputs a proxy's origin settings need: host, port, TLS, Host header, path prefix, Pushpin and Fastly. */
export function defineOriginOutputs(scope: Construct, origin: Origin): void {
  const { host, pathPrefix } = origin;
  new CfnOutput(scope, 'OriginHost', { value: host, description: 'GRIP origin: host (port 443, TLS on)' });
  new CfnOutput(scope, 'OriginPort', { value: '443', description: 'GRIP origin: port' });
  new CfnOutput(scope, 'OriginTls', { value: 'on', description: 'GRIP origin: TLS (SSL) to the origin' });
  new CfnOutput(scope, 'OriginHostHeader', { value: host, description: 'GRIP origin: Host header to send' });
  if (pathPrefix !== '') {
    new CfnOutput(scope, 'OriginPathPrefix', { value: pathPrefix, description: 'GRIP origin: path prefix to prepend' });
  }
  new CfnOutput(scope, 'PushpinRoute', { value: pushpinRouteOf(origin), description: 'Pushpin routes file line' });
  const rewrite = pathPrefix === '' ? '' : `; prepend ${pathPrefix} to the path before the Fanout handoff`;
  new CfnOutput(scope, 'FastlyBackend', {
    value: `address ${host}, port 443, TLS on, override host ${host}${rewrite}`,
    description: 'Fastly Fanout: backend settings of the Compute service',
  });
}
