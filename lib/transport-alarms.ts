import { Duration, Names } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { MetricName } from '../lambda/contract';
import type { GripApi } from './grip-api';
import type { NativeWebSocketApi } from './native-websocket-api';
import { runtimeMetric } from './private/runtime-metric';

/** Properties of {@link TransportAlarms}. */
export interface TransportAlarmsProps {
  /**
   * The GRIP origin to watch.
   *
   * @default - no GRIP alarms
   */
  readonly gripApi?: GripApi;

  /**
   * The native WebSocket API to watch.
   *
   * @default - no native alarms
   */
  readonly nativeWebSocketApi?: NativeWebSocketApi;

  /**
   * What to do when an alarm fires (an SNS topic action, for example).
   *
   * @default - the alarms only change state
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/**
 * Defines alarms for what breaks realtime delivery: API Gateway 5xx and Lambda throttles (either makes a GRIP
 * proxy drop sockets), rejected Grip-Sig signatures (a wrong verify key), failed publishes and failed fan-outs.
 * Each alarm fires on the sum over 5 minutes; missing data counts as fine.
 *
 * Every function that publishes through the APIs (given `grantPublish` or `addPublisher`) is watched too: its
 * throttles, and its failed publishes (GRIP) or failed fan-outs (native), since the runtime counts them under the
 * function that published. Define the alarms after the last such call: a publisher added later fails the synth.
 */
export class TransportAlarms extends Construct {
  /** Every alarm defined. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  private readonly actions: readonly cloudwatch.IAlarmAction[];
  private readonly throttled = new Set<lambda.IFunction>();

  public constructor(scope: Construct, id: string, props: TransportAlarmsProps = {}) {
    super(scope, id);
    if (props.gripApi === undefined && props.nativeWebSocketApi === undefined) {
      throw new Error('TransportAlarms needs something to watch: pass gripApi, nativeWebSocketApi or both');
    }
    this.actions = props.alarmActions ?? [];
    const grip = props.gripApi;
    if (grip !== undefined) {
      const group = new Construct(this, 'Grip');
      this.alarm(group, 'ServerErrors', grip.restApi.metricServerError(), 1, 'GRIP origin answered with 5xx');
      this.throttles(group, grip.handler);
      this.alarm(group, 'SignatureRejected', grip.metricSignatureRejected(), 5, 'requests with a bad Grip-Sig');
      this.alarm(group, 'PublishErrors', grip.metricPublishErrors(), 1, 'publishes a proxy refused');
      this.watchPublishers(group, grip, MetricName.PUBLISH_ERRORS, 'publishes a proxy refused');
    }
    const native = props.nativeWebSocketApi;
    if (native !== undefined) {
      const group = new Construct(this, 'Native');
      const executionErrors = native.webSocketApi.metric('ExecutionError', { statistic: cloudwatch.Stats.SUM });
      this.alarm(group, 'ExecutionErrors', executionErrors, 1, 'WebSocket API could not call its integration');
      this.throttles(group, native.handler);
      this.alarm(group, 'FanOutFailed', native.metricFanOutFailed(), 1, 'fan-out deliveries failed after retries');
      this.alarm(
        group,
        'DeadLetters',
        native.metricDeadLetters({ statistic: cloudwatch.Stats.MAXIMUM }),
        1,
        'fan-out shards (or pending deliveries) that failed every retry wait in the dead-letter queue',
      );
      this.watchPublishers(group, native, MetricName.FANOUT_FAILED, 'fan-out deliveries failed after retries');
    }
  }

  /** Alarms on each publisher other than the API's own function, and refuses to synth if one comes later. */
  private watchPublishers(group: Construct, api: GripApi | NativeWebSocketApi, metricName: string, what: string): void {
    const watched = api.publishers;
    for (const fn of watched.filter((f) => f !== api.handler)) {
      const publisher = new Construct(group, Names.uniqueId(fn));
      const metric = runtimeMetric(api.metricsNamespace, fn, metricName);
      this.alarm(publisher, metricName, metric, 1, `${what} (publisher ${fn.node.path})`);
      this.throttles(publisher, fn);
    }
    this.node.addValidation({
      validate: () =>
        api.publishers
          .filter((fn) => !watched.includes(fn))
          .map(
            (fn) =>
              `${fn.node.path} publishes through ${api.node.path} but was given grantPublish after ` +
              `${this.node.path} was defined, so no alarm watches it: define TransportAlarms after the last ` +
              'grantPublish or addPublisher',
          ),
    });
  }

  private throttles(group: Construct, fn: lambda.IFunction): void {
    if (this.throttled.has(fn)) {
      return;
    }
    this.throttled.add(fn);
    this.alarm(group, 'HandlerThrottles', fn.metricThrottles({ statistic: cloudwatch.Stats.SUM }), 1, 'throttled');
  }

  private alarm(group: Construct, id: string, metric: cloudwatch.IMetric, threshold: number, what: string): void {
    const alarm = new cloudwatch.Alarm(group, id, {
      metric: withPeriod(metric),
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `faas-grip-cdk: ${what} (at least ${threshold} in 5 minutes)`,
    });
    alarm.addAlarmAction(...this.actions);
    this.alarms.push(alarm);
  }
}

function withPeriod(metric: cloudwatch.IMetric): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric ? metric.with({ period: Duration.minutes(5) }) : metric;
}
