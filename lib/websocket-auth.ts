import { type Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Env } from '../lambda/contract';

/** Where a connecting client's token is read from. */
export class TokenSource {
  /**
   * The subprotocol list: the client offers `faas-grip` and `faas-grip.bearer.<token>` (what
   * `faas-grip-cdk/client` does; browsers cannot set other headers on a WebSocket). The handshake answers
   * `faas-grip`.
   */
  public static readonly PROTOCOL = new TokenSource('protocol');
  /** `Authorization: Bearer <token>`, for clients that can set headers (servers, mobile apps). */
  public static readonly AUTHORIZATION_HEADER = new TokenSource('header');

  /** A query parameter. Tokens in URLs can end up in logs: prefer the subprotocol for browsers. */
  public static query(name: string): TokenSource {
    return new TokenSource(`query:${checkedName(name)}`);
  }

  /** A cookie, accepted only from the pages of `allowedOrigins` (browsers send cookies cross-site too). */
  public static cookie(name: string): TokenSource {
    return new TokenSource(`cookie:${checkedName(name)}`);
  }

  private constructor(
    /** The source as the runtime reads it (FAAS_GRIP_AUTH_TOKEN_FROM). */
    public readonly value: string,
  ) {}
}

/** What happens to a connection whose token expires. */
export enum TokenExpiry {
  /** Closed (4401) at its first event after expiry; `faas-grip-cdk/client` sends fresh tokens before that. */
  CLOSE = 'close',
  /** The identity checked at connect lasts as long as the connection (like an API Gateway authorizer's). */
  KEEP = 'keep',
}

/** Which Cognito token connections present. */
export enum CognitoTokenUse {
  /** ID tokens (`aud` is the app client id; they carry the user's name and groups). */
  ID = 'id',
  /** Access tokens (`client_id` is the app client id). */
  ACCESS = 'access',
}

/** Options shared by the token-checking variants. */
export interface TokenAuthOptions {
  /**
   * Where tokens are read, in order.
   * @default [TokenSource.PROTOCOL, TokenSource.AUTHORIZATION_HEADER, TokenSource.query('access_token')]
   */
  readonly tokenFrom?: TokenSource[];
  /**
   * Origins whose pages may connect with a cookie token, e.g. `https://chat.example.com`. Required with a cookie
   * source.
   * @default - none
   */
  readonly allowedOrigins?: string[];
  /**
   * The claims kept in `ws.user.claims`.
   * @default ['name', 'preferred_username', 'email', 'groups', 'cognito:username', 'cognito:groups']
   */
  readonly claims?: string[];
  /**
   * Clock difference tolerated on `exp` and `nbf`; at most 5 minutes.
   * @default Duration.seconds(30)
   */
  readonly clockSkew?: Duration;
  /**
   * What happens to a connection whose token expires.
   * @default TokenExpiry.CLOSE
   */
  readonly expiry?: TokenExpiry;
}

/** Properties of {@link WebSocketAuth.cognito}. */
export interface CognitoAuthProps extends TokenAuthOptions {
  /** The user pool whose users connect. */
  readonly userPool: cognito.IUserPool;
  /** The app clients whose tokens are accepted (the token's `aud`, or `client_id` for access tokens). */
  readonly userPoolClients: cognito.IUserPoolClient[];
  /**
   * Which token connections present.
   * @default CognitoTokenUse.ID
   */
  readonly tokenUse?: CognitoTokenUse;
}

/** Properties of {@link WebSocketAuth.oidc}. */
export interface OidcAuthProps extends TokenAuthOptions {
  /** The issuer URL (`https://`), which tokens carry as `iss`. */
  readonly issuer: string;
  /**
   * Accepted audiences (`aud`, or `client_id` when a token has no `aud`).
   * @default - the audience is not checked: any token of the issuer is accepted
   */
  readonly audience?: string[];
  /**
   * The issuer's JWKS URL (its discovery document's `jwks_uri`).
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUri?: string;
}

/**
 * Who may connect to a WebSocket front door (GripApi, NativeWebSocketApi), and who they are: a JWT from an Amazon
 * Cognito user pool or any OpenID Connect issuer, checked by the runtime before the handler's code runs (on GRIP at
 * the opening request, on API Gateway at `$connect`) and kept as `ws.user` for the connection's later events; or a
 * shared token checked by a Lambda authorizer (NativeWebSocketApi only).
 *
 * The handler's bundle must carry the check: the package's chat bundles do; a handler of your own imports
 * `faas-grip-cdk/runtime/auth` (without it every connection is refused, and the logs say why).
 */
export class WebSocketAuth {
  /** Tokens of a Cognito user pool's app clients. */
  public static cognito(props: CognitoAuthProps): WebSocketAuth {
    if (props.userPoolClients.length === 0) {
      throw new Error('WebSocketAuth.cognito: give at least one app client in userPoolClients (the token audience)');
    }
    return new WebSocketAuth(undefined, (scope) => ({
      [Env.AUTH_ISSUER]: `https://cognito-idp.${Stack.of(scope).region}.amazonaws.com/${props.userPool.userPoolId}`,
      [Env.AUTH_AUDIENCE]: props.userPoolClients.map((c) => c.userPoolClientId).join(','),
      [Env.AUTH_TOKEN_USE]: props.tokenUse ?? CognitoTokenUse.ID,
      ...tokenEnvironment('WebSocketAuth.cognito', props),
    }));
  }

