import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { containerScoped } from '../core/container';
import { logger } from '../core/logger';
import { runtimeSettings } from '../core/settings';
import { ConnectionStore } from './connection-store';
import {
  type ManagementApi,
  managementApi,
  type PostRetryOptions,
  resolveManagementEndpoint,
  sdkManagementApi,
} from './management';

/** Where the native transport writes what it cannot throw. @default - the runtime's JSON-lines logger */
export interface NativeLogger {
  info(message: string, details?: Readonly<Record<string, unknown>>): void;
  warn(message: string, details?: Readonly<Record<string, unknown>>): void;
  error(message: string, details?: Readonly<Record<string, unknown>>): void;
}

/**
 * Collaborators of the native transport. Everything is optional: by default the clients are created once
 * per container from the environment (`FAAS_GRIP_CONNECTION_TABLE`, `FAAS_GRIP_MANAGEMENT_ENDPOINT`,
 * `AWS_LAMBDA_FUNCTION_NAME`), with their SDKs imported on first use. Tests and local runs inject their own.
 */
export interface NativeDeps {
  /** @default - a store on `FAAS_GRIP_CONNECTION_TABLE` with the container's DynamoDB client */
  readonly store?: ConnectionStore;
  /**
   * Sends the management API calls through this SDK client instead (its own middleware, retries, logging).
   * @default - SigV4-signed keep-alive HTTP to `managementEndpoint`, credentials and region from the SDK's chain
   */
  readonly managementClient?: ApiGatewayManagementApiClient;
  /** The stage's callback URL. @default - the `FAAS_GRIP_MANAGEMENT_ENDPOINT` environment variable */
  readonly managementEndpoint?: string;
  /** Client used to invoke this function for pending deliveries. @default - one per container */
  readonly lambdaClient?: LambdaClient;
  /** The function to invoke for pending deliveries. @default - `AWS_LAMBDA_FUNCTION_NAME` */
  readonly functionName?: string;
  /** PostToConnection calls in flight during a fan-out. @default - `FAAS_GRIP_FANOUT_CONCURRENCY`, else 50 */
  readonly concurrency?: number;
  /** Channel prefix for the context's subscribe/unsubscribe. @default - `GRIP_PREFIX`, else '' */
  readonly prefix?: string;
  /** Retries of each PostToConnection. @default - 3 attempts from 50 ms */
  readonly postRetry?: PostRetryOptions;
  /**
   * Time budget of a fan-out started outside an invocation whose deadline is known (inside `webSocketHandler` the
   * invocation's remaining time, less a safety margin, bounds it). @default 25000
   */
  readonly budgetMs?: number;
  /** How long a pending delivery waits for a new connection to accept posts. @default 5000 */
  readonly pendingDeadlineMs?: number;
  /**
   * Subprotocols the handler speaks, preferred first: `$connect` answers with the first one the client offered in
   * `Sec-WebSocket-Protocol`. A client that offers only others gets no subprotocol (browsers then fail the
   * handshake, as they should). @default - none: no offered subprotocol is echoed
   */
  readonly subprotocols?: readonly string[];
  /** @default - the runtime's logger (lambda/core/logger.ts) */
  readonly logger?: NativeLogger;
}

/** The container's store per table. */
const stores = containerScoped(() => new Map<string, ConnectionStore>());

/** The store to use: the injected one or the container's default for the configured table. */
export function storeOf(deps: NativeDeps): ConnectionStore {
  if (deps.store) return deps.store;
  const table = runtimeSettings().connectionTable ?? '';
  let store = stores.get().get(table);
  if (!store) {
    store = new ConnectionStore();
    stores.get().set(table, store);
  }
  return store;
}

/** The management API to use: through the injected SDK client, else the container's sender for the endpoint. */
export function managementOf(deps: NativeDeps): Promise<ManagementApi> {
  if (deps.managementClient) return Promise.resolve(sdkManagementApi(deps.managementClient));
  try {
    return Promise.resolve(managementApi(resolveManagementEndpoint(deps.managementEndpoint)));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The logger to use. */
export function loggerOf(deps: NativeDeps): NativeLogger {
  return deps.logger ?? logger;
}
