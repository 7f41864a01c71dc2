import { parseGripUrl } from '../../../lambda/grip/grip-url';
import { buildGripUrl } from '../../../local/grip/grip-url-builder';

describe('buildGripUrl', () => {
  it('builds a URL the runtime parses back to the same issuer and keys', () => {
    const url = buildGripUrl({
      controlUri: 'http://127.0.0.1:5561/',
      iss: 'backend',
      key: 'a+b/c=&d',
      verifyIss: 'pushpin',
      verifyKey: new Uint8Array([0xfb, 0xff, 0x00]),
    });
    expect(url.startsWith('http://127.0.0.1:5561?')).toBe(true);
    const proxy = parseGripUrl(url);
    expect(proxy.controlUri).toBe('http://127.0.0.1:5561');
    expect(proxy.controlIss).toBe('backend');
    expect(Buffer.from(proxy.key ?? []).toString()).toBe('a+b/c=&d');
    expect(proxy.verifyIss).toBe('pushpin');
    expect(proxy.verifyKey?.keyObject.export()).toEqual(Buffer.from([0xfb, 0xff, 0x00]));
  });

  it('leaves out absent parts', () => {
    expect(buildGripUrl({ controlUri: 'http://127.0.0.1:1' })).toBe('http://127.0.0.1:1');
    expect(buildGripUrl({ controlUri: 'http://h:1', verifyIss: 'p', verifyKey: 'k' })).toBe(
      'http://h:1?verify-iss=p&verify-key=k',
    );
  });
});
