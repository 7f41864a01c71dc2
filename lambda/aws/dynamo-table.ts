import type { BatchWriteCommandInput, DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { Env } from '../contract';
import { backoffDelay, forEachBounded, sleep } from '../core/backoff';
import { containerScoped } from '../core/container';
import { callTimeout } from '../core/deadline';
import { ConnectionStoreError, type FaasGripError } from '../core/errors';

/** The lib-dynamodb module (command classes), loaded on first use. */
export type LibDynamoDb = typeof import('@aws-sdk/lib-dynamodb');

/** One put or delete of a BatchWriteItem. */
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** Options of a {@link DynamoTable}. */
export interface DynamoTableOptions {
  readonly tableName: string;
  /** @default - one client per container, created on first use with the Lambda environment's settings */
  readonly client?: DynamoDBDocumentClient;
  /** Attempts of a BatchWriteItem chunk while DynamoDB returns UnprocessedItems. @default 8 */
  readonly maxBatchAttempts?: number;
  /** First backoff delay between those attempts, doubled each time up to 2 s. @default 50 */
  readonly retryBaseMs?: number;
  /**
   * Longest time one operation (the SDK's retries included) may take; the invocation's deadline cuts it shorter.
   * @default 5000
   */
  readonly callTimeoutMs?: number;
  /**
   * What the table is, in the user's terms, for error messages, and the error class its failures take.
   * @default - the connection table (FAAS_GRIP_CONNECTION_TABLE), ConnectionStoreError
   */
  readonly role?: TableRole;
}

/** A table's name in error messages, the setting that names it, and the error its failures become. */
export interface TableRole {
  /** For example `connection table`. */
  readonly label: string;
  /** The environment variable naming the table. */
  readonly setting: string;
  readonly error: new (message: string, options?: { cause?: unknown }) => FaasGripError;
}

const CONNECTION_TABLE_ROLE: TableRole = {
  label: 'connection table',
  setting: Env.CONNECTION_TABLE,
  error: ConnectionStoreError,
};

/** What each SDK call is sent with: a signal that aborts it at its timeout. */
export interface CallOptions {
  readonly abortSignal: AbortSignal;
}

/** The timeouts of the container's DynamoDB client, per attempt (the SDK retries a timed-out attempt). */
export const DYNAMO_REQUEST_HANDLER = { connectionTimeout: 1000, requestTimeout: 3000 } as const;
/** The default budget of one table operation, the SDK's retries included. */
export const DEFAULT_DYNAMO_CALL_TIMEOUT_MS = 5000;

/** The writes of a {@link DynamoTable.writeBatches} call that were not made, and the first cause. */
export interface UnwrittenRequests {
  readonly requests: readonly WriteRequest[];
  readonly error?: unknown;
}

const BATCH_SIZE = 25;
const PARALLEL_BATCHES = 4;
/** The container-wide document client (lazy SDK import, created once). */
const sharedClient = containerScoped(async (): Promise<DynamoDBDocumentClient> => {
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
  ]);
  return DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: DYNAMO_REQUEST_HANDLER }), {
    marshallOptions: { removeUndefinedValues: true },
  });
});

function defaultClient(): Promise<DynamoDBDocumentClient> {
  return sharedClient.get();
}

/** lib-dynamodb, imported once (its command classes). */
let libModule: LibDynamoDb | undefined;
let libLoading: Promise<LibDynamoDb> | undefined;

function lib(): LibDynamoDb | Promise<LibDynamoDb> {
  if (libModule !== undefined) return libModule;
  libLoading ??= import('@aws-sdk/lib-dynamodb').then((module) => {
    libModule = module;
    return module;
  });
  return libLoading;
}

/**
 * Calls on one DynamoDB table through lib-dynamodb: every failure becomes the table role's error (by default a
 * {@link ConnectionStoreError}) naming the operation and table. Throttling is retried by the SDK (its standard retry strategy);
 * BatchWriteItem leftovers (UnprocessedItems) by a bounded loop with backoff here. Every operation is aborted at
 * its timeout or the invocation's deadline, whichever comes first (a ConnectionStoreError then).
 */
