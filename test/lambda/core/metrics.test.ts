import { DEFAULT_METRICS_NAMESPACE, Env, MetricName } from '../../../lambda/contract';
import { countMetric, flushMetrics } from '../../../lambda/core/metrics';
import { setEnv } from '../../helpers/grip-events';

function captureStdout(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

test('writes the counts of an invocation as one EMF line, summed, with the service dimension', () => {
  const restore = setEnv({
    POWERTOOLS_METRICS_DISABLED: 'false',
    [Env.METRICS_NAMESPACE]: undefined,
    AWS_LAMBDA_FUNCTION_NAME: 'chat-fn',
  });
  const out = captureStdout();

  countMetric(MetricName.PUBLISH_ERRORS);
  countMetric(MetricName.PUBLISH_ERRORS, 2);
  countMetric(MetricName.SIGNATURE_REJECTED);
  flushMetrics();
  flushMetrics();
  out.restore();
  restore();

  expect(out.lines).toHaveLength(1);
  const emf = JSON.parse(out.lines[0]);
  expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe(DEFAULT_METRICS_NAMESPACE);
  expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
  expect(emf).toMatchObject({ service: 'chat-fn', PublishErrors: 3, SignatureRejected: 1 });
});

test('is silent under jest unless asked, and when Powertools is told to be', () => {
  const out = captureStdout();
  const restore = setEnv({ POWERTOOLS_METRICS_DISABLED: undefined, POWERTOOLS_DEV: undefined });
  countMetric(MetricName.HANDLER_ERRORS);
  flushMetrics();
  restore();

  const restoreDisabled = setEnv({ POWERTOOLS_METRICS_DISABLED: 'true' });
  countMetric(MetricName.HANDLER_ERRORS);
  flushMetrics();
  restoreDisabled();
  out.restore();

  expect(out.lines.filter((line) => line.includes('HandlerErrors'))).toEqual([]);
});
