import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The dimension the runtime puts on every metric it emits: Powertools' `service` dimension, set to the name of
 * the function that emitted it (so two stacks in one account never mix their numbers).
 */
export const SERVICE_DIMENSION = 'service';

/** A metric the runtime emits in Embedded Metric Format, as a `Sum` over 5 minutes unless told otherwise. */
export function runtimeMetric(
  namespace: string,
  fn: lambda.IFunction,
  metricName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...options,
    namespace,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: fn.functionName, ...options.dimensionsMap },
  });
}
