import { Annotations, Names, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Env, MetricName, WEBSOCKET_EVENTS_CONTENT_TYPE } from '../lambda/contract';
import type { CustomDomain } from './custom-domain';
import { GripSettings, type GripSettingsBinding } from './grip-settings';
import { HandlerBundle } from './handler-function';
import { claimEnvironment } from './private/environment';
import { acknowledgeNoAccessLogs, acknowledgeStageDefaults } from './private/nag';
import { defineOriginOutputs, pushpinRouteOf } from './private/origin-outputs';
import { TransportApiCore } from './private/transport-api';
import { checkChannelPrefix } from './private/validate';
import type { WebSocketAuth } from './websocket-auth';

/** Properties of a {@link GripApi}. */
export interface GripApiProps {
  /**
   * The function that answers the proxy. It gets the GRIP settings in its environment and read access to them.
   *
   * @default - a function running the package's chat handler built for GRIP only (`HandlerBundle.CHAT_GRIP`)
   */
  readonly handler?: lambda.Function;

  /**
   * Where the runtime finds the GRIP_URL (control URI, publish key, verify key).
   *
   * @default GripSettings.newSecret()
   */
  readonly gripSettings?: GripSettings;

  /**
   * Whether every request's Grip-Sig is verified before the handler's code runs. Turning it off lets anyone who
   * finds the API's URL act as the proxy, and warns at synth.
   *
   * @default true
   */
  readonly verifySignature?: boolean;

  /**
   * Who may connect, checked before the handler's code runs: `WebSocketAuth.cognito(...)` or
   * `WebSocketAuth.oidc(...)` (a JWT in the handshake; the user is `ws.user` on every event). Needs
   * `verifySignature` (the proxy's signature is what vouches for the user on later requests).
   *
   * @default - no check: anyone who reaches the proxy can connect
   */
  readonly auth?: WebSocketAuth;

  /**
   * A prefix added to every channel name on publish and subscribe (GRIP_PREFIX). Like channel names, it cannot
   * contain control characters, comma, semicolon or double quote.
   *
   * @default - no prefix
   */
  readonly channelPrefix?: string;

  /**
   * The CloudWatch namespace of the runtime's metrics: 1 to 255 letters, digits, spaces and `. - _ / # :`, not
   * beginning with `:` or `AWS/`.
   *
   * @default 'FaasGrip'
   */
  readonly metricsNamespace?: string;

  /**
   * The API's endpoint type. A regional endpoint avoids a CloudFront hop between the proxy and the API.
   * `PRIVATE` is not supported (it needs a resource policy and a VPC endpoint).
   *
   * @default apigateway.EndpointType.REGIONAL
   */
  readonly endpointType?: apigateway.EndpointType;

  /**
   * The name of the deployment stage; it is the path prefix of the execute-api URL. 1 to 128 letters, digits,
   * `-` and `_`.
   *
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Steady-state request rate limit of the stage, in requests per second (0 or more, fractions allowed). Every
   * WebSocket message is a request.
   *
   * @default - the account's limit
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst limit of the stage, in requests (a whole number, 0 or more).
   *
   * @default - the account's limit
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Where the stage writes access logs (JSON). API Gateway needs the account's CloudWatch role for this, which
   * this construct never defines.
   *
   * @default - no access logs
   */
  readonly accessLogDestination?: apigateway.IAccessLogDestination;

  /**
   * A custom domain to serve the origin on; the outputs then name it instead of the execute-api host.
   *
   * @default - the API's own execute-api host, under the stage's path
   */
  readonly customDomain?: CustomDomain;
}

/**
 * Defines the origin a GRIP proxy (Fanout Cloud, Fastly Fanout, Pushpin) forwards to: a REST API with
 * `application/websocket-events` as a binary media type and a Lambda proxy integration on `/` and `/{proxy+}`.
 *
 * The outputs give what the proxy's origin settings need: host, port 443 with TLS, the Host header, the path
 * prefix, a ready Pushpin route line and the Fastly backend settings.
 */
