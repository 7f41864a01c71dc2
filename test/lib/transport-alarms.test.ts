import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { MetricName } from '../../lambda/contract';
import { GripApi, HandlerFunction, NativeWebSocketApi, TransportAlarms } from '../../lib';

function alarmsByMetric(template: Template): Record<string, Record<string, unknown>> {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  return Object.fromEntries(alarms.map((a) => [a.Properties.MetricName, a.Properties]));
}

describe('TransportAlarms', () => {
  test('gripApi: API Gateway 5xx, Lambda throttles, rejected signatures and publish errors', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const gripApi = new GripApi(stack, 'Grip');

    // WHEN
    const alarms = new TransportAlarms(stack, 'Alarms', { gripApi });

    // THEN
    const template = Template.fromStack(stack);
    expect(alarms.alarms).toHaveLength(4);
    const byMetric = alarmsByMetric(template);
    expect(Object.keys(byMetric).sort()).toEqual(
      ['5XXError', 'Throttles', MetricName.SIGNATURE_REJECTED, MetricName.PUBLISH_ERRORS].sort(),
    );
    expect(byMetric['5XXError']).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 1, Period: 300 });
    expect(byMetric[MetricName.SIGNATURE_REJECTED]).toMatchObject({ Namespace: 'FaasGrip', Threshold: 5 });
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
  });

  test('nativeWebSocketApi: execution errors, throttles and failed fan-outs', () => {
    const stack = new Stack(new App(), 'Test');
    const nativeWebSocketApi = new NativeWebSocketApi(stack, 'Ws');

    new TransportAlarms(stack, 'Alarms', { nativeWebSocketApi });

    const byMetric = alarmsByMetric(Template.fromStack(stack));
    expect(Object.keys(byMetric).sort()).toEqual(['ExecutionError', MetricName.FANOUT_FAILED, 'Throttles'].sort());
    expect(byMetric.ExecutionError).toMatchObject({ Namespace: 'AWS/ApiGateway' });
  });

  test('both transports on one function: one throttle alarm', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const handler = new HandlerFunction(stack, 'Chat').lambdaFunction;
    const gripApi = new GripApi(stack, 'Grip', { handler });
    const nativeWebSocketApi = new NativeWebSocketApi(stack, 'Ws', { handler });

    // WHEN
    const alarms = new TransportAlarms(stack, 'Alarms', { gripApi, nativeWebSocketApi });

    // THEN
    expect(alarms.alarms).toHaveLength(6);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' }, 1);
  });

  test('alarmActions', () => {
    const stack = new Stack(new App(), 'Test');
    const topic = new sns.Topic(stack, 'Topic');

    new TransportAlarms(stack, 'Alarms', {
      nativeWebSocketApi: new NativeWebSocketApi(stack, 'Ws'),
      alarmActions: [new cloudwatchActions.SnsAction(topic)],
    });

    Template.fromStack(stack).allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
  });

  test('fails: nothing to watch', () => {
    expect(() => new TransportAlarms(new Stack(new App(), 'Test'), 'Alarms')).toThrow(/needs something to watch/);
  });
});
