/**
 * End-to-end environments: real Pushpin, the local front door, the publish gate, dynalite and the WebSocket
 * emulator wired together, with the process environment the runtime reads. Environment variables are
 * process-global and every jest file runs in its own worker, so each test file applies an environment in
 * `beforeAll` and restores it in `afterAll`; handler modules are loaded fresh (isolated module registry) after
 * the environment is set, so no configuration cached by another load leaks in.
 */
import { Env } from '../../lambda/contract';
import { type GripParts, type NativeParts, startGripParts, startNativeParts } from './e2e-parts';
import { type EnvVars, type EventVersionName, HandlerSlot, loadChatHandler } from './e2e-support';
import { setEnv } from './grip-events';

export * from './e2e-parts';
export * from './e2e-support';

/** Bound of starting or stopping an environment (Pushpin gets three start attempts of up to 20 s). */
export const E2E_START_TIMEOUT_MS = 90_000;
/** Bound of one end-to-end test (each wait inside it has its own, shorter bound). */
export const E2E_TEST_TIMEOUT_MS = 60_000;

/** Variables of the other transport and of other configuration sources, removed so nothing leaks in. */
export const CLEAN_ENV: EnvVars = {
  [Env.GRIP_URL]: undefined,
  [Env.GRIP_PROXIES]: undefined,
  [Env.GRIP_SECRET_ARN]: undefined,
  [Env.GRIP_VERIFY_KEY]: undefined,
  [Env.GRIP_VERIFY_ISS]: undefined,
  [Env.GRIP_SIG_VERIFY]: undefined,
  [Env.GRIP_PREFIX]: undefined,
  [Env.CONNECTION_TABLE]: undefined,
  [Env.CHANNEL_LOG_TABLE]: undefined,
  [Env.DURABLE_CHANNELS]: undefined,
  [Env.PRESENCE_TABLE]: undefined,
  [Env.PRESENCE_TIMEOUT]: undefined,
  [Env.PRESENCE_EVENTS]: undefined,
  [Env.MANAGEMENT_ENDPOINT]: undefined,
};

/**
 * Collects console output (the runtime logs every refused signature and failed publish as JSON) instead of
 * printing it, so expected warnings do not bury test results; E2E_VERBOSE=1 prints them as usual.
 */
function captureConsole(stops: Array<() => Promise<void>>): string[] {
  const lines: string[] = [];
  if (process.env.E2E_VERBOSE === '1') return lines;
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(`${level}: ${args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ')}`);
    }),
  );
  stops.push(async () => {
    for (const spy of spies) spy.mockRestore();
  });
  return lines;
}

/** A started environment: its parts, the handler slot, and one `stop()` for everything. */
export interface E2eEnv {
  readonly slot: HandlerSlot;
  readonly grip?: GripParts;
  readonly native?: NativeParts;
  /** Handler errors the local servers reported (answered 502 / closed), for assertions and failure messages. */
  readonly errors: unknown[];
  /** Console lines written while the environment ran (the runtime's JSON logs); printed only with E2E_VERBOSE=1. */
  readonly logs: string[];
  /** Loads the chat handler fresh into the slot (after the environment is applied). */
  useChatHandler(): void;
  /** Stops every server and process (reverse start order) and restores process.env. */
  stop(): Promise<void>;
}

/** Which transports to start; `shape` is the GRIP front door's event shape. */
export type E2eEnvKind =
  | { kind: 'grip'; shape: EventVersionName }
  | { kind: 'native' }
  | { kind: 'both'; shape: EventVersionName };

/**
 * Starts an environment, applies its variables to process.env and loads the chat handler. On a failure while
 * starting, whatever was started is stopped before the error is rethrown.
 */
export async function startE2eEnv(kind: E2eEnvKind): Promise<E2eEnv> {
  const slot = new HandlerSlot();
  const errors: unknown[] = [];
  const stops: Array<() => Promise<void>> = [];
  const logs = captureConsole(stops);
  let restore = () => {};
  const stop = async () => {
    const failures: unknown[] = [];
    for (const s of stops.reverse()) await s().catch((e: unknown) => failures.push(e));
    stops.length = 0;
    restore();
    if (failures.length) throw failures[0];
  };
  try {
    const grip =
      kind.kind === 'native'
        ? undefined
        : await startGripParts({ shape: kind.shape, slot, onError: (e) => errors.push(e) }, stops);
    const native = kind.kind === 'grip' ? undefined : await startNativeParts(slot, stops, (e) => errors.push(e));
    restore = setEnv({ ...CLEAN_ENV, ...grip?.vars, ...native?.vars });
    const env: E2eEnv = {
      slot,
      grip,
      native,
      errors,
      logs,
      useChatHandler: () => {
        slot.current = loadChatHandler();
      },
      stop,
    };
    env.useChatHandler();
    return env;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
