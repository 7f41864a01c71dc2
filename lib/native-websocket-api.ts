import { CfnOutput, Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Env, MetricName } from '../lambda/contract';
import { ConnectionTable } from './connection-table';
import { HandlerBundle, HandlerFunction } from './handler-function';
import { webSocketAccessLogFormat } from './private/access-logs';
import { claimEnvironment } from './private/environment';
import {
  acknowledgeNoAccessLogs,
  acknowledgeStageDefaults,
  acknowledgeWildcardGrant,
  acknowledgeWildcardResources,
} from './private/nag';
import { TransportApiCore } from './private/transport-api';
import { checkNumber } from './private/validate';
import type { WebSocketAuth } from './websocket-auth';

/** Properties of a {@link NativeWebSocketApi}. */
export interface NativeWebSocketApiProps {
  /**
   * The function behind `$connect`, `$disconnect` and `$default`.
   *
   * @default - a function running the package's chat handler
   */
  readonly handler?: lambda.Function;

  /**
   * The table connections and channel memberships are kept in.
   *
   * @default - a new ConnectionTable
   */
  readonly connectionTable?: ConnectionTable;

  /**
   * The name of the stage; it is the path of the `wss://` URL. 1 to 128 letters, digits, `-` and `_` (a WebSocket
   * stage cannot be `$default`).
   *
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Steady-state message rate limit of the stage, in messages per second (0 or more, fractions allowed).
   *
   * @default - the account's limit
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst limit of the stage, in messages (a whole number, 0 or more).
   *
   * @default - the account's limit
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Who may connect: `WebSocketAuth.cognito(...)` or `WebSocketAuth.oidc(...)` (a JWT in the handshake, checked by
   * the function at `$connect` before its code runs; the user is `ws.user` on every event), or
   * `WebSocketAuth.sharedToken(secret)` (a Lambda authorizer compares the `token` query parameter).
   *
   * @default - no check: anyone can connect
   */
  readonly auth?: WebSocketAuth;

  /**
   * A secret holding a token clients must pass as the `token` query parameter to connect (browsers cannot set
   * headers on a WebSocket). A Lambda authorizer on `$connect` compares the two. Same as
   * `auth: WebSocketAuth.sharedToken(secret)`.
   *
   * @default - no authorizer: anyone can connect
   */
  readonly authorizerTokenSecret?: secretsmanager.ISecret;

  /**
   * How many PostToConnection calls a fan-out keeps in flight. Every call counts against the account's API
   * Gateway request limit (10,000 per second in most regions), shared with all APIs. A whole number from 1 to 1000.
   *
   * @default - the runtime's default
   */
  readonly fanOutConcurrency?: number;

  /**
   * Members above which a publish hands the rest of a channel to shard invocations (asynchronous invocations of
   * the handler, each posting a bounded part of a key range). A whole number >= 1.
   *
   * @default 10000
   */
  readonly fanOutThreshold?: number;

  /**
   * Shard invocations of one big publish running at once: with `fanOutConcurrency` posts in flight each, a big
   * room takes at most `fanOutShards` x `fanOutConcurrency` of the account's API Gateway request rate (10,000 per
   * second, shared by every API of the account and region). A whole number from 1 to 100.
   *
   * @default 3 (150 posts in flight: about 5,000 posts/s at 30 ms each, half the default account rate)
   */
  readonly fanOutShards?: number;

  /**
   * Members one shard invocation posts before it queues the next for the rest of its range. A whole number >= 1.
   *
   * @default 5000 (under 5 s at 30 ms per post and 50 in flight)
   */
  readonly fanOutShardSize?: number;

  /**
   * The CloudWatch namespace of the runtime's metrics: 1 to 255 letters, digits, spaces and `. - _ / # :`, not
   * beginning with `:` or `AWS/`.
   *
   * @default 'FaasGrip'
   */
  readonly metricsNamespace?: string;

