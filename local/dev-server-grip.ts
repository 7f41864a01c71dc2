/**
 * The dev server's GRIP transport: Pushpin in front of the REST front door (paths mapped under the stage, the
 * door's Host sent); Pushpin's publish API is its JWT gate. The GRIP_URL publishes through the gate and verifies
 * Pushpin's `Grip-Sig` with the instance's random key, as production does.
 */
import type { LambdaHandler } from './lambda-context';
import { type StartPushpinOptions, startPushpin } from './pushpin';
import { startRestFrontDoor } from './rest-front-door';

/** Issuer of the dev server's publish tokens. */
export const LOCAL_PUBLISH_ISS = 'faas-grip-local';

/** Options of {@link startGripTransport}. */
export interface GripTransportOptions {
  /** The function behind the front door. */
  readonly handler: LambdaHandler;
  /** Function name in the events' context. */
  readonly functionName: string;
  /** Pushpin's client port; 0 picks a free one. */
  readonly port: number;
  /** Receives handler errors. */
  readonly onError: (error: unknown) => void;
}

/** A running GRIP transport. */
export interface GripTransport {
  /** Pushpin's client port. */
  readonly port: number;
  /** The GRIP_URL the handler publishes and verifies with. */
  readonly gripUrl: string;
  /** Process id of the Pushpin runner. */
  readonly pushpinPid: number;
  /** What did not go as asked. */
  readonly warnings: readonly string[];
  /** Stops Pushpin, the gate and the front door. */
  stop(): Promise<void>;
}

/** Starts the front door, Pushpin and the publish gate; stops what it started when a step fails. */
export async function startGripTransport(options: GripTransportOptions): Promise<GripTransport> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const next of stoppers.splice(0).reverse()) await next().catch(options.onError);
  };
  try {
    const door = await startRestFrontDoor({
      handler: options.handler,
      host: '127.0.0.1',
      functionName: options.functionName,
      onError: options.onError,
    });
    stoppers.push(door.stop);
    const pushpinOptions: StartPushpinOptions = {
      target: `127.0.0.1:${door.port}`,
      route: { pathBeg: '/', replaceBeg: `${new URL(door.url).pathname}/`, host: door.hostHeader },
      httpPort: options.port,
      publishIss: LOCAL_PUBLISH_ISS,
    };
    const pushpin = await startPushpin(pushpinOptions);
    stoppers.push(pushpin.stop);
    const warnings =
      options.port && pushpin.httpPort !== options.port
        ? [`grip port ${options.port} was not honoured by the Pushpin launcher; using ${pushpin.httpPort}`]
        : [];
    return {
      port: pushpin.httpPort,
      gripUrl: pushpin.gripUrl,
      pushpinPid: pushpin.pid,
      warnings,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
