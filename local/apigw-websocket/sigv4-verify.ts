/**
 * SigV4 verification for the local management API: a request signed with the wrong secret, path, payload or
 * clock is refused the way API Gateway refuses it, so local runs catch what AWS would. The expected signature is
 * computed by the same SDK signer the runtime signs with (lambda/native/sigv4.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createSigner, type SigningCredentials, signRequest } from '../../lambda/native/sigv4';

/** How far `x-amz-date` may be from the server's clock, as on AWS. */
const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** A refusal: the status, the `x-amzn-ErrorType` and the message API Gateway answers with. */
export interface SignatureRefusal {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

/** A request as it arrived. */
export interface ReceivedRequest {
  readonly method: string;
  /** The request target as sent (path, no query string). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/**
 * Checks the request's SigV4 signature against `credentials`; undefined when it is valid, else the refusal.
 * The session token, when sent, is taken as given (there is no STS locally).
 */
export async function verifySigV4(
  request: ReceivedRequest,
  credentials: Pick<SigningCredentials, 'accessKeyId' | 'secretAccessKey'>,
  now: number = Date.now(),
): Promise<SignatureRefusal | undefined> {
  const authorization = single(request.headers.authorization);
  if (!authorization)
    return { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const parts = AUTHORIZATION.exec(authorization);
  if (!parts) return invalid('Authorization header is not a SigV4 (AWS4-HMAC-SHA256) header');
  const [, accessKeyId, day, region, service, signedHeaders, signature] = parts;
  if (accessKeyId !== credentials.accessKeyId) {
    return {
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const amzDate = single(request.headers['x-amz-date']) ?? '';
  const date = parseAmzDate(amzDate);
  if (!date || amzDate.slice(0, 8) !== day)
    return invalid('x-amz-date is missing or does not match the credential scope');
  if (Math.abs(date.getTime() - now) > MAX_SKEW_MS)
    return invalid('Signature expired: x-amz-date is more than 5 minutes off');
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return invalid('host and x-amz-date must be signed');
  const headers: Record<string, string> = {};
  for (const name of names) {
    if (name === 'host' || name === 'x-amz-date' || name === 'x-amz-security-token') continue;
    const value = single(request.headers[name]);
    if (value === undefined) return invalid(`signed header ${name} was not sent`);
    headers[name] = value;
  }
  const sessionToken = single(request.headers['x-amz-security-token']);
  if (names.includes('x-amz-security-token') !== (sessionToken !== undefined)) {
    return invalid('x-amz-security-token must be signed exactly when it is sent');
  }
  const signer = await createSigner(region, service, { ...credentials, sessionToken });
  const { authorization: expected } = await signRequest(signer, {
    method: request.method,
    host: single(request.headers.host) ?? '',
    path: request.path,
    headers,
    body: request.body,
    date,
  });
  if (!expected.endsWith(`Signature=${signature}`) || !expected.includes(`SignedHeaders=${signedHeaders},`)) {
    return invalid(
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your AWS Secret Access Key and signing method.',
    );
  }
  return undefined;
}

function invalid(message: string): SignatureRefusal {
  return { status: 403, type: 'InvalidSignatureException', message };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
