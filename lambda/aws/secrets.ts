/**
 * Reading Secrets Manager secrets from a function: the client is imported on first use (bundles stay small and
 * cold starts fast when no secret is configured), one client per region serves the whole container, concurrent
 * reads of a secret share one request, values are reused for a bounded time, a failed read is remembered briefly
 * (a flood of requests does not make a read each) and every read ends by its timeout.
 */
import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { containerScoped } from '../core/container';
import { callTimeout } from '../core/deadline';

/** How long a secret's value is reused by default before it is read again. */
export const SECRET_TTL_MS = 5 * 60 * 1000;

/** How long a failed read is answered from memory by default before the secret is read again. */
export const SECRET_FAILURE_TTL_MS = 5 * 1000;

/**
 * The longest one read may take by default, SDK retries included: well inside an API Gateway integration's 29 s, so
 * the function still answers when Secrets Manager does not.
 */
export const SECRET_READ_TIMEOUT_MS = 5 * 1000;

/** Options of {@link readSecret}. */
export interface ReadSecretOptions {
  /**
   * Longest time a value read earlier may be reused, in milliseconds; `0` always reads again (a read in flight
   * is still shared).
   * @default SECRET_TTL_MS
   */
  readonly maxAgeMs?: number;
  /**
   * How long a failed read is answered from memory, in milliseconds; `0` reads again at once (for callers that
   * remember failures themselves).
   * @default SECRET_FAILURE_TTL_MS
   */
  readonly failureTtlMs?: number;
  /**
   * The longest the read may take, SDK retries included; it then fails with a timeout error. Inside an invocation
   * (`webSocketHandler`, `httpHoldHandler`) the read also ends by the invocation's deadline.
   * @default SECRET_READ_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
}

interface Entry {
  readonly value: Promise<string | undefined>;
  /** When the read completed; undefined while it is in flight. */
  readAt?: number;
  /** Whether the completed read failed. */
  failed?: boolean;
}

/** The container's reads by ARN, and its client per region. */
const entries = containerScoped(() => new Map<string, Entry>());
const clients = containerScoped(() => new Map<string, SecretsManagerClient>());

/**
 * The value of a secret, by ARN or name: its `SecretString`, else its `SecretBinary` as UTF-8, else undefined.
 * A full ARN's region is used for the call, so a secret of another region can be read.
 *
 * @throws the Secrets Manager client's error as is (callers word it for their setting); failures are not cached;
 *   TimeoutError (not sent, not remembered) when the invocation's deadline has passed.
 */
export function readSecret(arn: string, options: ReadSecretOptions = {}): Promise<string | undefined> {
  const {
    maxAgeMs = SECRET_TTL_MS,
    failureTtlMs = SECRET_FAILURE_TTL_MS,
    timeoutMs = SECRET_READ_TIMEOUT_MS,
  } = options;
  let timeout: number;
  try {
    // The invocation's deadline caps the read; past it, nothing starts and nothing is remembered.
    timeout = callTimeout(undefined, timeoutMs);
  } catch (error) {
    return Promise.reject(error);
  }
  const cached = entries.get().get(arn);
  if (
    cached !== undefined &&
    (cached.readAt === undefined || isFresh(cached.readAt, cached.failed ? failureTtlMs : maxAgeMs))
  ) {
    return cached.value;
  }
  const entry: Entry = { value: fetchSecret(arn, timeout) };
  entries.get().set(arn, entry);
  entry.value.then(
    () => {
      entry.readAt = Date.now();
    },
    () => {
      // Remembered as a failure, never as a value: the next read after failureTtlMs asks again.
      entry.failed = true;
      entry.readAt = Date.now();
    },
  );
  return entry.value;
}

/** A value read at `readAt` is fresh when younger than `maxAgeMs`; a clock that went back makes it stale. */
function isFresh(readAt: number, maxAgeMs: number): boolean {
  const age = Date.now() - readAt;
  return age >= 0 && age < maxAgeMs;
}

async function fetchSecret(arn: string, timeoutMs: number): Promise<string | undefined> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const region = arn.startsWith('arn:') ? arn.split(':')[3] || undefined : undefined;
  let client = clients.get().get(region ?? '');
  if (client === undefined) {
    client = new SecretsManagerClient(region === undefined ? {} : { region });
    clients.get().set(region ?? '', client);
  }
  let output: GetSecretValueCommandOutput;
  try {
    output = await client.send(new GetSecretValueCommand({ SecretId: arn }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError') {
      throw new Error(`reading secret ${arn} timed out after ${timeoutMs} ms (Secrets Manager did not answer)`, {
        cause: error,
      });
    }
    throw error;
  }
  if (output.SecretString !== undefined) return output.SecretString;
  return output.SecretBinary && Buffer.from(output.SecretBinary).toString('utf8');
}