  /** Tokens of an OpenID Connect issuer, checked against its JWKS. */
  public static oidc(props: OidcAuthProps): WebSocketAuth {
    checkHttpsUrl('issuer', props.issuer);
    if (props.jwksUri !== undefined) checkHttpsUrl('jwksUri', props.jwksUri);
    return new WebSocketAuth(undefined, () => ({
      [Env.AUTH_ISSUER]: props.issuer,
      ...(props.jwksUri === undefined ? {} : { [Env.AUTH_JWKS_URI]: props.jwksUri }),
      ...(props.audience?.length ? { [Env.AUTH_AUDIENCE]: props.audience.join(',') } : {}),
      ...tokenEnvironment('WebSocketAuth.oidc', props),
    }));
  }

  /**
   * A shared token clients pass as the `token` query parameter, compared by a Lambda authorizer on `$connect`.
   * NativeWebSocketApi only; it names no user (`ws.user` stays undefined).
   */
  public static sharedToken(secret: secretsmanager.ISecret): WebSocketAuth {
    return new WebSocketAuth(secret, () => undefined);
  }

  private constructor(
    /** The shared token's secret, for the shared-token variant. */
    public readonly sharedTokenSecret: secretsmanager.ISecret | undefined,
    private readonly environmentOf: (scope: Construct) => Record<string, string> | undefined,
  ) {}

  /** The runtime's environment for a function behind `scope`; undefined for the shared-token variant. */
  public bindEnvironment(scope: Construct): Record<string, string> | undefined {
    return this.environmentOf(scope);
  }
}

function tokenEnvironment(owner: string, options: TokenAuthOptions): Record<string, string> {
  const env: Record<string, string> = {};
  const sources = options.tokenFrom?.map((s) => s.value);
  if (sources !== undefined) {
    if (sources.length === 0) throw new Error(`${owner}: tokenFrom is empty; name at least one TokenSource`);
    env[Env.AUTH_TOKEN_FROM] = sources.join(',');
  }
  const origins = options.allowedOrigins ?? [];
  if (sources?.some((s) => s.startsWith('cookie:')) && origins.length === 0) {
    throw new Error(
      `${owner}: a cookie token source needs allowedOrigins (browsers send cookies with cross-site WebSocket ` +
        'handshakes too): list the origins of your pages',
    );
  }
  for (const origin of origins) {
    if (!Token.isUnresolved(origin) && !/^https?:\/\/[^/\s,]+$/.test(origin)) {
      throw new Error(
        `${owner}: allowedOrigins entry ${JSON.stringify(origin)} is not an origin like https://a.example.com`,
      );
    }
  }
  if (origins.length > 0) env[Env.AUTH_ORIGINS] = origins.join(',');
  if (options.claims !== undefined) env[Env.AUTH_CLAIMS] = options.claims.join(',');
  if (options.clockSkew !== undefined) {
    const seconds = options.clockSkew.toSeconds();
    if (seconds > 300) throw new Error(`${owner}: clockSkew is ${seconds} seconds; at most 5 minutes`);
    env[Env.AUTH_CLOCK_SKEW] = String(seconds);
  }
  if (options.expiry !== undefined) env[Env.AUTH_EXPIRY] = options.expiry;
  return env;
}

function checkHttpsUrl(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') {
    throw new Error(`WebSocketAuth.oidc: ${prop} ${JSON.stringify(value)} must be an https URL`);
  }
}

function checkedName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new Error(`TokenSource: ${JSON.stringify(name)} is not a usable name (letters, digits, '_', '.', '-')`);
  }
  return name;
}
