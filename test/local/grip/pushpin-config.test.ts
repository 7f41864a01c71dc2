import { GripConfigError } from '../../../lambda/core/errors';
import { PROBE_HOST, pushpinConf, pushpinRoutes } from '../../../local/grip/pushpin-config';

const input = {
  runDir: '/tmp/x/run',
  logDir: '/tmp/x/log',
  sigIss: 'pushpin',
  sigKey: 'k;e=y,1',
  logLevel: 1,
};

describe('pushpinConf', () => {
  it('binds no TCP port but the client port, starts zurl itself and sets no publish rate limits', () => {
    const conf = pushpinConf(input);
    expect(conf).toContain('services=condure,zurl,pushpin-proxy,pushpin-handler');
    expect(conf).toContain('zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in');
    expect(conf).not.toMatch(/push_in_http|tcp:/);
    expect(conf).toContain('push_in_spec=ipc://{rundir}/pushpin-push-in');
    expect(conf).toContain('push_in_sub_specs=ipc://{rundir}/{ipc_prefix}push-in-sub');
    expect(conf).toContain('command_spec=ipc://{rundir}/{ipc_prefix}command');
    expect(conf).toContain('ipc_file_mode=600');
    expect(conf).toContain('rundir=/tmp/x/run');
    expect(conf).not.toMatch(/message_rate|message_hwm/);
  });

  it('writes the signing key as base64 so any characters survive the INI format', () => {
    expect(pushpinConf(input)).toContain(`sig_key=base64:${Buffer.from('k;e=y,1').toString('base64')}`);
  });

  it('fails on an issuer the config cannot carry', () => {
    expect(() => pushpinConf({ ...input, sigIss: 'a,b' })).toThrow(GripConfigError);
  });
});

describe('pushpinRoutes', () => {
  it('routes the probe host to the probe backend and everything else to the target, both over HTTP', () => {
    expect(pushpinRoutes('127.0.0.1:9000', 4001)).toBe(
      `${PROBE_HOST} 127.0.0.1:4001,over_http\n* 127.0.0.1:9000,over_http\n`,
    );
  });

  it('adds path rewriting and the Host header to send', () => {
    const routes = pushpinRoutes('127.0.0.1:9000', 4001, {
      pathBeg: '/ws',
      replaceBeg: '/prod/ws',
      host: '127.0.0.1:9000',
    });
    expect(routes.split('\n')[1]).toBe(
      '*,path_beg=/ws,replace_beg=/prod/ws 127.0.0.1:9000,over_http,host=127.0.0.1:9000',
    );
  });

  it('fails on a target with spaces or commas', () => {
    expect(() => pushpinRoutes('127.0.0.1:9000,ssl', 4001)).toThrow(GripConfigError);
  });
});
