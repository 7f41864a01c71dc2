import { headerMaps, queryMaps } from '../../../local/grip/value-maps';

describe('headerMaps', () => {
  test('keeps the last value of a name and every value in order, names in the case given', () => {
    // GIVEN a header sent twice and one in mixed case
    const pairs: Array<[string, string]> = [
      ['Accept', 'text/html'],
      ['X-Trace', 'a'],
      ['Accept', 'application/json'],
    ];

    // WHEN
    const maps = headerMaps(pairs);

    // THEN
    expect(maps).toEqual({
      headers: { Accept: 'application/json', 'X-Trace': 'a' },
      multiValueHeaders: { Accept: ['text/html', 'application/json'], 'X-Trace': ['a'] },
    });
  });

  test('takes names that Object.prototype also has as plain names', () => {
    const maps = headerMaps([
      ['constructor', 'x'],
      ['toString', 'y'],
    ]);
    expect(maps.multiValueHeaders).toEqual({ constructor: ['x'], toString: ['y'] });
    expect(maps.headers).toEqual({ constructor: 'x', toString: 'y' });
  });
});

describe('queryMaps', () => {
  test('decodes the query string and groups repeated parameters', () => {
    expect(queryMaps('a=1&b=x%20y&a=2&c')).toEqual({
      queryStringParameters: { a: '2', b: 'x y', c: '' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x y'], c: [''] },
    });
  });

  test('gives empty maps for an empty query string', () => {
    expect(queryMaps('')).toEqual({ queryStringParameters: {}, multiValueQueryStringParameters: {} });
  });
});