export class GripApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigateway.LambdaRestApi;
  /** The function behind the API. */
  public readonly handler: lambda.Function;
  /** The secret holding the GRIP settings, unless they were given as a plain URL. */
  public readonly gripSecret?: secretsmanager.ISecret;
  /** The host the proxy connects to (port 443, TLS) and sends as `Host`. */
  public readonly originHost: string;
  /** The path prefix the proxy must put before the client's path (`''` when none). */
  public readonly originPathPrefix: string;
  /** A Pushpin routes-file line forwarding every request to this origin. */
  public readonly pushpinRoute: string;
  /** The CloudWatch namespace of the runtime's metrics. */
  public readonly metricsNamespace: string;

  private readonly core: TransportApiCore;
  private readonly binding: GripSettingsBinding;
  private readonly channelPrefix?: string;

  public constructor(scope: Construct, id: string, props: GripApiProps = {}) {
    super(scope, id);
    checkChannelPrefix(props.channelPrefix);
    const endpointType = props.endpointType ?? apigateway.EndpointType.REGIONAL;
    if (endpointType === apigateway.EndpointType.PRIVATE) {
      throw new Error(
        'endpointType PRIVATE is not valid: a private API needs a resource policy and a VPC endpoint, which GripApi ' +
          'does not define. Use REGIONAL or EDGE',
      );
    }
    this.core = new TransportApiCore(this, props, { defaultBundle: HandlerBundle.CHAT_GRIP, unit: 'requests' });
    const { stageName } = this.core;
    this.metricsNamespace = this.core.metricsNamespace;
    this.handler = this.core.handler;
    this.channelPrefix = props.channelPrefix;
    this.binding = (props.gripSettings ?? GripSettings.newSecret()).bind(this);
    this.gripSecret = this.binding.secret;
    this.addPublisher(this.handler);
    const verify = props.verifySignature ?? true;
    claimEnvironment(this.handler, this.node.path, verify ? {} : { [Env.GRIP_SIG_VERIFY]: 'off' });
    if (props.auth !== undefined) {
      const environment = props.auth.bindEnvironment(this);
      if (environment === undefined) {
        throw new Error(
          'GripApi: WebSocketAuth.sharedToken needs an API Gateway WebSocket authorizer (NativeWebSocketApi); ' +
            'use WebSocketAuth.cognito or WebSocketAuth.oidc with GripApi',
        );
      }
      if (!verify) {
        throw new Error(
          'GripApi: auth needs verifySignature: without the proxy signature anyone could pose as the proxy and name ' +
            'any user',
        );
      }
      claimEnvironment(this.handler, this.node.path, environment);
    }
    if (!verify) {
      Annotations.of(this).addWarningV2(
        'faas-grip-cdk:signatureVerificationOff',
        'verifySignature is false: anyone who finds the API URL can act as the GRIP proxy. Keep it on in production',
      );
    }

    this.restApi = new apigateway.LambdaRestApi(this, 'Resource', {
      restApiName: Names.uniqueResourceName(this, {}),
      handler: this.handler,
      proxy: true,
      integrationOptions: { allowTestInvoke: false },
      cloudWatchRole: false,
      endpointTypes: [endpointType],
      binaryMediaTypes: [WEBSOCKET_EVENTS_CONTENT_TYPE],
      description: 'GRIP origin (WebSocket-over-HTTP, HTTP streaming and long-polling) defined by faas-grip-cdk',
      deployOptions: {
        stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: props.accessLogDestination,
        accessLogFormat: props.accessLogDestination && apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });

    const origin = props.customDomain?.bind(this, this.restApi) ?? {
      host: `${this.restApi.restApiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`,
      pathPrefix: `/${stageName}`,
    };
    this.originHost = origin.host;
    this.originPathPrefix = origin.pathPrefix;
    this.pushpinRoute = pushpinRouteOf(origin);
    defineOriginOutputs(this, origin);
    this.acknowledgeFindings(verify, props.accessLogDestination !== undefined);
    acknowledgeStageDefaults(this.restApi, { rest: true, throttled: this.core.throttled });
  }

  /**
   * Lets `grantee` read the GRIP settings: read access to the secret, nothing else (its environment is left
   * alone; {@link addPublisher} sets it too). With settings from a plain URL there is nothing to grant, and the
   * returned grant is a dropped one. A Lambda function given this counts as a publisher for `TransportAlarms`.
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    this.core.recordPublisher(grantee);
    return this.binding.secret?.grantRead(grantee) ?? iam.Grant.drop(grantee, 'read the GRIP settings from env');
  }

  /**
   * Makes `fn` a publisher through this API: sets the environment that points the runtime at the GRIP settings
   * (`GRIP_SECRET_ARN` or `GRIP_URL`, the channel prefix, the metrics namespace), then {@link grantPublish}.
   * Works for a `HandlerFunction` as for any `lambda.Function`; the API's own function gets the same.
   */
  public addPublisher(fn: lambda.Function): iam.Grant {
    return this.core.addPublisher(fn, this.node.path, this.publishEnvironment(), (f) => this.grantPublish(f));
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

  /** Requests refused because their Grip-Sig was missing or invalid (a wrong verify key shows up here). */
  public metricSignatureRejected(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.SIGNATURE_REJECTED, options);
  }

  /** Publishes that failed on at least one proxy. */
  public metricPublishErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.PUBLISH_ERRORS, options);
  }

  /** WebSocket messages handed to the handler's code. */
  public metricMessagesHandled(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.MESSAGES_HANDLED, options);
  }

  /** Errors thrown by the handler's code. */
  public metricHandlerErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.HANDLER_ERRORS, options);
  }

  private publishEnvironment(): Record<string, string> {
    return {
      ...this.binding.environment,
      ...(this.channelPrefix === undefined ? {} : { [Env.GRIP_PREFIX]: this.channelPrefix }),
      [Env.METRICS_NAMESPACE]: this.metricsNamespace,
    };
  }

  private acknowledgeFindings(verify: boolean, accessLogs: boolean): void {
    const api = Validations.of(this.restApi);
    api.acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'bodies are WebSocket-over-HTTP frames, which no request model describes; the function decodes them strictly',
    });
    api.acknowledge({
      id: 'AwsSolutions-APIG6',
      reason:
        'execution logging needs the account-wide API Gateway CloudWatch role, which this construct never defines, ' +
        'and would write Grip-Sig headers to the logs',
    });
    if (verify) {
      const reason =
        'the caller is the GRIP proxy, not end users: the function verifies every request Grip-Sig before any ' +
        'handler code runs; end-user authentication belongs to the handler';
      api.acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
    }
    if (!accessLogs) {
      acknowledgeNoAccessLogs(this.restApi);
    }
  }
}
