/**
 * With a Fanout Cloud style GRIP_URL (`iss` + `key`), one key both signs the function's publishes and verifies the
 * proxy's Grip-Sig. A publish token this function minted for the control API (HS256, `iss` = the publish issuer)
 * must never authenticate a request to the function.
 */
import jwt from 'jsonwebtoken';
import { Env } from '../../../lambda/contract';
import { GripConfigError, GripSignatureError } from '../../../lambda/core/errors';
import { WebSocketMessageFormat } from '../../../lambda/grip/formats';
import { verifyGripSignature } from '../../../lambda/grip/grip-sig';
import { loadGripConfigSync, reloadGripConfig } from '../../../lambda/grip/io/grip-config';
import { publishToProxies } from '../../../lambda/grip/io/publisher';
import { ControlEndpoint } from '../../helpers/control-endpoint';

const REALM = 'my-realm';
const KEY = Buffer.from('realm-key-bytes-0123456789');
const KEY_PARAM = encodeURIComponent(`base64:${KEY.toString('base64')}`);

let endpoint: ControlEndpoint;

beforeAll(async () => {
  endpoint = await ControlEndpoint.start();
});
afterAll(async () => {
  await endpoint.stop();
});
beforeEach(() => reloadGripConfig());

/** The bearer token the runtime sends with a publish to `gripUrl`'s control API. */
async function mintedPublishToken(gripUrl: string): Promise<string> {
  const config = loadGripConfigSync({ [Env.GRIP_URL]: gripUrl });
  await publishToProxies(config.proxies, [{ channel: 'room', formats: [new WebSocketMessageFormat('hi')] }]);
  const authorization = endpoint.published.at(-1)?.authorization ?? '';
  expect(authorization).toMatch(/^Bearer /);
  return authorization.slice('Bearer '.length);
}

function proxySig(iss: string): string {
  return jwt.sign({ iss, exp: Math.floor(Date.now() / 1000) + 3600 }, KEY, { algorithm: 'HS256' });
}

test('the publish token the runtime minted is refused as Grip-Sig', async () => {
  const gripUrl = `${endpoint.uri}/realm/${REALM}?iss=${REALM}&key=${KEY_PARAM}`;
  const token = await mintedPublishToken(gripUrl);
  const { verify } = loadGripConfigSync({ [Env.GRIP_URL]: gripUrl });

  expect(() => verifyGripSignature(token, verify)).toThrow(GripSignatureError);
  expect(() => verifyGripSignature(token, verify)).toThrow(/publish issuer/);
  // Any token with the publish issuer, however minted, is refused; the proxy's own Grip-Sig is not.
  expect(() => verifyGripSignature(proxySig(REALM), verify)).toThrow(GripSignatureError);
  expect(() => verifyGripSignature(proxySig('fanout'), verify)).not.toThrow();
});

test('with verify-iss pinned to the proxy, the publish token is refused too', async () => {
  const gripUrl = `${endpoint.uri}/realm/${REALM}?iss=${REALM}&key=${KEY_PARAM}&verify-iss=fanout`;
  const token = await mintedPublishToken(gripUrl);
  const { verify } = loadGripConfigSync({ [Env.GRIP_URL]: gripUrl });

  expect(() => verifyGripSignature(token, verify)).toThrow(GripSignatureError);
  expect(() => verifyGripSignature(proxySig('fanout'), verify)).not.toThrow();
});

test('verify-iss equal to the publish iss with the shared key is a configuration error, not a forgery route', () => {
  const gripUrl = `${endpoint.uri}/realm/${REALM}?iss=${REALM}&key=${KEY_PARAM}&verify-iss=${REALM}`;

  expect(() => loadGripConfigSync({ [Env.GRIP_URL]: gripUrl })).toThrow(GripConfigError);
  expect(() => loadGripConfigSync({ [Env.GRIP_URL]: gripUrl })).toThrow(/verify-iss .* is the publish iss/);
});

test('a separate verify key may share the issuer name: only a shared secret that also signs publishes is at risk', () => {
  const gripUrl =
    `${endpoint.uri}/realm/${REALM}?iss=${REALM}&key=${KEY_PARAM}` +
    `&verify-iss=${REALM}&verify-key=${encodeURIComponent('another-proxy-secret')}`;
  const { verify } = loadGripConfigSync({ [Env.GRIP_URL]: gripUrl });
  const genuine = jwt.sign({ iss: REALM, exp: Math.floor(Date.now() / 1000) + 60 }, 'another-proxy-secret');

  expect(() => verifyGripSignature(genuine, verify)).not.toThrow();
});