  /**
   * Where the stage writes access logs. API Gateway needs the account's CloudWatch role for this, which this
   * construct never defines.
   *
   * @default - no access logs
   */
  readonly accessLogDestination?: apigwv2.IAccessLogDestination;
}

/**
 * Defines an API Gateway WebSocket API whose `$connect`, `$disconnect` and `$default` routes go to one function,
 * with a stage that deploys itself, the connection table, and the function's access to both: the management
 * (callback) URL and the table name come in its environment, never derived from the request's domain.
 */
export class NativeWebSocketApi extends Construct {
  /** The WebSocket API. */
  public readonly webSocketApi: apigwv2.WebSocketApi;
  /** The stage clients connect to. */
  public readonly stage: apigwv2.WebSocketStage;
  /** The connection table. */
  public readonly connectionTable: ConnectionTable;
  /** The function behind the routes. */
  public readonly handler: lambda.Function;
  /** The `$connect` authorizer's function, when a token secret was given. */
  public readonly authorizerFunction?: lambda.Function;
  /** The `wss://` URL clients connect to. */
  public readonly url: string;
  /** The management API endpoint (`https://`) the runtime posts to connections through. */
  public readonly callbackUrl: string;
  /** The CloudWatch namespace of the runtime's metrics. */
  public readonly metricsNamespace: string;
  /**
   * The on-failure destination of the handler's asynchronous invocations: fan-out shards (and deliveries of
   * messages sent during `$connect`) that failed Lambda's two retries, each with its event (channel, message and
   * key range: enough to replay it).
   */
  public readonly deadLetterQueue: sqs.Queue;

  private readonly core: TransportApiCore;
  private readonly concurrency?: number;
  private readonly sharding: Record<string, string>;
  private readonly verifiesTokens: boolean;

