/**
 * The two halves of an end-to-end environment, each the assembly the dev server runs (local/stack/grip-stack.ts,
 * local/stack/native-stack.ts) calling a {@link HandlerSlot}. GRIP: a local front door (REST v1, HTTP API v2 or Function
 * URL events), a private Pushpin routed over_http to it, and its JWT-gated publish API. Native: dynalite with a
 * connection table and the API Gateway WebSocket emulator. Each start pushes its `stop` to `stops`, so a caller can
 * undo a half-started environment.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocketEmulator } from '../../local/apigw-websocket/websocket-emulator';
import { buildGripUrl } from '../../local/grip/grip-url-builder';
import type { PushpinInstance } from '../../local/grip/pushpin';
import type { RestFrontDoor } from '../../local/grip/rest-front-door';
import { startGripStack } from '../../local/stack/grip-stack';
import type { LocalDynamo } from '../../local/stack/local-dynamo';
import { startNativeStack } from '../../local/stack/native-stack';
import type { EnvVars, EventVersionName, HandlerSlot } from './e2e-support';
import { E2eClient, HandshakeRefusedError } from './e2e-ws-client';

/** The GRIP side: Pushpin routed over_http to a front door, and the JWT gate in front of Pushpin's publish API. */
export interface GripParts {
  readonly shape: EventVersionName;
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
  readonly shape: EventVersionName;
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

/** Starts the GRIP stack (front door in `shape`, Pushpin and its publish gate) calling `slot`, warmed up. */
export async function startGripParts(options: GripPartsOptions, stops: Array<() => Promise<void>>): Promise<GripParts> {
  const publishIss = 'e2e-backend';
  const publishKey = randomBytes(24).toString('hex');
  const stack = await startGripStack({
    handler: options.slot.invoke,
    eventVersion: options.shape,
    sigKey: options.sigKey,
    publishIss,
    publishKey,
    onError: options.onError,
  });
  stops.push(() => stack.stop());
  const { frontDoor, pushpin, wsUrl } = stack;
  return { shape: options.shape, frontDoor, pushpin, wsUrl, publishIss, publishKey, vars: { ...stack.env } };
}

/** Status a warm-up handshake is refused with by {@link warmUpWebSockets}'s handler. */
const WARM_UP_STATUS = 409;

/**
 * Waits until a WebSocket handshake makes the full trip through a fresh Pushpin (client port -> proxy -> zurl ->
 * front door -> function and back), for a Pushpin started outside the GRIP stack (the stack warms up its own).
 * Pushpin's internal sockets join lazily: the first WebSocket-over-HTTP request can still be answered 502. The slot runs a handler that
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
  /** Environment for the runtime: table, management endpoint, local AWS endpoints, the run's credentials. */
  readonly vars: EnvVars;
}

/** Starts the native stack (dynalite with a connection table, the emulator) calling `slot`. */
export async function startNativeParts(
  slot: HandlerSlot,
  stops: Array<() => Promise<void>>,
  onError?: (error: unknown) => void,
): Promise<NativeParts> {
  const stack = await startNativeStack({ handler: slot.invoke, stage: 'e2e', functionName: 'e2e-chat', onError });
  stops.push(() => stack.stop());
  const vars: EnvVars = {
    ...stack.env,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
  };
  const { emulator, dynamo, tableName, wsUrl } = stack;
  return { emulator, dynamo, tableName, wsUrl, vars };
}
