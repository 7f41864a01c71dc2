/**
 * Counters in CloudWatch Embedded Metric Format (EMF): one JSON line on stdout that CloudWatch Logs turns into
 * metrics (the format AWS documents in "Specification: Embedded metric format"). Written here directly: a line of
 * JSON needs no library, and the handler bundles stay small.
 *
 * Counts are summed in memory and written as one EMF line by {@link flushMetrics}, which
 * `webSocketHandler` calls at the end of every invocation. Namespace: `FAAS_GRIP_METRICS_NAMESPACE`, default
 * `FaasGrip`. Every metric carries one dimension, `service`: the function name (`AWS_LAMBDA_FUNCTION_NAME`, which
 * the constructs' `metricX()` use), else `POWERTOOLS_SERVICE_NAME`, else `faas-grip`.
 *
 * Output is off when `POWERTOOLS_METRICS_DISABLED` is true (or `POWERTOOLS_DEV` is true and
 * `POWERTOOLS_METRICS_DISABLED` is unset), as Powertools documents, and under jest unless one of those two
 * variables is set explicitly.
 */
import type { MetricName } from '../contract';
import { runtimeSettings } from './settings';

/** One of the metric names of the contract (`MetricName`). */
export type RuntimeMetricName = (typeof MetricName)[keyof typeof MetricName];

const pending = new Map<RuntimeMetricName, number>();
/** Metrics of this invocation that are durations (the largest value recorded is kept), not counts. */
const durations = new Set<RuntimeMetricName>();

/** The EMF line of `counts`: every metric a Count (or Milliseconds) under the namespace, with `service`. */
function emfLine(counts: ReadonlyArray<readonly [RuntimeMetricName, number]>): string {
  const settings = runtimeSettings();
  const service = settings.metricsService;
  const directive = {
    Namespace: settings.metricsNamespace,
    Dimensions: [['service']],
    Metrics: counts.map(([name]) => ({ Name: name, Unit: durations.has(name) ? 'Milliseconds' : 'Count' })),
  };
  return JSON.stringify({
    _aws: { Timestamp: Date.now(), CloudWatchMetrics: [directive] },
    service,
    ...Object.fromEntries(counts),
  });
}

/**
 * Adds `value` (default 1) to a counter of this invocation.
 *
 * @example
 * countMetric(MetricName.PUBLISH_ERRORS);
 */
export function countMetric(name: RuntimeMetricName, value = 1): void {
  if (value > 0) {
    pending.set(name, (pending.get(name) ?? 0) + value);
  }
}

/** Records a duration of this invocation, in milliseconds (the largest one recorded is written). */
export function timeMetric(name: RuntimeMetricName, milliseconds: number): void {
  durations.add(name);
  pending.set(name, Math.max(pending.get(name) ?? 0, Math.max(0, Math.round(milliseconds))));
}

/**
 * Writes the counters recorded since the last flush as one EMF line and resets them. Does nothing when
 * nothing was counted; never throws (a metrics failure must not fail the request).
 */
export function flushMetrics(): void {
  if (pending.size === 0) {
    return;
  }
  const counts = [...pending];
  pending.clear();
  if (runtimeSettings().metricsOff) {
    return;
  }
  try {
    process.stdout.write(`${emfLine(counts)}\n`);
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', message: 'metrics flush failed', error: String(error) }));
  }
}
