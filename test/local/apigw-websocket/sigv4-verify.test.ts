import { createSigner, signRequest } from '../../../lambda/native/sigv4';
import { type ReceivedRequest, verifySigV4 } from '../../../local/apigw-websocket/sigv4-verify';

const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'secret' };
const NOW = Date.parse('2026-11-23T10:00:00Z');

/** A request signed the way the runtime signs a PostToConnection, as the server receives it. */
async function signed(overrides: { sessionToken?: string; date?: Date } = {}): Promise<ReceivedRequest> {
  const body = Buffer.from('hello');
  const path = '/local/@connections/abc%3D';
  const signer = await createSigner('us-east-1', 'execute-api', {
    ...CREDENTIALS,
    sessionToken: overrides.sessionToken,
  });
  const headers = await signRequest(signer, {
    method: 'POST',
    host: '127.0.0.1:3001',
    path,
    headers: { 'content-type': 'application/octet-stream' },
    body,
    date: overrides.date ?? new Date(NOW),
  });
  return {
    method: 'POST',
    path,
    headers: { ...headers, host: '127.0.0.1:3001', 'content-type': 'application/octet-stream' },
    body,
  };
}

describe('verifySigV4', () => {
  test('accepts a correctly signed request, with or without a session token', async () => {
    expect(await verifySigV4(await signed(), CREDENTIALS, NOW)).toBeUndefined();
    expect(await verifySigV4(await signed({ sessionToken: 'token' }), CREDENTIALS, NOW)).toBeUndefined();
  });

  test('refuses a request without Authorization as API Gateway does', async () => {
    const request = await signed();
    const { authorization: _, ...headers } = request.headers;
    expect(await verifySigV4({ ...request, headers }, CREDENTIALS, NOW)).toMatchObject({
      status: 403,
      type: 'MissingAuthenticationTokenException',
    });
  });

  test('refuses an unknown access key', async () => {
    expect(await verifySigV4(await signed(), { ...CREDENTIALS, accessKeyId: 'OTHER' }, NOW)).toMatchObject({
      type: 'UnrecognizedClientException',
    });
  });

  test.each([
    ['the payload', (r: ReceivedRequest) => ({ ...r, body: Buffer.from('hellp') })],
    ['the path', (r: ReceivedRequest) => ({ ...r, path: '/local/@connections/abd%3D' })],
    ['the method', (r: ReceivedRequest) => ({ ...r, method: 'DELETE' })],
    ['a signed header', (r: ReceivedRequest) => ({ ...r, headers: { ...r.headers, 'content-type': 'text/plain' } })],
    ['the host', (r: ReceivedRequest) => ({ ...r, headers: { ...r.headers, host: 'example.com' } })],
  ])('refuses a request whose %s changed after signing', async (_what, tamper) => {
    expect(await verifySigV4(tamper(await signed()), CREDENTIALS, NOW)).toMatchObject({
      status: 403,
      type: 'InvalidSignatureException',
    });
  });

  test('refuses the wrong secret and a dropped session token', async () => {
    expect((await verifySigV4(await signed(), { ...CREDENTIALS, secretAccessKey: 'other' }, NOW))?.type).toBe(
      'InvalidSignatureException',
    );
    const request = await signed({ sessionToken: 'token' });
    const { 'x-amz-security-token': _, ...headers } = request.headers;
    expect((await verifySigV4({ ...request, headers }, CREDENTIALS, NOW))?.message).toMatch(/x-amz-security-token/);
  });

  test('refuses a signature more than 5 minutes from the server clock, either way', async () => {
    expect(await verifySigV4(await signed(), CREDENTIALS, NOW + 4 * 60_000)).toBeUndefined();
    expect((await verifySigV4(await signed(), CREDENTIALS, NOW + 6 * 60_000))?.message).toMatch(/expired/);
    expect((await verifySigV4(await signed(), CREDENTIALS, NOW - 6 * 60_000))?.message).toMatch(/expired/);
  });
});