  public constructor(scope: Construct, id: string, props: NativeWebSocketApiProps = {}) {
    super(scope, id);
    const { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit } = props;
    checkNumber('fanOutConcurrency', props.fanOutConcurrency, { min: 1, max: 1000, whole: true });
    checkNumber('fanOutThreshold', props.fanOutThreshold, { min: 1, whole: true });
    checkNumber('fanOutShards', props.fanOutShards, { min: 1, max: 100, whole: true });
    checkNumber('fanOutShardSize', props.fanOutShardSize, { min: 1, whole: true });
    this.core = new TransportApiCore(this, props, { defaultBundle: HandlerBundle.CHAT, unit: 'messages' });
    this.concurrency = props.fanOutConcurrency;
    this.sharding = {
      ...(props.fanOutThreshold === undefined ? {} : { [Env.FANOUT_THRESHOLD]: String(props.fanOutThreshold) }),
      ...(props.fanOutShards === undefined ? {} : { [Env.FANOUT_SHARDS]: String(props.fanOutShards) }),
      ...(props.fanOutShardSize === undefined ? {} : { [Env.FANOUT_SHARD_SIZE]: String(props.fanOutShardSize) }),
    };
    this.metricsNamespace = this.core.metricsNamespace;
    this.handler = this.core.handler;
    this.connectionTable = props.connectionTable ?? new ConnectionTable(this, 'ConnectionTable');
    if (props.auth !== undefined && props.authorizerTokenSecret !== undefined) {
      throw new Error('NativeWebSocketApi: give auth or authorizerTokenSecret, not both');
    }
    const sharedSecret = props.authorizerTokenSecret ?? props.auth?.sharedTokenSecret;
    this.authorizerFunction = sharedSecret && this.defineAuthorizer(sharedSecret);
    const tokenEnvironment = props.auth?.bindEnvironment(this);
    this.verifiesTokens = tokenEnvironment !== undefined;
    if (tokenEnvironment !== undefined) claimEnvironment(this.handler, this.node.path, tokenEnvironment);

    this.webSocketApi = new apigwv2.WebSocketApi(this, 'Resource', {
      apiName: Names.uniqueResourceName(this, {}),
      description: 'WebSocket API defined by faas-grip-cdk',
    });
    const integration = (name: string) => new WebSocketLambdaIntegration(name, this.handler);
    const connect = this.webSocketApi.addRoute('$connect', {
      integration: integration('ConnectIntegration'),
      authorizer:
        this.authorizerFunction &&
        new WebSocketLambdaAuthorizer('ConnectAuthorizer', this.authorizerFunction, {
          identitySource: ['route.request.querystring.token'],
        }),
    });
    const disconnect = this.webSocketApi.addRoute('$disconnect', { integration: integration('DisconnectIntegration') });
    const fallback = this.webSocketApi.addRoute('$default', { integration: integration('DefaultIntegration') });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: this.core.stageName,
      autoDeploy: true,
      throttle: this.core.throttled ? { rateLimit, burstLimit } : undefined,
      accessLogSettings: props.accessLogDestination && {
        destination: props.accessLogDestination,
        format: webSocketAccessLogFormat(),
      },
    });
    this.url = this.stage.url;
    this.callbackUrl = this.stage.callbackUrl;

    this.addPublisher(this.handler);
    this.grantSelfInvoke();
    this.deadLetterQueue = this.defineDeadLetters();
    new CfnOutput(this, 'Url', { value: this.url, description: 'WebSocket URL clients connect to' });
    this.acknowledgeFindings(
      connect,
      [disconnect, fallback],
      props.accessLogDestination !== undefined,
      this.core.throttled,
    );
  }

  /**
   * Lets `grantee` publish to this API's connections: post to and delete connections on this stage, and read
   * and write the connection table; nothing else (its environment is left alone; {@link addPublisher} sets it
   * too). A Lambda function given this counts as a publisher for `TransportAlarms`.
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    this.core.recordPublisher(grantee);
    const manage = this.grantManageConnections(grantee);
    acknowledgeWildcardGrant(
      grantee,
      manage,
      'connection ids exist only at run time; the grant is limited to POST and DELETE on the @connections path ' +
        'of this stage',
    );
    return manage.combine(this.connectionTable.grantReadWriteConnections(grantee));
  }

  /**
   * Makes `fn` a publisher to this API's connections: sets the environment the runtime needs (the table name,
   * the stage's management URL, the metrics namespace, the fan-out concurrency when given), then
   * {@link grantPublish}. Works for a `HandlerFunction` as for any `lambda.Function`; the API's own function gets
   * the same.
   */
  public addPublisher(fn: lambda.Function): iam.Grant {
    const environment = {
      [Env.CONNECTION_TABLE]: this.connectionTable.tableName,
      [Env.MANAGEMENT_ENDPOINT]: this.stage.callbackUrl,
      [Env.METRICS_NAMESPACE]: this.metricsNamespace,
      ...(this.concurrency === undefined ? {} : { [Env.FANOUT_CONCURRENCY]: String(this.concurrency) }),
      ...this.sharding,
    };
    return this.core.addPublisher(fn, this.node.path, environment, (f) => this.grantPublish(f));
  }

  /**
   * Every function that publishes through this API, as far as defined: the API's own function first, then each
   * function given {@link addPublisher} or {@link grantPublish}. `TransportAlarms` watches them all.
   */
  public get publishers(): readonly lambda.IFunction[] {
    return this.core.publishers;
  }

  /** A metric the runtime emits from this API's function. */
  public metric(metricName: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.core.metric(metricName, options);
  }

  /** Fan-out deliveries that succeeded. */
  public metricFanOutDelivered(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.FANOUT_DELIVERED, options);
  }

  /** Fan-out deliveries to connections that were gone (their memberships are then removed). */
  public metricFanOutGone(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.FANOUT_GONE, options);
  }

  /** Fan-out deliveries that failed after retries. */
  public metricFanOutFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.FANOUT_FAILED, options);
  }

  /** Errors thrown by the handler's code. */
  public metricHandlerErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.HANDLER_ERRORS, options);
  }

  /**
   * Fan-out shards that Lambda's retries did not get through go to a queue (kept 14 days, encrypted, TLS only),
   * where an alarm of `TransportAlarms` sees them and they can be replayed: each message is the shard's event.
   */
  private defineDeadLetters(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.handler.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(queue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
    for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      Validations.of(queue).acknowledge({
        id,
        reason: 'this queue is itself the dead-letter destination of the handler asynchronous invocations',
      });
    }
    return queue;
  }

  /** Shard invocations that failed Lambda's retries and went to {@link deadLetterQueue}: messages waiting there. */
  public metricDeadLetters(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(options);
  }

  private defineAuthorizer(secret: secretsmanager.ISecret): lambda.Function {
    const fn = new HandlerFunction(this, 'Authorizer', {
      bundle: HandlerBundle.AUTHORIZER,
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: { [Env.AUTHORIZER_TOKEN_SECRET_ARN]: secret.secretArn },
    });
    secret.grantRead(fn);
    return fn;
  }

  /**
   * The management API calls the runtime makes (lambda/native/management.ts), and no other: PostToConnection
   * (`POST`) and DeleteConnection (`DELETE`) on this stage's connections; never GetConnection (`GET`).
   */
  private grantManageConnections(grantee: iam.IGrantable): iam.Grant {
    const connections = (method: string) =>
      Stack.of(this).formatArn({
        service: 'execute-api',
        resource: this.webSocketApi.apiId,
        resourceName: `${this.stage.stageName}/${method}/@connections/*`,
      });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:ManageConnections'],
      resourceArns: [connections('POST'), connections('DELETE')],
    });
  }

  /**
   * Messages sent during `$connect` are delivered by an asynchronous invocation of the same function once the
   * connection exists. The invocation names the version it runs as (lambda/native/pending.ts), so the grant
   * covers the function's qualified ARNs too (`<arn>:*`). The permission lives in its own policy: the function's
   * default policy cannot name the function without a dependency cycle.
   */
  private grantSelfInvoke(): void {
    const role = this.handler.role;
    if (role === undefined) {
      return;
    }
    const resources = [this.handler.functionArn, `${this.handler.functionArn}:*`];
    const policy = new iam.Policy(this, 'SelfInvokePolicy', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources })],
    });
    acknowledgeWildcardResources(
      policy,
      resources,
      'the wildcard is the qualifier only: any version or alias of this one function, which invokes itself as the ' +
        'version it runs as',
    );
  }

  private acknowledgeFindings(
    connect: apigwv2.WebSocketRoute,
    others: readonly apigwv2.WebSocketRoute[],
    accessLogs: boolean,
    throttled: boolean,
  ): void {
    const cognito = 'WebSocket APIs take Lambda or IAM authorizers only, no Cognito user pool authorizer';
    for (const route of [connect, ...others]) {
      Validations.of(route).acknowledge({ id: 'AwsSolutions-COG4', reason: cognito });
    }
    for (const route of others) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'API Gateway authorizes a WebSocket connection once, at $connect; other routes cannot take an authorizer',
      });
    }
    if (this.verifiesTokens) {
      Validations.of(connect).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          "the function verifies the connection's JWT (auth) at $connect before the handler's code runs: API " +
          'Gateway has no JWT authorizer for WebSocket APIs',
      });
    } else if (this.authorizerFunction === undefined) {
      Validations.of(connect).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          "without authorizerTokenSecret the handler's $connect decides who connects: it can refuse the handshake " +
          'after checking the request; pass authorizerTokenSecret to have API Gateway check a token first',
      });
    }
    if (!accessLogs) {
      acknowledgeNoAccessLogs(this.stage);
    }
    acknowledgeStageDefaults(this.stage, { rest: false, throttled: throttled });
  }
}
