import { InvalidValueError } from '../../../lambda/core/errors';
import { encodeTnetstring } from '../../../local/grip/tnetstring';

describe('encodeTnetstring', () => {
  it('encodes a publish item as Pushpin reads it, strings as UTF-8 byte counts', () => {
    const item = { channel: 'room', formats: { 'ws-message': { content: 'Zoë' } }, n: 2, x: 1.5, ok: true, no: null };
    expect(encodeTnetstring(item).toString('utf8')).toBe(
      '104:7:channel,4:room,7:formats,35:10:ws-message,17:7:content,4:Zoë,}}1:n,1:2#1:x,3:1.5^2:ok,4:true!2:no,0:~}',
    );
    expect(encodeTnetstring(['a', []]).toString()).toBe('7:1:a,0:]]');
  });

  it('refuses what JSON cannot carry with InvalidValueError', () => {
    expect(() => encodeTnetstring(Number.NaN)).toThrow(InvalidValueError);
    expect(() => encodeTnetstring(() => 1)).toThrow(InvalidValueError);
  });
});
