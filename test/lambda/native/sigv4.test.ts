import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { type SigningCredentials, signRequest, uriEscape } from '../../../lambda/native/sigv4';

/** The SDK's own signer, configured as the management client configures it (path escaped, payload hashed). */
async function sdkSignature(input: {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  region: string;
  credentials: SigningCredentials;
  date: Date;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: input.region,
    credentials: input.credentials,
    sha256: class {
      // The SDK's hash interface: a secret makes it an HMAC.
      private readonly hash: Hash | Hmac;
      constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        const key = secret instanceof ArrayBuffer ? new Uint8Array(secret) : secret;
        this.hash = key === undefined ? createHash('sha256') : createHmac('sha256', key as string | Uint8Array);
      }
      update(data: string | ArrayBuffer | ArrayBufferView) {
        this.hash.update(data instanceof ArrayBuffer ? new Uint8Array(data) : (data as string | Uint8Array));
      }
      async digest() {
        return new Uint8Array(this.hash.digest());
      }
    },
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: 'https:',
      hostname: input.host,
      path: input.path,
      query: {},
      headers: { ...input.headers, host: input.host },
      body: input.body,
    },
    { signingDate: input.date },
  );
  return signed.headers as Record<string, string>;
}

const credentialsArb: fc.Arbitrary<SigningCredentials> = fc.record(
  {
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
    secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{20,40}$/),
    sessionToken: fc.stringMatching(/^[A-Za-z0-9/+=]{10,60}$/),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

describe('signRequest', () => {
  test('signs exactly as the AWS SDK v3 signer does, for any connection id, stage, payload and credentials', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((id) => id !== '.' && id !== '..'),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/),
        fc.uint8Array({ maxLength: 300 }),
        credentialsArb,
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom('POST', 'DELETE'),
        async (id, stage, body, credentials, region, date, method) => {
          const input = {
            method,
            host: 'abc123.execute-api.us-east-1.amazonaws.com',
            path: `/${stage}/@connections/${uriEscape(id)}`,
            headers: (method === 'POST' ? { 'content-type': 'application/octet-stream' } : {}) as Record<
              string,
              string
            >,
            body,
            region,
            credentials,
            date,
          };
          const ours = signRequest({ ...input, service: 'execute-api' });
          const sdk = await sdkSignature(input);
          expect(ours.authorization).toBe(sdk.authorization);
          expect(ours['x-amz-date']).toBe(sdk['x-amz-date']);
          expect(ours['x-amz-security-token']).toBe(sdk['x-amz-security-token']);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('resolves dot segments and empty segments in the path as the SDK signer does', async () => {
    const segment = fc.oneof(
      fc.constantFrom('.', '..', '', '@connections', 'prod'),
      fc.string({ unit: 'grapheme', maxLength: 8 }).map(uriEscape),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 6 }), fc.boolean(), async (segments, trailing) => {
        const path = `/${segments.join('/')}${trailing ? '/' : ''}`;
        const input = {
          method: 'GET',
          host: 'localhost:3001',
          path,
          headers: { 'content-type': '  text/plain;   charset=utf-8 ' },
          body: new Uint8Array(0),
          region: 'us-east-1',
          credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
          date: new Date('2026-11-23T10:00:00Z'),
        };
        expect(signRequest({ ...input, service: 'execute-api' }).authorization).toBe(
          (await sdkSignature(input)).authorization,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('the signature covers the payload, the path and the date', () => {
    const base = {
      method: 'POST',
      host: 'localhost:3001',
      path: '/local/@connections/abc%3D',
      body: Buffer.from('hello'),
      region: 'us-east-1',
      service: 'execute-api',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      date: new Date('2026-11-23T10:00:00Z'),
    };
    const signature = (overrides: Partial<typeof base>) => signRequest({ ...base, ...overrides }).authorization;
    const reference = signature({});
    expect(reference).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20261123\/us-east-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(signature({ body: Buffer.from('hellp') })).not.toBe(reference);
    expect(signature({ path: '/local/@connections/abd%3D' })).not.toBe(reference);
    expect(signature({ date: new Date('2026-11-23T10:00:01Z') })).not.toBe(reference);
    expect(signature({ credentials: { accessKeyId: 'AKID', secretAccessKey: 'secreu' } })).not.toBe(reference);
  });

  test('temporary credentials send and sign their session token', () => {
    const headers = signRequest({
      method: 'POST',
      host: 'h',
      path: '/s/@connections/x',
      body: new Uint8Array(0),
      region: 'us-east-1',
      service: 'execute-api',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: 'token/+=' },
    });
    expect(headers['x-amz-security-token']).toBe('token/+=');
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});

describe('uriEscape', () => {
  test('leaves only the unreserved characters of RFC 3986 as they are', () => {
    expect(uriEscape("aZ09-_.~!'()*=+/@ é")).toBe('aZ09-_.~%21%27%28%29%2A%3D%2B%2F%40%20%C3%A9');
  });
});
