/**
 * AWS Signature Version 4 for the management API calls, by the AWS SDK's own signer (`@smithy/signature-v4`, part
 * of every Lambda Node.js runtime, so it is external in the bundles and loaded only when a native call is signed).
 * Used by the runtime's sender and by the local management API's verifier, so both sign one way. Checked against
 * the published AWS SigV4 test-suite vectors in the tests.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SignatureV4 } from '@smithy/signature-v4';

/** The credentials a request is signed with. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Set for temporary credentials (Lambda's role): sent and signed as `x-amz-security-token`. */
  readonly sessionToken?: string;
}

/** One request to sign: header-based, no query string, payload hashed. */
export interface SigV4Request {
  readonly method: string;
  /** The `Host` header as sent (with `:port` when it is not the scheme's default). */
  readonly host: string;
  /** The path as sent on the wire, each segment already percent-encoded; no query string. */
  readonly path: string;
  /** Further headers to sign (lower-case names), e.g. `content-type`. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The signing time. @default - now */
  readonly date?: Date;
}

/** What signs requests for one region and service. */
export interface RequestSigner {
  readonly signer: SignatureV4;
}

/** SHA-256 in the SDK's checksum shape (an HMAC when given a secret), over node:crypto. */
export class Sha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A signer for `service` in `region`: the SDK's SignatureV4 configured as the SDK configures it for API Gateway's
 * management API (path segments escaped once more in the canonical URI, payload hashed, no checksum header).
 * `credentials` may be a provider (the SDK client's chain), called for each request.
 */
export async function createSigner(
  region: string,
  service: string,
  credentials: SigningCredentials | (() => Promise<SigningCredentials>),
): Promise<RequestSigner> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  return {
    signer: new SignatureV4({
      service,
      region,
      credentials,
      sha256: Sha256,
      uriEscapePath: true,
      applyChecksum: false,
    }),
  };
}

/**
 * The headers that sign `request`: `x-amz-date`, `x-amz-security-token` when the credentials have one, and
 * `authorization`. Send them together with `host` and `request.headers`, which they cover.
 */
export async function signRequest(signer: RequestSigner, request: SigV4Request): Promise<Record<string, string>> {
  const hostname = request.host.replace(/:\d+$/, '');
  const signed = await signer.signer.sign(
    {
      method: request.method.toUpperCase(),
      protocol: 'https:',
      hostname,
      path: request.path,
      query: {},
      headers: { ...request.headers, host: request.host },
      body: request.body,
    },
    request.date === undefined ? undefined : { signingDate: request.date },
  );
  const out: Record<string, string> = {
    'x-amz-date': signed.headers['x-amz-date'],
    authorization: signed.headers.authorization,
  };
  const token = signed.headers['x-amz-security-token'];
  if (token !== undefined) out['x-amz-security-token'] = token;
  return out;
}

/**
 * Percent-encodes `value` the way SigV4 and API Gateway expect: everything but `A-Z a-z 0-9 - _ . ~`
 * (so `!'()*` too, which `encodeURIComponent` leaves alone).
 */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
