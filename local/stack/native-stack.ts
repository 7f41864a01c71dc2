/**
 * The native side of a local run, assembled once for the dev server and the tests: an in-memory DynamoDB with the
 * connection table and the durable channels' log, and the API Gateway WebSocket emulator calling the handler, with the environment the runtime
 * reads (table, management endpoint, local AWS endpoints, and the credentials the emulator checks signatures with).
 */
import { randomBytes } from 'node:crypto';
import { Env } from '../../lambda/contract';
// The stack serves API Gateway WebSocket events: the runtime's native transport is registered with it, so the
// handlers it runs in this process have it even when this code is bundled (a bundle of bin/, for instance).
import '../../lambda/native-api';
// It also sets a channel log table: the durable channels' module is registered for the same reason.
import '../../lambda/channels-api';
import type { LambdaHandler } from '../apigw-websocket/lambda-context';
import {
  type EmulatorCredentials,
  startWebSocketEmulator,
  type WebSocketEmulator,
  type WebSocketEmulatorOptions,
} from '../apigw-websocket/websocket-emulator';
import {
  createChannelLogTable,
  createConnectionTable,
  createPresenceTable,
  type LocalDynamo,
  startLocalDynamo,
} from './local-dynamo';
import { StopStack } from './stop-stack';

/** Options of {@link startNativeStack}. */
export interface NativeStackOptions {
  /** The integration of every route. */
  readonly handler: LambdaHandler;
  /**
   * Interface every server binds.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Port of the WebSocket endpoint (and its management and Lambda APIs); 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Stage name (the URL path).
   * @default 'local'
   */
  readonly stage?: string;
  /**
   * Function name of the Lambda Invoke endpoint and the events' context.
   * @default 'faas-grip-local'
   */
  readonly functionName?: string;
  /**
   * Credentials the handlers sign with and the emulator checks.
   * @default - a key pair generated for this run
   */
  readonly credentials?: EmulatorCredentials;
  /**
   * Receives handler errors and errors while stopping.
   * @default - `console.error`
   */
  readonly onError?: (error: unknown) => void;
  /**
   * The API's shape, as on API Gateway: routes, route selection, two-way routes, the `$connect` authorizer and its
   * identity sources, idle and age limits (see the emulator's options).
   * @default - `$connect`, `$disconnect` and `$default` only, no authorizer, AWS's limits
   */
  readonly api?: Pick<
    WebSocketEmulatorOptions,
    | 'routes'
    | 'routeSelectionExpression'
    | 'routeResponses'
    | 'authorizer'
    | 'identitySource'
    | 'idleTimeout'
    | 'maxConnectionAge'
  >;
}

/** A running native stack. */
export interface NativeStack {
  readonly emulator: WebSocketEmulator;
  readonly dynamo: LocalDynamo;
  readonly tableName: string;
  /** `ws://` URL clients connect to. */
  readonly wsUrl: string;
  /** The handler's environment for this transport, credentials included. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the emulator and DynamoDB. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts DynamoDB with a connection table and the emulator; stops what it started when a step fails. */
export async function startNativeStack(options: NativeStackOptions): Promise<NativeStack> {
  const onError = options.onError ?? ((error: unknown) => console.error('native stack: handler failed:', error));
  const stack = new StopStack(onError);
  const functionName = options.functionName ?? 'faas-grip-local';
  return stack.build(async () => {
    const dynamo = await startLocalDynamo({ host: options.host });
    stack.push(() => dynamo.stop());
    const suffix = randomBytes(4).toString('hex');
    const tableName = await createConnectionTable(dynamo.endpoint, `faas-grip-local-${suffix}`);
    const channelLogTable = await createChannelLogTable(dynamo.endpoint, `faas-grip-local-log-${suffix}`);
    const presenceTable = await createPresenceTable(dynamo.endpoint, `faas-grip-local-presence-${suffix}`);
    const emulator = await startWebSocketEmulator({
      ...options.api,
      handler: options.handler,
      host: options.host,
      port: options.port ?? 0,
      stage: options.stage,
      functionName,
      onError,
      credentials: options.credentials,
    });
    stack.push(() => emulator.stop());
    return {
      emulator,
      dynamo,
      tableName,
      wsUrl: emulator.url,
      env: {
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: emulator.lambdaEndpoint,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
        [Env.CONNECTION_TABLE]: tableName,
        [Env.MANAGEMENT_ENDPOINT]: emulator.managementEndpoint,
        [Env.CHANNEL_LOG_TABLE]: channelLogTable,
        [Env.PRESENCE_TABLE]: presenceTable,
      },
      stop: () => stack.stop(),
    };
  });
}
