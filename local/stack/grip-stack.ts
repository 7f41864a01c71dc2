/**
 * The GRIP side of a local run, assembled once for the dev server and the tests: the REST front door (REST v1,
 * HTTP API v2 or Function URL events) in front of the handler, and Pushpin routed over_http to it (paths mapped under
 * the stage, the door's Host sent), its publish API behind its JWT gate. It resolves once a WebSocket handshake has
 * made the full trip to the handler's front door, and gives the GRIP_URL that publishes through the gate and verifies
 * Pushpin's `Grip-Sig`, as production does.
 */
import WebSocket from 'ws';
import { Env } from '../../lambda/contract';
import type { LambdaHandler } from '../apigw-websocket/lambda-context';
import type { EventVersionName } from '../grip/proxy-event';
import { type PushpinInstance, startPushpin } from '../grip/pushpin';
import { type RestFrontDoor, startRestFrontDoor } from '../grip/rest-front-door';
import { StopStack } from './stop-stack';

/** Issuer of the local publish tokens unless told otherwise. */
export const LOCAL_PUBLISH_ISS = 'faas-grip-local';

/** Options of {@link startGripStack}. */
export interface GripStackOptions {
  /** The function behind the front door. */
  readonly handler: LambdaHandler;
  /**
   * Event shape of the front door.
   * @default 'rest-v1'
   */
  readonly eventVersion?: EventVersionName;
  /**
   * Pushpin's client port; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Function name in the events' context.
   * @default 'local-function'
   */
  readonly functionName?: string;
  /**
   * Key Pushpin signs `Grip-Sig` with.
   * @default - 32 random bytes
   */
  readonly sigKey?: string;
  /**
   * Issuer the publish gate requires.
   * @default 'faas-grip-local'
   */
  readonly publishIss?: string;
  /**
   * Key the publish gate requires tokens signed with.
   * @default - 32 random bytes
   */
  readonly publishKey?: string;
  /**
   * Receives handler errors (answered 502) and errors while stopping.
   * @default - `console.error`
   */
  readonly onError?: (error: unknown) => void;
}

/** A running GRIP stack. */
export interface GripStack {
  readonly frontDoor: RestFrontDoor;
  readonly pushpin: PushpinInstance;
  /** `ws://` base URL of Pushpin's client port. */
  readonly wsUrl: string;
  /** The GRIP_URL the handler publishes and verifies with. */
  readonly gripUrl: string;
  /** The handler's environment for this transport. */
  readonly env: Readonly<Record<string, string>>;
  /** What did not go as asked. */
  readonly warnings: readonly string[];
  /** Stops Pushpin and the front door. Safe to call twice. */
  stop(): Promise<void>;
}

/** Status the front door answers WebSocket handshakes with while the stack warms up. */
const WARM_UP_STATUS = 409;
const WARM_UP_ATTEMPTS = 40;

/** Starts the front door and Pushpin; stops what it started when a step fails. */
export async function startGripStack(options: GripStackOptions): Promise<GripStack> {
  const onError = options.onError ?? ((error: unknown) => console.error('grip stack: handler failed:', error));
  const stack = new StopStack(onError);
  return stack.build(async () => {
    let warming = true;
    const handler = ((event: never, context: never) =>
      warming
        ? { statusCode: WARM_UP_STATUS, headers: {}, body: 'warm-up' }
        : options.handler(event, context)) as LambdaHandler;
    const frontDoor = await startRestFrontDoor({
      handler,
      eventVersion: options.eventVersion,
      functionName: options.functionName,
      onError,
    });
    stack.push(() => frontDoor.stop());
    const stagePath = new URL(frontDoor.url).pathname.replace(/\/$/, '');
    const pushpin = await startPushpin({
      target: `127.0.0.1:${frontDoor.port}`,
      route: { host: frontDoor.hostHeader, ...(stagePath ? { pathBeg: '/', replaceBeg: `${stagePath}/` } : {}) },
      httpPort: options.port,
      sigKey: options.sigKey,
      publishIss: options.publishIss ?? LOCAL_PUBLISH_ISS,
      publishKey: options.publishKey,
    });
    stack.push(() => pushpin.stop());
    const wsUrl = pushpin.httpUrl.replace(/^http/, 'ws');
    await warmUp(wsUrl);
    warming = false;
    const warnings =
      options.port && pushpin.httpPort !== options.port
        ? [`grip port ${options.port} was not honoured by the Pushpin launcher; using ${pushpin.httpPort}`]
        : [];
    return {
      frontDoor,
      pushpin,
      wsUrl,
      gripUrl: pushpin.gripUrl,
      env: { [Env.GRIP_URL]: pushpin.gripUrl },
      warnings,
      stop: () => stack.stop(),
    };
  });
}

/** The status a handshake through `url` was refused with, 101 when it opened, 0 when it failed otherwise. */
function handshake(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: 2_000, perMessageDeflate: false });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(0));
  });
}

/**
 * Waits until a WebSocket handshake makes the full trip through a fresh Pushpin (client port -> proxy -> zurl ->
 * front door -> function and back). Pushpin's internal sockets join lazily: the launcher's readiness probe warms its
 * own route, but the first WebSocket-over-HTTP request to the front door can still be answered 502. Meanwhile the
 * front door refuses handshakes with 409, so nothing reaches the handler.
 */
async function warmUp(wsUrl: string): Promise<void> {
  const seen: number[] = [];
  for (let attempt = 1; attempt <= WARM_UP_ATTEMPTS; attempt++) {
    const status = await handshake(`${wsUrl}/warm-up`);
    if (status === WARM_UP_STATUS) return;
    seen.push(status);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WebSocket handshakes through ${wsUrl} never reached the front door: ${seen.join(', ')}`);
}
