import { InvalidValueError } from '../../../lambda/core/errors';
import {
  formatServerSentEvent,
  gripChannelHeader,
  holdEventStream,
  holdResponse,
  holdStream,
  keepAliveHeader,
  nextLinkHeader,
} from '../../../lambda/grip/hold';

describe('holds', () => {
  test('holdStream sends the initial body and subscribes', () => {
    expect(holdStream({ channels: ['news'], body: 'stream open\n' })).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': 'news' },
      body: 'stream open\n',
    });
  });

  test('holdEventStream is a Server-Sent Events stream with keep-alives', () => {
    const result = holdEventStream({ channels: ['feed'], keepAlive: { content: ':\n\n', timeout: 20 } });

    expect(result.headers).toEqual({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'Grip-Hold': 'stream',
      'Grip-Channel': 'feed',
      'Grip-Keep-Alive': `${Buffer.from(':\n\n').toString('base64')}; format=base64; timeout=20`,
    });
    expect(result.body).toBe('');
  });

  test('holdResponse sets timeout, next link and the timeout body; caller headers replace defaults', () => {
    const result = holdResponse({
      channels: [{ name: 'poll', prevId: '41', filters: ['skip-self'] }, 'other'],
      timeout: 20,
      body: 'request timed out\n',
      headers: { 'content-type': 'application/json' },
      nextLink: { uri: '/poll?after=41', timeout: 30 },
    });

    expect(result).toEqual({
      statusCode: 200,
      headers: {
        'content-type': 'application/json',
        'Grip-Hold': 'response',
        'Grip-Channel': 'poll; prev-id=41; filter=skip-self, other',
        'Grip-Link': '</poll?after=41>; rel=next; timeout=30',
        'Grip-Timeout': '20',
      },
      body: 'request timed out\n',
    });
  });

  test('holdResponse refuses a timeout below Pushpin minimum of 5 s', () => {
    expect(() => holdResponse({ channels: ['c'], timeout: 4 })).toThrow(/at least 5/);
    expect(() => holdResponse({ channels: ['c'], timeout: 5.5 })).toThrow(InvalidValueError);
    expect(holdResponse({ channels: ['c'], timeout: 5 }).headers['Grip-Timeout']).toBe('5');
  });

  test('holds refuse bad headers and status codes', () => {
    expect(() => holdStream({ channels: ['c'], headers: { 'X-A': 'a\nb' } })).toThrow(InvalidValueError);
    expect(() => holdStream({ channels: ['c'], statusCode: 101 })).toThrow(/hold status 101/);
  });
});

describe('gripChannelHeader', () => {
  test('refuses names the header cannot carry', () => {
    for (const name of ['', 'a,b', 'a;b', 'a"b', 'a\r\nb', ' a']) {
      expect(() => gripChannelHeader([name])).toThrow(InvalidValueError);
    }
    expect(() => gripChannelHeader([])).toThrow(/at least one channel/);
    expect(() => gripChannelHeader([{ name: 'c', prevId: 'x;y' }])).toThrow(/prev-id/);
  });
});

describe('keepAliveHeader', () => {
  test('sends plain printable data raw', () => {
    expect(keepAliveHeader({ content: 'ping', timeout: 30, mode: 'interval' })).toBe(
      'ping; format=raw; timeout=30; mode=interval',
    );
    expect(keepAliveHeader({ content: 'a b' })).toBe('a b; format=raw');
  });

  test('base64-encodes data Pushpin would mangle', () => {
    for (const content of ['a\tb', 'a; b', ' a', 'a ', 'a\\b', 'é', '\n']) {
      expect(keepAliveHeader({ content })).toBe(`${Buffer.from(content).toString('base64')}; format=base64`);
    }
    expect(keepAliveHeader({ content: new Uint8Array([0x70]) })).toBe('cA==; format=base64');
  });

  test('refuses empty data and bad timeouts or modes', () => {
    expect(() => keepAliveHeader({ content: '' })).toThrow(/empty/);
    expect(() => keepAliveHeader({ content: 'x', timeout: 0 })).toThrow(InvalidValueError);
    expect(() => keepAliveHeader({ content: 'x', mode: 'often' as 'idle' })).toThrow(/mode 'often'/);
  });
});

describe('nextLinkHeader', () => {
  test('formats and validates the link', () => {
    expect(nextLinkHeader({ uri: 'https://h/next' })).toBe('<https://h/next>; rel=next');
    expect(() => nextLinkHeader({ uri: '/a b' })).toThrow(InvalidValueError);
    expect(() => nextLinkHeader({ uri: '/a>' })).toThrow(InvalidValueError);
  });
});

describe('formatServerSentEvent', () => {
  test('formats fields and splits data lines', () => {
    expect(formatServerSentEvent({ data: 'hello' })).toBe('data: hello\n\n');
    expect(formatServerSentEvent({ event: 'msg', id: '7', retry: 1000, data: 'a\nb\r\nc' })).toBe(
      'event: msg\nid: 7\nretry: 1000\ndata: a\ndata: b\ndata: c\n\n',
    );
  });

  test('refuses fields that would break the event', () => {
    expect(() => formatServerSentEvent({ event: 'a\nb', data: '' })).toThrow(InvalidValueError);
    expect(() => formatServerSentEvent({ id: 'a\rb', data: '' })).toThrow(InvalidValueError);
    expect(() => formatServerSentEvent({ retry: -1, data: '' })).toThrow(InvalidValueError);
  });
});
