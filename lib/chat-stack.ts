import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { Env } from '../lambda/contract';
import { ChannelLogTable } from './channel-log-table';
import { GripApi } from './grip-api';
import type { GripSettings } from './grip-settings';
import { HandlerBundle, HandlerFunction } from './handler-function';
import { NativeWebSocketApi } from './native-websocket-api';
import { PresenceTable } from './presence-table';
import { claimEnvironment } from './private/environment';
import { TransportAlarms } from './transport-alarms';
import { WebSocketAuth } from './websocket-auth';

/** Which front doors the chat runs behind. */
export class ChatTransport {
  /** A GRIP proxy (Fanout Cloud, Fastly Fanout, Pushpin) in front of a REST API. */
  public static readonly GRIP = new ChatTransport('grip', true, false);
  /** An API Gateway WebSocket API. */
  public static readonly NATIVE = new ChatTransport('native', false, true);
  /** Both, with one function: a message reaches the room's members on either transport. */
  public static readonly BOTH = new ChatTransport('both', true, true);

  /** Every transport, by name. */
  public static readonly ALL: readonly ChatTransport[] = [ChatTransport.GRIP, ChatTransport.NATIVE, ChatTransport.BOTH];

  /**
   * The transport called `name` (`grip`, `native` or `both`, any case).
   *
   * @throws Error listing the valid names.
   */
  public static of(name: string): ChatTransport {
    const found = ChatTransport.ALL.find((t) => t.name === name.trim().toLowerCase());
    if (found === undefined) {
      const names = ChatTransport.ALL.map((t) => t.name).join(', ');
      throw new Error(`unknown chat transport '${name}': use one of ${names} (e.g. npx cdk deploy -c transport=both)`);
    }
    return found;
  }

  private constructor(
    /** The transport's name. */
    public readonly name: string,
    /** Whether a GRIP origin is defined. */
    public readonly grip: boolean,
    /** Whether a native WebSocket API is defined. */
    public readonly native: boolean,
  ) {}
}

/** Properties of a {@link ChatStack}. */
export interface ChatStackProps extends StackProps {
  /**
   * The front doors of the chat. Both by default: the native WebSocket API works the moment the deploy ends, the
   * GRIP origin once the GRIP_URL is put in its secret.
   *
   * @default ChatTransport.BOTH
   */
  readonly transport?: ChatTransport;

  /**
   * Where the GRIP settings are (GRIP and both transports).
   *
   * @default GripSettings.newSecret()
   */
  readonly gripSettings?: GripSettings;

  /**
   * Whether the chat's channels keep their history (a {@link ChannelLogTable}, deleted with the stack) and show who
   * is online (a {@link PresenceTable}): a page opened later shows the recent messages, a client that reconnects
   * gets what it missed, and each page lists the channel's members.
   *
   * @default true
   */
  readonly durable?: boolean;

  /**
   * Whether users sign in: connections must present an ID token of the chat's Cognito user pool, and the chat
   * names each user by the token.
   *
   * @default true
   */
  readonly signIn?: boolean;

  /**
   * The user pool users sign in with (with `signIn`).
   *
   * @default - a new user pool (self sign-up off: add users in the console or with the CLI), deleted with the stack
   */
  readonly userPool?: cognito.IUserPool;

  /**
   * The app clients of an existing `userPool` whose ID tokens the chat accepts (required with `userPool`).
   *
   * @default - the client the stack defines for its own pool
   */
  readonly userPoolClients?: cognito.IUserPoolClient[];

  /**
   * Where Cognito's sign-in sends users back to the chat page (the page's URLs), with `signIn` and a new pool.
   *
   * @default ['http://localhost:8080/']
   */
  readonly callbackUrls?: string[];

  /**
   * Channels open only to the listed users (user names, the tokens' `sub`, or `group:<name>`), e.g.
   * `{ staff: ['alice', 'bob'] }`.
   *
   * @default - none
   */
  readonly privateChannels?: Record<string, string[]>;

  /**
   * Whether to define the alarms of {@link TransportAlarms}.
   *
   * @default false
   */
  readonly alarms?: boolean;
}

/** Rate limits of the example's stages: generous for a chat, a ceiling on what a runaway client can cost. */
const THROTTLING = { rate: 500, burst: 1000 };

/**
 * The chat of the seed, deployable with `npx cdk deploy`: one function running the package's chat handler
 * behind a GRIP origin, a native WebSocket API, or both (one room across both).
 */
