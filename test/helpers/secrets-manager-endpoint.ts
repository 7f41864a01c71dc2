import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One GetSecretValue call the endpoint received. */
export interface SecretCall {
  readonly secretId: string;
  /** The region the request was signed for (from its SigV4 credential scope). */
  readonly region: string;
}

/** What a secret holds: a string, or bytes (sent as `SecretBinary`). */
export type SecretValue = string | Uint8Array;

/**
 * A Secrets Manager API on loopback that answers GetSecretValue from `secrets` (by ARN; unknown ARNs are not
 * found) and records every call.
 */
export class SecretsManagerEndpoint {
  /** Every GetSecretValue call, in arrival order. */
  readonly calls: SecretCall[] = [];

  private constructor(
    private readonly server: Server,
    /** The secrets by ARN; change them between calls to see whether a caller reads again. */
    readonly secrets: Record<string, SecretValue>,
  ) {}

  /** Environment for SDK clients to reach this endpoint with dummy credentials. */
  get env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
  }

  /** Starts the endpoint on a free loopback port. */
  static async start(secrets: Record<string, SecretValue> = {}): Promise<SecretsManagerEndpoint> {
    const server = createServer();
    const endpoint = new SecretsManagerEndpoint(server, secrets);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
        endpoint.calls.push({ secretId: SecretId, region });
        const value = endpoint.secrets[SecretId];
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (value === undefined) {
          res.writeHead(400, { 'x-amzn-errortype': 'ResourceNotFoundException' });
          res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }));
          return;
        }
        const field =
          typeof value === 'string' ? { SecretString: value } : { SecretBinary: Buffer.from(value).toString('base64') };
        res.end(JSON.stringify({ ARN: SecretId, Name: 'secret', ...field }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  /** Stops the endpoint. */
  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
