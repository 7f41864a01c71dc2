/**
 * Local DynamoDB for runs and tests: dynalite in memory, in-process, and the connection table built from the
 * shared schema (lambda/contract.ts) exactly as the constructs define it: `pk`/`sk`, the reverse index `sk`/`pk`,
 * on-demand; and the durable channels' log (`channel`/`offset`). dynalite has no TTL API, so the TTL attribute is not configured locally.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ChannelLogSchema, ConnectionTableSchema, PresenceSchema } from '../../lambda/contract';
import { ConnectionStoreError } from '../../lambda/core/errors';
import { listen, stopServer } from '../support/http-io';

/** A running local DynamoDB. */
export interface LocalDynamo {
  /** Endpoint for SDK clients (`AWS_ENDPOINT_URL_DYNAMODB`). */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server; the data is gone. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalDynamo}. */
export interface LocalDynamoOptions {
  /** Port to listen on; default 0 (a free port). */
  readonly port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
}

/** Starts an empty in-memory DynamoDB; resolves once it listens. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite closes its store when the server closes: requests still running then fail inside dynalite, outside any
  // caller (an uncaught error). Stopping therefore lets the running requests finish first (for at most 2 s).
  let running = 0;
  server.on('request', (_req, res) => {
    running += 1;
    res.on('close', () => {
      running -= 1;
    });
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  const settle = async () => {
    const until = Date.now() + 2000;
    while (running > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return {
    endpoint: `http://${host}:${port}`,
    port,
    stop: () => stopServer(server, settle),
  };
}

/** A DynamoDB client for a local endpoint, with placeholder credentials and region. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Creates the connection table (schema of `ConnectionTableSchema`) and waits until it is active. An existing table
 * of that name is left as it is.
 */
export function createConnectionTable(target: string | DynamoDBClient, tableName: string): Promise<string> {
  const { partitionKey, sortKey, reverseIndexName, reverseIndexProjection } = ConnectionTableSchema;
  return createTable(target, {
    TableName: tableName,
    ...keySchema(partitionKey, sortKey, 'S'),
    GlobalSecondaryIndexes: [reverseIndex(reverseIndexName, partitionKey, sortKey, reverseIndexProjection)],
  });
}

/**
 * Creates the durable channels' log table (schema of `ChannelLogSchema`: a number sort key) and waits until it is
 * active. An existing table of that name is left as it is.
 */
export function createChannelLogTable(target: string | DynamoDBClient, tableName: string): Promise<string> {
  return createTable(target, {
    TableName: tableName,
    ...keySchema(ChannelLogSchema.partitionKey, ChannelLogSchema.sortKey, 'N'),
  });
}

/**
 * Creates the presence table (schema of `PresenceSchema`, with its `byConnection` index) and waits until it is
 * active. An existing table of that name is left as it is.
 */
export function createPresenceTable(target: string | DynamoDBClient, tableName: string): Promise<string> {
  const { partitionKey, sortKey, connectionIndexName } = PresenceSchema;
  return createTable(target, {
    TableName: tableName,
    ...keySchema(partitionKey, sortKey, 'S'),
    GlobalSecondaryIndexes: [reverseIndex(connectionIndexName, partitionKey, sortKey, 'KEYS_ONLY')],
  });
}

/** An index keyed the other way round: the sort key, then the partition key. */
function reverseIndex(name: string, partitionKey: string, sortKey: string, projection: 'KEYS_ONLY' | 'ALL') {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: sortKey, KeyType: 'HASH' as const },
      { AttributeName: partitionKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: projection },
  };
}

/** A string partition key and a sort key of `sortType`. */
function keySchema(partitionKey: string, sortKey: string, sortType: 'S' | 'N') {
  return {
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: sortKey, AttributeType: sortType },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
  };
}

/** Creates an on-demand table (an existing one is left as it is) and waits until it is active. */
async function createTable(
  target: string | DynamoDBClient,
  input: Omit<CreateTableCommandInput, 'BillingMode'>,
): Promise<string> {
  const client = typeof target === 'string' ? localDynamoClient(target) : target;
  try {
    try {
      await client.send(new CreateTableCommand({ ...input, BillingMode: 'PAY_PER_REQUEST' }));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    return await waitActive(client, input.TableName as string);
  } finally {
    if (typeof target === 'string') client.destroy();
  }
}

async function waitActive(client: DynamoDBClient, tableName: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return tableName;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new ConnectionStoreError(`local table ${tableName} did not become active; restart the local DynamoDB`);
}
