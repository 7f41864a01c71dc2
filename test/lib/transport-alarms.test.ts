import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { MetricName } from '../../lambda/contract';
import { GripApi, HandlerFunction, NativeWebSocketApi, TransportAlarms } from '../../lib';

function ownFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
}

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
    expect(Object.keys(byMetric).sort()).toEqual(
      ['ApproximateNumberOfMessagesVisible', 'ExecutionError', MetricName.FANOUT_FAILED, 'Throttles'].sort(),
    );
    expect(byMetric.ApproximateNumberOfMessagesVisible).toMatchObject({ Namespace: 'AWS/SQS' });
    expect(byMetric.ExecutionError).toMatchObject({ Namespace: 'AWS/ApiGateway' });
  });

  test('both transports on one function: one throttle alarm', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const handler = new HandlerFunction(stack, 'Chat');
    const gripApi = new GripApi(stack, 'Grip', { handler });
    const nativeWebSocketApi = new NativeWebSocketApi(stack, 'Ws', { handler });

    // WHEN
    const alarms = new TransportAlarms(stack, 'Alarms', { gripApi, nativeWebSocketApi });

    // THEN
    expect(alarms.alarms).toHaveLength(7);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' }, 1);
  });

  test('publishers: functions given grantPublish get their own publish, fan-out and throttle alarms', () => {
    // GIVEN one function publishing on both transports and one on GRIP only
    const stack = new Stack(new App(), 'Test');
    const gripApi = new GripApi(stack, 'Grip');
    const nativeWebSocketApi = new NativeWebSocketApi(stack, 'Ws');
    const both = ownFunction(stack, 'Both');
    const gripOnly = ownFunction(stack, 'GripOnly');
    gripApi.grantPublish(both);
    nativeWebSocketApi.grantPublish(both);
    gripApi.grantPublish(gripOnly);

    // WHEN
    const alarms = new TransportAlarms(stack, 'Alarms', { gripApi, nativeWebSocketApi });

    // THEN: 4 + 4 of the APIs' handlers, then PublishErrors x2, FanOutFailed x1 and Throttles x2 of the publishers
    expect(alarms.alarms).toHaveLength(13);
    // the runtime's metrics carry the function in `service`, Lambda's own in `FunctionName`
    const watched = (fn: lambda.Function) => {
      const ref = { Ref: stack.getLogicalId(fn.node.defaultChild as CfnElement) };
      return Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))
        .filter((a) => JSON.stringify(a.Properties.Dimensions?.[0]?.Value) === JSON.stringify(ref))
        .map((a) => a.Properties.MetricName)
        .sort();
    };
    expect(watched(both)).toEqual([MetricName.FANOUT_FAILED, MetricName.PUBLISH_ERRORS, 'Throttles']);
    expect(watched(gripOnly)).toEqual([MetricName.PUBLISH_ERRORS, 'Throttles']);
  });

  test('fails at synth: a publisher granted after the alarms were defined, which they would not watch', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Test');
    const gripApi = new GripApi(stack, 'Grip');
    new TransportAlarms(stack, 'Alarms', { gripApi });

    // WHEN
    gripApi.grantPublish(ownFunction(stack, 'Late'));

    // THEN
    expect(() => app.synth()).toThrow(
      /Test\/Late publishes through Test\/Grip but was given grantPublish after Test\/Alarms was defined/,
    );
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
