/**
 * The pure half of verified identity: settings, where tokens are found, the user as runtime meta (which user code
 * can neither see nor set, and which an opening request cannot bring along), and the channel rules.
 */
import { channelRules } from '../../../lambda/core/channel-rules';
import { GripConfigError, MetaError } from '../../../lambda/core/errors';
import {
  decodeUser,
  encodeUser,
  findToken,
  isExpired,
  parseAuthSettings,
  USER_META,
  type VerifiedUser,
} from '../../../lambda/core/identity';
import { recordVerifiedUser, Transport, WebSocketContext } from '../../../lambda/core/websocket-context';
import { createGripFinisher } from '../../../lambda/grip/grip-response';
import { decodeWebSocketEvents } from '../../../lambda/grip/websocket-events';
import { setEnv } from '../../helpers/grip-events';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc';
const alice: VerifiedUser = { sub: 'alice', issuer: ISSUER, expiresAt: 2_000_000_000, claims: { name: 'Alice' } };

describe('parseAuthSettings', () => {
  it('is off without an issuer, with defaults otherwise', () => {
    expect(parseAuthSettings({})).toBeUndefined();
    expect(parseAuthSettings({ FAAS_GRIP_AUTH_ISSUER: ISSUER })).toMatchObject({
      issuer: ISSUER,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
      audience: [],
      tokenFrom: [{ kind: 'protocol' }, { kind: 'header' }, { kind: 'query', name: 'access_token' }],
      clockSkewSeconds: 30,
      expiry: 'close',
    });
  });

  it.each([
    [{ FAAS_GRIP_AUTH_ISSUER: 'http://issuer.example.com' }, /https/],
    [{ FAAS_GRIP_AUTH_ISSUER: 'not a url' }, /absolute https URL/],
    [{ FAAS_GRIP_AUTH_ISSUER: ISSUER, FAAS_GRIP_AUTH_TOKEN_USE: 'refresh' }, /id or access/],
    [{ FAAS_GRIP_AUTH_ISSUER: ISSUER, FAAS_GRIP_AUTH_TOKEN_FROM: 'body' }, /protocol, header/],
    [{ FAAS_GRIP_AUTH_ISSUER: ISSUER, FAAS_GRIP_AUTH_TOKEN_FROM: 'cookie:id' }, /ORIGINS/],
    [{ FAAS_GRIP_AUTH_ISSUER: ISSUER, FAAS_GRIP_AUTH_CLOCK_SKEW: '3600' }, /0 to 300/],
    [{ FAAS_GRIP_AUTH_ISSUER: ISSUER, FAAS_GRIP_AUTH_EXPIRY: 'never' }, /close or keep/],
  ])('refuses %j', (env, message) => {
    expect(() => parseAuthSettings(env)).toThrow(GripConfigError);
    expect(() => parseAuthSettings(env)).toThrow(message);
  });

  it('allows plain http on loopback only', () => {
    expect(parseAuthSettings({ FAAS_GRIP_AUTH_ISSUER: 'http://127.0.0.1:9000' })?.issuer).toBe('http://127.0.0.1:9000');
  });
});

describe('findToken', () => {
  const sources = parseAuthSettings({
    FAAS_GRIP_AUTH_ISSUER: ISSUER,
    FAAS_GRIP_AUTH_TOKEN_FROM: 'protocol,header,query:access_token,cookie:id_token',
    FAAS_GRIP_AUTH_ORIGINS: 'https://chat.example.com',
  });
  const find = (headers: Record<string, string>, query: Record<string, string> = {}) =>
    findToken({ headers, query }, sources?.tokenFrom ?? [], sources?.origins);

  it('reads the subprotocol entry and answers with the other offered protocol', () => {
    expect(find({ 'sec-websocket-protocol': 'faas-grip, faas-grip.bearer.abc.def.ghi' })).toEqual({
      token: 'abc.def.ghi',
      source: 'protocol',
      protocol: 'faas-grip',
    });
  });

  it('reads Authorization: Bearer, the query and the cookie, in the configured order', () => {
    expect(find({ authorization: 'Bearer t1' }, { access_token: 't2' })).toEqual({ token: 't1', source: 'header' });
    expect(find({ authorization: 'Basic x' }, { access_token: 't2' })).toEqual({ token: 't2', source: 'query' });
    expect(find({ cookie: 'a=1; id_token=t3', origin: 'https://chat.example.com' })).toEqual({
      token: 't3',
      source: 'cookie',
    });
  });

  it('ignores a cookie sent from another origin (cross-site WebSocket hijacking)', () => {
    expect(find({ cookie: 'id_token=t3', origin: 'https://evil.example.com' })).toBeUndefined();
    expect(find({ cookie: 'id_token=t3' })).toBeUndefined();
    expect(find({ cookie: 'id_token=%E0%A4%A', origin: 'https://chat.example.com' })).toBeUndefined();
  });
});

