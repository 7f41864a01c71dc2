import type { BatchWriteCommandInput, DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, forEachBounded, sleep } from '../backoff';
import { Env } from '../contract';
import { ConnectionStoreError } from '../errors';

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
}

const BATCH_SIZE = 25;
const PARALLEL_BATCHES = 4;
let sharedClient: Promise<DynamoDBDocumentClient> | undefined;

/** The container-wide document client (lazy SDK import, created once). */
function defaultClient(): Promise<DynamoDBDocumentClient> {
  sharedClient ??= (async () => {
    const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('@aws-sdk/lib-dynamodb'),
    ]);
    return DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  })();
  return sharedClient;
}

/**
 * Calls on one DynamoDB table through lib-dynamodb: every failure becomes a {@link ConnectionStoreError}
 * naming the operation and table. Throttling is retried by the SDK (its standard retry strategy);
 * BatchWriteItem leftovers (UnprocessedItems) by a bounded loop with backoff here.
 */
export class DynamoTable {
  readonly tableName: string;

  constructor(private readonly options: DynamoTableOptions) {
    this.tableName = options.tableName;
  }

  /** Runs one SDK call; its error is mapped to ConnectionStoreError. */
  async call<T>(operation: string, run: (client: DynamoDBDocumentClient, lib: LibDynamoDb) => Promise<T>): Promise<T> {
    try {
      const [client, lib] = await Promise.all([
        this.options.client ?? defaultClient(),
        import('@aws-sdk/lib-dynamodb'),
      ]);
      return await run(client, lib);
    } catch (err) {
      throw this.error(operation, err);
    }
  }

  /** Runs a conditional write; false when its condition failed. */
  conditional(
    operation: string,
    run: (client: DynamoDBDocumentClient, lib: LibDynamoDb) => Promise<unknown>,
  ): Promise<boolean> {
    return this.call(operation, async (c, lib) => {
      try {
        await run(c, lib);
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
      const out = await this.call('Query', (c, lib) =>
        c.send(new lib.QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start })),
      );
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Writes in BatchWriteItem chunks of 25 (a few in parallel); rejects with the first chunk's failure. */
  async writeBatches(requests: readonly WriteRequest[]): Promise<void> {
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE));
    const failures: unknown[] = [];
    await forEachBounded(chunks, PARALLEL_BATCHES, async (chunk) => {
      await this.writeChunk(chunk).catch((err: unknown) => failures.push(err));
    });
    if (failures.length > 0) throw failures[0];
  }

  private async writeChunk(chunk: WriteRequest[]): Promise<void> {
    const maxAttempts = this.options.maxBatchAttempts ?? 8;
    let left = chunk;
    for (let attempt = 1; ; attempt++) {
      const out = await this.call('BatchWriteItem', (c, lib) =>
        c.send(new lib.BatchWriteCommand({ RequestItems: { [this.tableName]: left } })),
      );
      left = out.UnprocessedItems?.[this.tableName] ?? [];
      if (left.length === 0) return;
      if (attempt >= maxAttempts) {
        throw new ConnectionStoreError(
          `${left.length} of ${chunk.length} write(s) still unprocessed after ${attempt} BatchWriteItem attempts on ` +
            `table "${this.tableName}": the table is throttled; retry later or raise its capacity`,
        );
      }
      await sleep(backoffDelay(attempt, this.options.retryBaseMs ?? 50, 2000));
    }
  }

  private error(operation: string, err: unknown): ConnectionStoreError {
    if (err instanceof ConnectionStoreError) return err;
    const { name, message } = err as Error;
    const text =
      name === 'ResourceNotFoundException'
        ? `connection table "${this.tableName}" not found (${operation}): create it or set ${Env.CONNECTION_TABLE}`
        : `${operation} on connection table "${this.tableName}" failed: ${name}: ${message}`;
    return new ConnectionStoreError(text, { cause: err });
  }
}
