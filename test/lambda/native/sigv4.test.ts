import { createSigner, signRequest, uriEscape } from '../../../lambda/native/sigv4';
import suite from '../../fixtures/sigv4-test-suite.json';

describe('signRequest (the SDK signer, as the runtime and the local verifier configure it)', () => {
  test.each(suite.cases)('matches the AWS SigV4 test suite: $name', async (c) => {
    const signer = await createSigner(suite.region, suite.service, suite.credentials);

    const headers = await signRequest(signer, {
      method: c.method,
      host: suite.host,
      path: c.path,
      headers: c.headers as Record<string, string>,
      body: Buffer.from(c.body),
      date: new Date(suite.date),
    });

    expect(headers.authorization).toBe(c.authorization);
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  test('the signature covers the payload, the path, the date and the secret', async () => {
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
    const base = {
      method: 'POST',
      host: 'localhost:3001',
      path: '/local/@connections/abc%3D',
      body: Buffer.from('hello'),
      date: new Date('2026-11-23T10:00:00Z'),
    };
    const signature = async (overrides: Partial<typeof base>, secret = 'secret') =>
      (
        await signRequest(await createSigner('us-east-1', 'execute-api', { ...credentials, secretAccessKey: secret }), {
          ...base,
          ...overrides,
        })
      ).authorization;
    const reference = await signature({});
    expect(reference).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20261123\/us-east-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(await signature({ body: Buffer.from('hellp') })).not.toBe(reference);
    expect(await signature({ path: '/local/@connections/abd%3D' })).not.toBe(reference);
    expect(await signature({ date: new Date('2026-11-23T10:00:01Z') })).not.toBe(reference);
    expect(await signature({}, 'secreu')).not.toBe(reference);
  });

  test('temporary credentials send and sign their session token', async () => {
    const signer = await createSigner('us-east-1', 'execute-api', {
      accessKeyId: 'AKID',
      secretAccessKey: 's',
      sessionToken: 'token/+=',
    });
    const headers = await signRequest(signer, {
      method: 'POST',
      host: 'h',
      path: '/s/@connections/x',
      body: Buffer.alloc(0),
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