describe('the user as runtime meta', () => {
  it('round-trips, and anything else decodes to no user', () => {
    expect(decodeUser(encodeUser(alice))).toEqual(alice);
    for (const bad of [undefined, '', 'not base64!', Buffer.from('{"s":1}').toString('base64url'), 'e30']) {
      expect(decodeUser(bad)).toBeUndefined();
    }
  });

  it('expires after exp plus the skew', () => {
    expect(isExpired(alice, 30, 2_000_000_029_000)).toBe(false);
    expect(isExpired(alice, 30, 2_000_000_031_000)).toBe(true);
  });

  describe('on a context', () => {
    let restore = () => {};
    beforeAll(() => {
      restore = setEnv({ FAAS_GRIP_AUTH_ISSUER: ISSUER });
    });
    afterAll(() => restore());

    const context = (body: string, meta: Record<string, string>) =>
      new WebSocketContext({
        id: 'c1',
        transport: Transport.GRIP,
        meta,
        events: decodeWebSocketEvents(Buffer.from(body, 'latin1')),
        finisher: createGripFinisher((r) => r),
      });

    it('is read on a later event and hidden from ws.meta', () => {
      const ws = context('TEXT 2\r\nhi\r\n', { [USER_META]: encodeUser(alice), nick: 'a' });
      expect(ws.user).toEqual(alice);
      expect(ws.meta).toEqual({ nick: 'a' });
      expect(ws.metaChanges().set).toEqual({});
    });

    it('is ignored on an opening request, whatever meta it came with', () => {
      const ws = context('OPEN\r\n', { [USER_META]: encodeUser({ ...alice, sub: 'admin' }) });
      expect(ws.user).toBeUndefined();
    });

    it('cannot be set or removed by user code', () => {
      const ws = context('TEXT 2\r\nhi\r\n', { [USER_META]: encodeUser(alice) });
      ws.meta[USER_META] = encodeUser({ ...alice, sub: 'admin' });
      expect(() => ws.metaChanges()).toThrow(MetaError);
      expect(() => ws.toResponse()).toThrow(MetaError);
    });

    it('is saved when the runtime records it, with the subprotocol on the handshake', () => {
      const ws = context('OPEN\r\n', {});
      recordVerifiedUser(ws, alice, 'faas-grip');
      ws.accept();
      const response = ws.toResponse() as { headers: Record<string, string> };
      expect(response.headers['Sec-WebSocket-Protocol']).toBe('faas-grip');
      expect(decodeUser(response.headers[`Set-Meta-${USER_META}`])).toEqual(alice);
    });

    it('is not trusted when identity is off', () => {
      const off = setEnv({ FAAS_GRIP_AUTH_ISSUER: undefined });
      try {
        expect(context('TEXT 2\r\nhi\r\n', { [USER_META]: encodeUser(alice) }).user).toBeUndefined();
      } finally {
        off();
      }
    });
  });
});

describe('channelRules', () => {
  const rules = channelRules({ privateChannels: { staff: ['alice', 'group:admins'], 'team-*': ['bob'] } });
  const ask = (user: VerifiedUser | undefined, channel: string) =>
    rules({ user, channel, action: 'subscribe', op: 'subscribe' });

  it('opens private channels to their listed users and groups only', () => {
    expect(ask(alice, 'staff')).toBe(true);
    expect(ask({ ...alice, sub: 'carol' }, 'staff')).toBe(false);
    expect(ask({ ...alice, sub: 'carol', claims: { 'cognito:groups': ['admins'] } }, 'staff')).toBe(true);
    expect(ask(undefined, 'staff')).toBe(false);
    expect(ask({ ...alice, sub: 'bob' }, 'team-red')).toBe(true);
    expect(ask(alice, 'team-red')).toBe(false);
  });

  it('opens user:<sub> channels to that user only, and everything else to all', () => {
    expect(ask(alice, 'user:alice')).toBe(true);
    expect(ask(alice, 'user:bob')).toBe(false);
    expect(ask(undefined, 'user:alice')).toBe(false);
    expect(ask(undefined, 'room')).toBe(true);
  });
});
