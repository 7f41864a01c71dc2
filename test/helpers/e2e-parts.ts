/**
 * The two halves of an end-to-end environment. GRIP: a local front door (REST v1, HTTP API v2 or Function URL
 * events), a private Pushpin routed over_http to it, and the JWT gate in front of Pushpin's publish API. Native:
 * dynalite with a connection table and the API Gateway WebSocket emulator. Each start pushes its `stop` to
 * `stops`, so a caller can undo a half-started environment.
 */
import { randomBytes } from 'node:crypto';
import { Env } from '../../lambda/contract';
import { buildGripUrl } from '../../local/grip-url-builder';
import { createConnectionTable, type LocalDynamo, startLocalDynamo } from '../../local/local-dynamo';
import { type PushpinInstance, startPushpin } from '../../local/pushpin';
import { type RestFrontDoor, startRestFrontDoor } from '../../local/rest-front-door';
import { startWebSocketEmulator, type WebSocketEmulator } from '../../local/websocket-emulator';
import type { EnvVars, HandlerSlot, PayloadFormat } from './e2e-support';
import { E2eClient, HandshakeRefusedError } from './e2e-ws-client';

/** The GRIP side: Pushpin routed over_http to a front door, and the JWT gate in front of Pushpin's publish API. */
export interface GripParts {
  readonly shape: PayloadFormat;
  readonly frontDoor: RestFrontDoor;
  readonly pushpin: PushpinInstance;
  /** `ws://` base URL of Pushpin's client port. */
  readonly wsUrl: string;
  /** Issuer and key the gate requires on publish. */
  readonly publishIss: string;
  readonly publishKey: string;
  /** Environment for the runtime: GRIP_URL at the gate, verify-iss/verify-key = Pushpin's Grip-Sig. */
  readonly vars: EnvVars;
}

/** Options of {@link startGripParts}. */
export interface GripPartsOptions {
  readonly shape: PayloadFormat;
  readonly slot: HandlerSlot;
  /** Key Pushpin signs Grip-Sig with; default random. */
  readonly sigKey?: string;
  /** Handler errors of the front door (502); default `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/** Builds a GRIP_URL for the gate with the given publish key. */
export function gateGripUrl(parts: GripParts, publishKey = parts.publishKey, verifyKey = parts.pushpin.sigKey): string {
  return buildGripUrl({
    controlUri: parts.pushpin.publishUrl,
    iss: parts.publishIss,
    key: publishKey,
    verifyIss: parts.pushpin.sigIss,
    verifyKey,
  });
}

/** Starts a front door in `shape`, Pushpin in front of it and the publish gate. */
export async function startGripParts(options: GripPartsOptions, stops: Array<() => Promise<void>>): Promise<GripParts> {
  const frontDoor = await startRestFrontDoor({
    handler: options.slot.invoke,
    payloadFormat: options.shape,
    onError: options.onError,
  });
  stops.push(() => frontDoor.stop());
  const stagePath = new URL(frontDoor.url).pathname.replace(/\/$/, '');
  const publishIss = 'e2e-backend';
  const publishKey = randomBytes(24).toString('hex');
  const pushpin = await startPushpin({
    target: `127.0.0.1:${frontDoor.port}`,
    sigKey: options.sigKey,
    publishIss,
    publishKey,
    route: { host: frontDoor.hostHeader, ...(stagePath ? { pathBeg: '/', replaceBeg: `${stagePath}/` } : {}) },
  });
  stops.push(() => pushpin.stop());
  await warmUpWebSockets(options.slot, pushpin.httpUrl.replace(/^http/, 'ws'));
  const parts = {
    shape: options.shape,
    frontDoor,
    pushpin,
    wsUrl: pushpin.httpUrl.replace(/^http/, 'ws'),
    publishIss,
    publishKey,
    vars: {},
  };
  return { ...parts, vars: { [Env.GRIP_URL]: gateGripUrl(parts) } };
}

/** Status a warm-up handshake is refused with by {@link warmUpWebSockets}'s handler. */
const WARM_UP_STATUS = 409;

/**
 * Waits until a WebSocket handshake makes the full trip through a fresh Pushpin (client port -> proxy -> zurl ->
 * front door -> function and back). Pushpin's internal sockets join lazily: the launcher's readiness probe warms the
 * plain HTTP path, but the first WebSocket-over-HTTP request can still be answered 502. The slot runs a handler that
 * refuses the handshake with 409 meanwhile, so nothing subscribes; the previous handler is put back afterwards.
 */
export async function warmUpWebSockets(slot: HandlerSlot, wsUrl: string, attempts = 40): Promise<void> {
  const previous = slot.current;
  slot.current = (() => ({ statusCode: WARM_UP_STATUS, headers: {}, body: 'warm-up' })) as typeof slot.current;
  const seen: string[] = [];
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await E2eClient.connect('warm-up', `${wsUrl}/warm-up`, 2_000).then(
        (client) => {
          client.terminate();
          return 'open';
        },
        (error: unknown) => (error instanceof HandshakeRefusedError ? error.status : String(error)),
      );
      if (outcome === WARM_UP_STATUS) return;
      seen.push(String(outcome));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`WebSocket handshakes through ${wsUrl} never reached the function: ${seen.join(', ')}`);
  } finally {
    slot.current = previous;
  }
}

/** The native side: the WebSocket emulator over dynalite and a connection table. */
export interface NativeParts {
  readonly emulator: WebSocketEmulator;
  readonly dynamo: LocalDynamo;
  readonly tableName: string;
  /** `ws://` URL clients connect to. */
  readonly wsUrl: string;
  /** Environment for the runtime: table, management endpoint, local AWS endpoints, dummy credentials. */
  readonly vars: EnvVars;
}

/** Starts dynalite with a connection table and the emulator calling `slot`. */
export async function startNativeParts(
  slot: HandlerSlot,
  stops: Array<() => Promise<void>>,
  onError?: (error: unknown) => void,
): Promise<NativeParts> {
  const dynamo = await startLocalDynamo();
  stops.push(() => dynamo.stop());
  const tableName = 'e2e-connections';
  await createConnectionTable(dynamo.endpoint, tableName);
  const functionName = 'e2e-chat';
  const emulator = await startWebSocketEmulator({
    handler: slot.invoke,
    port: 0,
    stage: 'e2e',
    functionName,
    onError,
  });
  stops.push(() => emulator.stop());
  const vars: EnvVars = {
    [Env.CONNECTION_TABLE]: tableName,
    [Env.MANAGEMENT_ENDPOINT]: emulator.managementEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: emulator.lambdaEndpoint,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
  };
  return { emulator, dynamo, tableName, wsUrl: emulator.url, vars };
}
