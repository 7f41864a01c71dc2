import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DEFAULT_METRICS_NAMESPACE } from '../../lambda/contract';
import { type HandlerBundle, HandlerFunction } from '../handler-function';
import { claimEnvironment } from './environment';
import { runtimeMetric } from './runtime-metric';
import { checkMetricsNamespace, checkNumber, checkStageName } from './validate';

/** The props `GripApi` and `NativeWebSocketApi` share (each documents them in its own terms). */
export interface TransportApiProps {
  readonly handler?: lambda.Function;
  readonly stageName?: string;
  readonly throttlingRateLimit?: number;
  readonly throttlingBurstLimit?: number;
  readonly metricsNamespace?: string;
}

/** How one API differs in what it shares. */
export interface TransportApiOptions {
  /** The handler defined when none is given. */
  readonly defaultBundle: HandlerBundle;
  /** What one request of the API is, in the limits' error messages (`requests`, `messages`). */
  readonly unit: string;
}

/**
 * What `GripApi` and `NativeWebSocketApi` share, composed into each: the checks of their common props, the
 * default handler, the runtime's metrics of a function, and the functions that publish through the API (for
 * `TransportAlarms`), with `addPublisher`'s "set the environment, then grant".
 */
export class TransportApiCore {
  /** The API's own function (given, or the default handler). */
  public readonly handler: lambda.Function;
  /** The CloudWatch namespace of the runtime's metrics. */
  public readonly metricsNamespace: string;
  /** The stage's name. */
  public readonly stageName: string;
  /** Whether the stage has its own throttling limits (else the account's apply). */
  public readonly throttled: boolean;

  private readonly publisherList: lambda.IFunction[] = [];

  /** Checks the shared props (throwing a message naming the prop, the value and what is valid) and applies them. */
  public constructor(scope: Construct, props: TransportApiProps, options: TransportApiOptions) {
    const { throttlingRateLimit: rate, throttlingBurstLimit: burst } = props;
    checkStageName(props.stageName);
    checkNumber('throttlingRateLimit', rate, { min: 0, unit: `${options.unit} per second` });
    checkNumber('throttlingBurstLimit', burst, { min: 0, whole: true, unit: options.unit });
    checkMetricsNamespace(props.metricsNamespace);
    this.stageName = props.stageName ?? 'prod';
    this.throttled = rate !== undefined || burst !== undefined;
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    this.handler = props.handler ?? new HandlerFunction(scope, 'Handler', { bundle: options.defaultBundle });
  }

  /** Every function recorded as publishing through the API, in the order recorded. */
  public get publishers(): readonly lambda.IFunction[] {
    return [...this.publisherList];
  }

  /** Records `grantee` as a publisher when it is a Lambda function (others have no metrics to watch). */
  public recordPublisher(grantee: iam.IGrantable): void {
    if (grantee instanceof lambda.FunctionBase && !this.publisherList.includes(grantee)) {
      this.publisherList.push(grantee);
    }
  }

  /**
   * Sets `environment` on `fn` on behalf of `owner` (refusing to overwrite another API's different value), then
   * grants through `grant`: what `addPublisher` does on either API.
   */
  public addPublisher(
    fn: lambda.Function,
    owner: string,
    environment: Readonly<Record<string, string>>,
    grant: (fn: lambda.Function) => iam.Grant,
  ): iam.Grant {
    claimEnvironment(fn, owner, environment);
    return grant(fn);
  }

  /** A metric the runtime emits from the API's own function. */
  public metric(metricName: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return runtimeMetric(this.metricsNamespace, this.handler, metricName, options);
  }
}
