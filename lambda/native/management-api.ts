import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { callTimeout } from '../deadline';

/** Options of one management API call. */
export interface CallOptions {
  /** Epoch milliseconds by which the call must have finished. @default - the invocation's deadline, if known */
  readonly deadline?: number;
  /** Timeout of this call. @default - the sender's own (5 s for the signed sender, 10 s for an SDK client) */
  readonly timeoutMs?: number;
}

/**
 * The two management API calls the native transport makes. Both reject with the AWS SDK v3 service exceptions
 * (`GoneException` for 410, `ForbiddenException`, `LimitExceededException`, ...), with `name` and
 * `$metadata.httpStatusCode` set, whichever implementation sends them.
 */
export interface ManagementApi {
  /** PostToConnection: resolves when API Gateway accepted the message. */
  post(connectionId: string, data: Uint8Array, options?: CallOptions): Promise<void>;
  /** DeleteConnection: closes the connection. */
  delete(connectionId: string, options?: CallOptions): Promise<void>;
}

/** The SDK module of the management API. */
export type ManagementSdk = typeof import('@aws-sdk/client-apigatewaymanagementapi');

let sdkModule: Promise<ManagementSdk> | undefined;

/** The SDK module, loaded on first use (never at import: GRIP-only functions do not need it). */
export function managementSdk(): Promise<ManagementSdk> {
  sdkModule ??= import('@aws-sdk/client-apigatewaymanagementapi');
  return sdkModule;
}

/** The calls sent through an `ApiGatewayManagementApiClient` the caller configured (the `managementClient` option). */
export class SdkManagementApi implements ManagementApi {
  constructor(readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, data: Uint8Array, options: CallOptions = {}): Promise<void> {
    const sdk = await managementSdk();
    const command = new sdk.PostToConnectionCommand({ ConnectionId: connectionId, Data: data });
    await this.client.send(command, {
      abortSignal: AbortSignal.timeout(callTimeout(options.deadline, options.timeoutMs)),
    });
  }

  async delete(connectionId: string, options: CallOptions = {}): Promise<void> {
    const sdk = await managementSdk();
    const command = new sdk.DeleteConnectionCommand({ ConnectionId: connectionId });
    await this.client.send(command, {
      abortSignal: AbortSignal.timeout(callTimeout(options.deadline, options.timeoutMs)),
    });
  }
}