export class ChatStack extends Stack {
  /** The chat function. */
  public readonly handler: lambda.Function;
  /** The GRIP origin, unless the transport is native only. */
  public readonly gripApi?: GripApi;
  /** The native WebSocket API, unless the transport is GRIP only. */
  public readonly nativeWebSocketApi?: NativeWebSocketApi;
  /** The alarms, when asked for. */
  public readonly alarms?: TransportAlarms;
  /** The durable channels' log, unless `durable` is false. */
  public readonly channelLog?: ChannelLogTable;
  /** Who is in each channel (the chat's online list), with the durable channels. */
  public readonly presence?: PresenceTable;
  /** The user pool users sign in with, unless `signIn` is false. */
  public readonly userPool?: cognito.IUserPool;
  /** The chat page's app client of the user pool, when the stack defined the pool. */
  public readonly userPoolClient?: cognito.IUserPoolClient;

  /**
   * The props the CDK context asks for: `-c transport=both|grip|native` (both by default),
   * `-c alarms=true|false` (false by default) and `-c signIn=true|false` (true by default).
   *
   * @throws Error naming the valid values, for a value that is not one.
   */
  public static propsFromContext(scope: Construct): ChatStackProps {
    const transport = scope.node.tryGetContext('transport');
    const alarms = scope.node.tryGetContext('alarms');
    const flag = String(alarms ?? 'false').toLowerCase();
    if (flag !== 'true' && flag !== 'false') {
      throw new Error(
        `-c alarms=${JSON.stringify(alarms).replace(/"/g, "'")} is not valid: use -c alarms=true or -c alarms=false`,
      );
    }
    const signIn = String(scope.node.tryGetContext('signIn') ?? 'true').toLowerCase();
    if (signIn !== 'true' && signIn !== 'false') {
      throw new Error(`-c signIn=${signIn} is not valid: use -c signIn=true or -c signIn=false`);
    }
    return {
      transport: transport === undefined ? ChatTransport.BOTH : ChatTransport.of(String(transport)),
      alarms: flag === 'true',
      signIn: signIn === 'true',
    };
  }

  public constructor(scope: Construct, id: string, props: ChatStackProps = {}) {
    super(scope, id, props);
    const transport = props.transport ?? ChatTransport.BOTH;
    const bundle = transport.native ? HandlerBundle.CHAT : HandlerBundle.CHAT_GRIP;
    this.handler = new HandlerFunction(this, 'Chat', { bundle });
    const limits = { throttlingRateLimit: THROTTLING.rate, throttlingBurstLimit: THROTTLING.burst };
    const signIn = props.signIn === false ? undefined : this.defineSignIn(props);
    this.userPool = signIn?.pool;
    this.userPoolClient = signIn?.client;
    const auth = signIn?.auth;
    this.gripApi = transport.grip
      ? new GripApi(this, 'GripApi', { handler: this.handler, gripSettings: props.gripSettings, auth, ...limits })
      : undefined;
    this.nativeWebSocketApi = transport.native
      ? new NativeWebSocketApi(this, 'NativeApi', { handler: this.handler, auth, ...limits })
      : undefined;
    if (props.privateChannels !== undefined) {
      claimEnvironment(this.handler, this.node.path, {
        [Env.PRIVATE_CHANNELS]: JSON.stringify(props.privateChannels),
      });
    }
    this.channelLog =
      props.durable === false
        ? undefined
        : new ChannelLogTable(this, 'ChannelLog', { removalPolicy: RemovalPolicy.DESTROY });
    this.channelLog?.addPublisher(this.handler);
    this.presence = props.durable === false ? undefined : new PresenceTable(this, 'Presence');
    this.presence?.addMember(this.handler);
    this.alarms = props.alarms
      ? new TransportAlarms(this, 'Alarms', { gripApi: this.gripApi, nativeWebSocketApi: this.nativeWebSocketApi })
      : undefined;
  }

  /** The user pool (given, or a new one with the page's client) and the check of its ID tokens. */
  private defineSignIn(props: ChatStackProps): {
    pool: cognito.IUserPool;
    client?: cognito.IUserPoolClient;
    auth: WebSocketAuth;
  } {
    if (props.userPool !== undefined) {
      if (!props.userPoolClients?.length) {
        throw new Error(
          'ChatStack: with an existing userPool, give userPoolClients (the app clients of the chat page)',
        );
      }
      const auth = WebSocketAuth.cognito({ userPool: props.userPool, userPoolClients: props.userPoolClients });
      return { pool: props.userPool, auth };
    }
    const pool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const client = pool.addClient('ChatPage', {
      generateSecret: false,
      authFlows: { userSrp: true },
      idTokenValidity: Duration.hours(1),
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls ?? ['http://localhost:8080/'],
      },
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional so a chat demo can be tried with a password; enable it (Mfa.REQUIRED) for real users',
    });
    new CfnOutput(this, 'UserPoolId', { value: pool.userPoolId, description: 'the chat users sign in to' });
    new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId, description: "the chat page's client" });
    return { pool, client, auth: WebSocketAuth.cognito({ userPool: pool, userPoolClients: [client] }) };
  }
}
