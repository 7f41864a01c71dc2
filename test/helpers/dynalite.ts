import { Readable } from 'node:stream';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createConnectionTable, startLocalDynamo } from '../../local/stack/local-dynamo';

/** A dynalite server started in this process, with a connection table ready to use. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Name of the connection table created at start. */
  readonly tableName: string;
  /** Builds a fresh low-level client for the server (each call a new instance). */
  newClient(config?: Partial<DynamoDBClientConfig>): DynamoDBClient;
  /** Builds a document client over `newClient(config)`, marshalling like the runtime does. */
  newDocumentClient(config?: Partial<DynamoDBClientConfig>): DynamoDBDocumentClient;
  /** Creates another connection table on the same server. */
  createConnectionTable(tableName: string): Promise<void>;
  /** Stops the server and destroys the clients this helper built. */
  stop(): Promise<void>;
}

/** Static credentials and region for local endpoints (never real ones). */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Starts dynalite in-process on a free loopback port (in-memory, tables active at once) with a connection table
 * created exactly as `npm start` creates it (local/stack/local-dynamo.ts, from `ConnectionTableSchema`). dynalite has
 * no TTL, transactions or PartiQL, like the constraint the runtime is written for.
 */
export async function startDynalite(tableName = 'connections'): Promise<LocalDynamo> {
  const server = await startLocalDynamo();
  const { endpoint } = server;
  const clients: DynamoDBClient[] = [];
  const newClient = (config: Partial<DynamoDBClientConfig> = {}): DynamoDBClient => {
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, ...config });
    clients.push(client);
    return client;
  };
  const createTable = async (name: string): Promise<void> => {
    await createConnectionTable(newClient(), name);
  };
  await createTable(tableName);
  return {
    endpoint,
    tableName,
    newClient,
    newDocumentClient: (config) =>
      DynamoDBDocumentClient.from(newClient(config), { marshallOptions: { removeUndefinedValues: true } }),
    createConnectionTable: createTable,
    stop: async () => {
      for (const client of clients) client.destroy();
      await server.stop();
    },
  };
}

/**
 * Makes the next `count` HTTP requests of `client` (low-level or document client) answer like a throttled DynamoDB (HTTP 400 with
 * `errorType`) without reaching the server, below the SDK's retry layer. Returns a counter of the
 * requests the client sent (faulted ones included).
 */
export function injectDynamoFaults(
  client: DynamoDBClient | DynamoDBDocumentClient,
  count: number,
  errorType = 'ProvisionedThroughputExceededException',
): { sent: number; faulted: number } {
  type Handle = (request: unknown, options?: unknown) => Promise<unknown>;
  const handler = client.config.requestHandler as unknown as { handle: Handle };
  const original = handler.handle.bind(handler);
  const stats = { sent: 0, faulted: 0 };
  handler.handle = async (request, options) => {
    stats.sent++;
    if (stats.faulted >= count) return original(request, options);
    stats.faulted++;
    const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${errorType}`, message: 'injected fault' });
    return {
      response: {
        statusCode: 400,
        reason: 'Bad Request',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fault' },
        body: Readable.from([Buffer.from(body)]),
      },
    };
  };
  return stats;
}