export class DynamoTable {
  readonly tableName: string;

  constructor(private readonly options: DynamoTableOptions) {
    this.tableName = options.tableName;
  }

  /** Runs one SDK call (send it with the given options); its error is mapped to ConnectionStoreError. */
  async call<T>(
    operation: string,
    run: (client: DynamoDBDocumentClient, lib: LibDynamoDb, options: CallOptions) => Promise<T>,
  ): Promise<T> {
    try {
      const timeoutMs = callTimeout(undefined, this.options.callTimeoutMs ?? DEFAULT_DYNAMO_CALL_TIMEOUT_MS);
      // The common case takes no extra turn: the client given, and the module loaded already.
      const client = this.options.client ?? (await defaultClient());
      const module = libModule ?? (await lib());
      return await run(client, module, { abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw this.error(operation, err);
    }
  }

  /** Runs a conditional write; false when its condition failed. */
  conditional(
    operation: string,
    run: (client: DynamoDBDocumentClient, lib: LibDynamoDb, options: CallOptions) => Promise<unknown>,
  ): Promise<boolean> {
    return this.call(operation, async (c, lib, options) => {
      try {
        await run(c, lib, options);
        return true;
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    });
  }

  /** Runs a Query page by page (following LastEvaluatedKey), yielding each page's items. */
  async *queryPages(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  ): AsyncGenerator<Record<string, unknown>[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.call('Query', (c, lib, options) =>
        c.send(new lib.QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start }), options),
      );
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Writes in BatchWriteItem chunks of 25 (a few in parallel); rejects with the first chunk's failure. */
  async writeBatches(requests: readonly WriteRequest[]): Promise<void> {
    const unwritten = await this.writeBatchesReporting(requests);
    if (unwritten.requests.length > 0) throw unwritten.error;
  }

  /** Like {@link writeBatches}, but resolves with exactly the writes that were not made (none when all were). */
  async writeBatchesReporting(requests: readonly WriteRequest[]): Promise<UnwrittenRequests> {
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE));
    const unwritten: WriteRequest[] = [];
    let error: unknown;
    await forEachBounded(chunks, PARALLEL_BATCHES, async (chunk) => {
      const left = await this.writeChunk(chunk);
      if (left.requests.length > 0) {
        unwritten.push(...left.requests);
        error ??= left.error;
      }
    });
    return { requests: unwritten, error };
  }

  private async writeChunk(chunk: WriteRequest[]): Promise<UnwrittenRequests> {
    const maxAttempts = this.options.maxBatchAttempts ?? 8;
    let left = chunk;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.call('BatchWriteItem', (c, lib, options) =>
          c.send(new lib.BatchWriteCommand({ RequestItems: { [this.tableName]: left } }), options),
        );
        left = out.UnprocessedItems?.[this.tableName] ?? [];
      } catch (error) {
        return { requests: left, error };
      }
      if (left.length === 0) return { requests: [] };
      if (attempt >= maxAttempts) {
        const error = new this.role.error(
          `${left.length} of ${chunk.length} write(s) still unprocessed after ${attempt} BatchWriteItem attempts on ` +
            `table "${this.tableName}": the table is throttled; retry later or raise its capacity`,
        );
        return { requests: left, error };
      }
      await sleep(backoffDelay(attempt, this.options.retryBaseMs ?? 50, 2000));
    }
  }

  private get role(): TableRole {
    return this.options.role ?? CONNECTION_TABLE_ROLE;
  }

  private error(operation: string, err: unknown): FaasGripError {
    const { role } = this;
    if (err instanceof role.error) return err;
    const { name, message } = err as Error;
    const text =
      name === 'ResourceNotFoundException'
        ? `${role.label} "${this.tableName}" not found (${operation}): create it or set ${role.setting}`
        : `${operation} on ${role.label} "${this.tableName}" failed: ${name}: ${message}`;
    return new role.error(text, { cause: err });
  }
}
