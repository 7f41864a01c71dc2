/**
 * The development identity provider (local/identity/dev-issuer.ts, oidc-provider) as a child process for tests:
 * jest workers cannot import ES modules, so it runs from the build (dist/). Tokens come from it two ways: signed
 * in through its real authorization-code flow with PKCE ({@link DevIssuerProcess.signIn}), or crafted with its
 * private key (or another) to make tokens it would never issue: expired, for another audience, badly signed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { newSigningKey, type SigningJwk } from '../../local/identity/dev-issuer';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(ROOT, 'dist', 'local', 'identity', 'dev-issuer-process.js');
const REDIRECT = 'http://127.0.0.1:9/callback';

/** A running issuer process. */
export interface DevIssuerProcess {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly keys: readonly SigningJwk[];
  /** How many times its JWKS was fetched. */
  jwksCount(): Promise<number>;
  /** An ID token for `name` through the issuer's own sign-in (authorization code with PKCE). */
  signIn(name: string): Promise<string>;
  /** A token signed with `key` (default: the issuer's signing key) with these claims over sensible defaults. */
  craft(claims?: Record<string, unknown>, options?: CraftOptions): string;
  stop(): Promise<void>;
}

/** How {@link DevIssuerProcess.craft} signs. */
export interface CraftOptions {
  readonly key?: SigningJwk;
  /** The header's `kid`. @default the key's */
  readonly kid?: string;
}

/** Starts an issuer; `keys` to choose its signing keys (first signs), `port` to restart one on the same URL. */
export async function startDevIssuerProcess(
  options: { keys?: SigningJwk[]; port?: number; idTokenTtlSeconds?: number } = {},
): Promise<DevIssuerProcess> {
  const keys = options.keys ?? [newSigningKey('k1')];
  const child: ChildProcess = spawn(process.execPath, ['--no-warnings', ENTRY], {
    env: {
      ...process.env,
      FAAS_GRIP_DEV_ISSUER: JSON.stringify({
        keys,
        port: options.port,
        redirectUris: [REDIRECT],
        idTokenTtlSeconds: options.idTokenTtlSeconds,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = await new Promise<{ issuer: string; jwksUri: string; clientId: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dev issuer did not start within 20 s: ${stderr}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev issuer exited with ${code}: ${stderr}`));
    });
  });
  const { issuer, jwksUri, clientId } = ready;
  const craft = (claims: Record<string, unknown> = {}, craftOptions: CraftOptions = {}) => {
    const key = craftOptions.key ?? keys[0];
    const now = Math.floor(Date.now() / 1000);
    const pem = createPrivateKey({ key: key as never, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' });
    const all: Record<string, unknown> = {
      iss: issuer,
      aud: clientId,
      sub: 'alice',
      name: 'alice',
      iat: now,
      exp: now + 600,
      ...claims,
    };
    const payload = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
    return jwt.sign(payload, pem, {
      algorithm: 'RS256',
      keyid: craftOptions.kid ?? key.kid,
    });
  };
  return {
    issuer,
    jwksUri,
    clientId,
    keys,
    async jwksCount() {
      const res = await fetch(`${issuer}/dev/jwks-count`);
      return ((await res.json()) as { count: number }).count;
    },
    signIn: (name) => signInAt(issuer, clientId, name, REDIRECT),
    craft,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The authorization-code flow with PKCE at `issuer`, as a browser would run it (following redirects by hand with
 * cookies): the ID token of `name`. `redirect` must be one of the client's redirect URIs.
 */
export async function signInAt(issuer: string, clientId: string, name: string, redirect: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: redirect,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    login_hint: name,
    state: randomBytes(8).toString('hex'),
  });
  const cookies = new Map<string, string>();
  let url = `${issuer}/auth?${params}`;
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(redirect)) {
      const code = new URL(url).searchParams.get('code');
      if (!code) throw new Error(`sign-in ended without a code: ${url}`);
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirect,
          client_id: clientId,
          code_verifier: verifier,
        }),
      });
      const body = (await res.json()) as { id_token?: string; error_description?: string };
      if (!body.id_token) throw new Error(`token exchange failed: ${JSON.stringify(body)}`);
      return body.id_token;
    }
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at ${url}: HTTP ${res.status} ${await res.text()}`);
    url = new URL(location, url).toString();
  }
  throw new Error('sign-in redirected too many times');
}
