import { Env } from '../../../lambda/contract';
import { GripConfigError } from '../../../lambda/core/errors';
import { DEFAULT_FANOUT_CONCURRENCY, RuntimeSettings, runtimeSettings } from '../../../lambda/core/settings';
import { setEnv } from '../../helpers/grip-events';

test('the container keeps one settings object while the environment keeps its values, and reads again when one changes', () => {
  const restore = setEnv({ [Env.MESSAGE_RATE]: '10', [Env.MESSAGE_BURST]: '20' });
  try {
    const first = runtimeSettings();
    expect(runtimeSettings()).toBe(first);
    expect(first.messageRate).toEqual({ perSecond: 10, burst: 20 });

    process.env[Env.MESSAGE_RATE] = 'off';
    expect(runtimeSettings()).not.toBe(first);
    expect(runtimeSettings().messageRate).toBeUndefined();
  } finally {
    restore();
  }
});

test('defaults: 50 messages/s in bursts of 500, flow control auto, fan-out 50, namespace FaasGrip, log level info', () => {
  const settings = new RuntimeSettings({});

  expect(settings.messageRate).toEqual({ perSecond: 50, burst: 500 });
  expect(settings.flowControl).toBe('auto');
  expect(settings.fanOutConcurrency).toBe(DEFAULT_FANOUT_CONCURRENCY);
  expect(settings.metricsNamespace).toBe('FaasGrip');
  expect(settings.logLevel).toBe('info');
  expect(settings.gripConfigured).toBe(false);
  expect(settings.connectionTable).toBeUndefined();
});

test.each([
  [{ [Env.MESSAGE_RATE]: 'fast' }, (s: RuntimeSettings) => s.messageRate, /FAAS_GRIP_MESSAGE_RATE is "fast"/],
  [{ [Env.MESSAGE_BURST]: '2.5' }, (s: RuntimeSettings) => s.messageRate, /FAAS_GRIP_MESSAGE_BURST is "2.5"/],
  [{ [Env.FLOW_CONTROL]: 'maybe' }, (s: RuntimeSettings) => s.flowControl, /FAAS_GRIP_FLOW_CONTROL is "maybe"/],
  [{ [Env.FANOUT_CONCURRENCY]: '0' }, (s: RuntimeSettings) => s.fanOutConcurrency, /"0" is not a positive integer/],
])('an invalid value is a GripConfigError naming the variable: %j', (env, read, message) => {
  const settings = new RuntimeSettings(env);

  expect(() => read(settings)).toThrow(GripConfigError);
  expect(() => read(settings)).toThrow(message);
});

test('an invalid native setting fails only where it is used: the GRIP settings still read', () => {
  const settings = new RuntimeSettings({ [Env.FANOUT_CONCURRENCY]: 'many', [Env.GRIP_URL]: 'http://proxy/' });

  expect(settings.gripConfigured).toBe(true);
  expect(settings.messageRate).toEqual({ perSecond: 50, burst: 500 });
  expect(() => settings.fanOutConcurrency).toThrow(GripConfigError);
});

test('blank values count as unset, and an unknown log level as info', () => {
  const settings = new RuntimeSettings({ [Env.CONNECTION_TABLE]: '  ', LOG_LEVEL: 'chatty', [Env.GRIP_URL]: ' ' });

  expect(settings.connectionTable).toBeUndefined();
  expect(settings.gripConfigured).toBe(false);
  expect(settings.logLevel).toBe('info');
});
