/**
 * A development identity provider on loopback: a real OpenID Connect issuer (oidc-provider) with its own signing
 * key and JWKS, for `npm start` and the tests. It signs in whoever the page names: the chat page sends the typed
 * name as `login_hint` in an authorization-code request with PKCE, the issuer logs that name in (no password: it
 * is for a laptop) and grants the client's scopes at once, and the page exchanges the code for an ID token whose
 * `sub`, `name` and `preferred_username` are the name.
 *
 * Its JWKS is served at `<issuer>/.well-known/jwks.json` (where Cognito serves it, so the runtime's default JWKS
 * URL works unchanged); `GET <issuer>/dev/jwks-count` tells how many times the JWKS was fetched.
 *
 * oidc-provider is an ES module: it is imported dynamically (a CommonJS caller such as the dev server can), and
 * processes that cannot (jest workers) run the issuer as a child process: ./dev-issuer-process.ts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A private signing key as a JWK (with `kid`, `alg` and `use`). */
export type SigningJwk = Record<string, unknown> & { readonly kid: string };

/** Options of {@link startDevIssuer}. */
export interface DevIssuerOptions {
  /** Loopback port. @default - a free one */
  readonly port?: number;
  /** The OAuth client of the page. @default 'faas-grip-chat' */
  readonly clientId?: string;
  /** Where the issuer may send the page back with a code (the page's URLs). @default - none: no browser sign-in */
  readonly redirectUris?: readonly string[];
  /** Lifetime of ID tokens, seconds. @default 3600 */
  readonly idTokenTtlSeconds?: number;
  /** Signing keys, the first signs. @default - one new RSA key */
  readonly keys?: readonly SigningJwk[];
}

/** A running issuer. */
export interface DevIssuer {
  /** The issuer URL (`iss` of its tokens; FAAS_GRIP_AUTH_ISSUER). */
  readonly issuer: string;
  /** Its JWKS URL. */
  readonly jwksUri: string;
  /** The page's client id (the ID tokens' `aud`). */
  readonly clientId: string;
  /** The private keys it signs with. */
  readonly keys: readonly SigningJwk[];
  stop(): Promise<void>;
}

/** A new RSA signing key as a private JWK. */
export function newSigningKey(kid: string = randomBytes(6).toString('hex')): SigningJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'RS256', use: 'sig' };
}

// A real dynamic import, which the TypeScript CommonJS output would otherwise turn into require().
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

/** Starts an issuer on 127.0.0.1. */
export async function startDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const { default: Provider } = (await importModule('oidc-provider')) as { default: new (...args: unknown[]) => any };
  const clientId = options.clientId ?? 'faas-grip-chat';
  const keys = options.keys ?? [newSigningKey()];
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: options.redirectUris?.length ? [...options.redirectUris] : [`${issuer}/unused`],
      },
    ],
    jwks: { keys: keys.map((k) => ({ ...k })) },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    routes: { jwks: '/.well-known/jwks.json' },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    conformIdTokenClaims: false,
    ttl: {
      IdToken: options.idTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris: string[] }) =>
      client.redirectUris.some((uri) => new URL(uri).origin === origin),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, name: id, preferred_username: id }),
    }),
    // The page is the issuer's own first-party client: its scopes are granted without a consent screen.
    loadExistingGrant: async (ctx: any) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => console.error('dev issuer error:', error.message));
  const handle = provider.callback();
  let jwksFetches = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/dev/jwks-count') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: jwksFetches }));
      return;
    }
    if (path === '/.well-known/jwks.json') jwksFetches++;
    if (path.startsWith('/interaction/')) {
      void login(provider, req, res);
      return;
    }
    handle(req, res);
  });
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    clientId,
    keys,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The login step: the request's `login_hint` is the user (1 to 64 characters), signed in without a password. */
async function login(provider: any, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const details = await provider.interactionDetails(req, res);
    const hint = String(details.params.login_hint ?? '').trim();
    if (hint.length === 0 || [...hint].length > 64) {
      res
        .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
        .end('name the user: login_hint (1-64 characters)\n');
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: hint } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res
      .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
      .end(`sign-in failed: ${(error as Error).message}\n`);
  }
}
