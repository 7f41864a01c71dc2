import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import jwt from 'jsonwebtoken';
import { type PublishGate, startPublishGate } from '../../../local/grip/publish-gate';
import { listen } from '../../../local/support/http-io';
import { httpRequest } from '../../helpers/local-http-client';

describe('startPublishGate', () => {
  const key = 'gate-test-key';
  let upstream: Server;
  let gate: PublishGate;
  const received: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('Published\n');
      });
    });
    const port = await listen(upstream, 0, '127.0.0.1');
    gate = await startPublishGate({ upstream: `http://127.0.0.1:${port}`, iss: 'backend', key });
  });
  afterAll(async () => {
    await gate.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const publish = (authorization?: string) =>
    httpRequest(`${gate.url}/publish/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
      body: '{"items":[]}',
    });
  const token = (payload: object, secret = key, options: jwt.SignOptions = { algorithm: 'HS256' }) =>
    `Bearer ${jwt.sign(payload, secret, options)}`;

  it('forwards a request with a valid HS256 token, without the Authorization header', async () => {
    const res = await publish(token({ iss: 'backend', exp: Math.floor(Date.now() / 1000) + 600 }));
    expect(res.status).toBe(200);
    expect(res.text).toBe('Published\n');
    const last = received[received.length - 1];
    expect(last).toMatchObject({ method: 'POST', url: '/publish/', body: '{"items":[]}' });
    expect(last.headers.authorization).toBeUndefined();
  });

  it('refuses with 401 a token without exp, and with 403 a request a web page made', async () => {
    const count = received.length;
    const endless = await publish(token({ iss: 'backend' }));
    expect(endless.status).toBe(401);
    expect(endless.text).toContain('exp');
    const valid = token({ iss: 'backend', exp: Math.floor(Date.now() / 1000) + 600 });
    const pageMarks: Array<Record<string, string>> = [
      { Origin: 'http://127.0.0.1:1' },
      { 'Sec-Fetch-Site': 'cross-site' },
    ];
    for (const marks of pageMarks) {
      const fromPage = await httpRequest(`${gate.url}/publish/`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Authorization: valid, ...marks },
        body: '{"items":[]}',
      });
      expect(fromPage.status).toBe(403);
    }
    expect(received.length).toBe(count);
  });

  it('refuses with 401 a missing token, a wrong key, a wrong issuer, an expired token and alg none', async () => {
    const count = received.length;
    const past = Math.floor(Date.now() / 1000) - 10;
    const refused = [
      await publish(),
      await publish('Basic dXNlcjpwYXNz'),
      await publish(token({ iss: 'backend' }, 'wrong-key')),
      await publish(token({ iss: 'someone-else' })),
      await publish(token({ iss: 'backend', exp: past })),
      await publish(token({ iss: 'backend' }, '', { algorithm: 'none' })),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(refused[0].headers['www-authenticate']).toBe('Bearer');
    expect(received.length).toBe(count);
  });
});
