/**
 * Forged requests at the handler level, through real HTTP: a forger POSTs WebSocket-over-HTTP straight to the
 * local API Gateway front door (REST v1, HTTP API v2, Function URL events), bypassing the proxy. The function
 * trusts two signers, as a GRIP_PROXIES list: a Pushpin (HS256 shared secret, iss `pushpin`) and a Fastly-style
 * proxy (ES256, iss `fastly:<service id>`, verify key = a test key pair's public PEM). Only validly signed
 * requests reach user code; every other one gets 401 and one log line, and no token is ever written anywhere.
 * The signature matrix at the verify level is in test/lambda/grip/grip-sig.test.ts; this proves it end to end.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Env } from '../../lambda/contract';
import { GripApi } from '../../lib';
import type { EventVersionName } from '../../local/grip/proxy-event';
import { type RestFrontDoor, startRestFrontDoor } from '../../local/grip/rest-front-door';
import { CLEAN_ENV } from '../helpers/e2e-env';
import { freshWebSocketHandler, postWebSocketEvents } from '../helpers/e2e-grip-tools';
import { EVENT_SHAPES } from '../helpers/e2e-support';
import { setEnv } from '../helpers/grip-events';
import { captureConsole, claims, epoch, hmacWithText, signed, unsigned } from '../helpers/reliability-support';

const SECRET = randomBytes(24).toString('hex');
const SERVICE = 'fastly:SU1Z0isxPaozGVKXdv0eY';
const own = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const OWN_PEM = own.publicKey.export({ type: 'spki', format: 'pem' }).toString();
/** A third signer whose public key is configured the way js-grip users write it: `base64:<PEM>`. */
const B64_ISS = 'base64-proxy';
const STRANGER_PEM = stranger.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Each case: the Grip-Sig to send (undefined: none) and whether user code must run. */
const MATRIX: ReadonlyArray<readonly [string, () => string | undefined, boolean]> = [
  ['no Grip-Sig', () => undefined, false],
  ['not a JWT', () => 'garbage', false],
  ['a bad signature (HS256, another secret)', () => signed(claims('pushpin'), 'not-the-secret', 'HS256'), false],
  ['an expired token', () => signed(claims('pushpin', epoch(-3600)), SECRET, 'HS256'), false],
  ['no exp claim', () => signed(claims('pushpin', null), SECRET, 'HS256'), false],
  ['the wrong iss', () => signed(claims('someone-else'), SECRET, 'HS256'), false],
  ['HS512 with the right secret', () => signed(claims('pushpin'), SECRET, 'HS512'), false],
  ['alg none', () => unsigned(claims('pushpin')), false],
  ['HS256 signed with the text of the configured public key', () => hmacWithText(claims(SERVICE), OWN_PEM), false],
  [
    'HS256 signed with the text of a public key configured as base64:<PEM>',
    () => hmacWithText(claims(B64_ISS), STRANGER_PEM),
    false,
  ],
  ['a valid ES256 token of the base64:<PEM> key', () => signed(claims(B64_ISS), stranger.privateKey, 'ES256'), true],
  ['ES256 signed by another key pair', () => signed(claims(SERVICE), stranger.privateKey, 'ES256'), false],
  ['ES256 with the right key but the Pushpin iss', () => signed(claims('pushpin'), own.privateKey, 'ES256'), false],
  ['HS256 with the right secret but the Fastly iss', () => signed(claims(SERVICE), SECRET, 'HS256'), false],
  ['a valid HS256 token (Pushpin)', () => signed(claims('pushpin'), SECRET, 'HS256'), true],
  ['a valid ES256 token (Fastly-style)', () => signed(claims(SERVICE), own.privateKey, 'ES256'), true],
];

const q = encodeURIComponent;
const FASTLY = `https://api.fastly.com/service/${SERVICE.slice(7)}?key=${q('api-token')}&verify-iss=${q(SERVICE)}`;
const PROXIES = JSON.stringify([
  `http://127.0.0.1:5561/?verify-iss=pushpin&verify-key=${q(SECRET)}`,
  `${FASTLY}&verify-key=${q(OWN_PEM)}`,
  `http://127.0.0.1:5562/?verify-iss=${B64_ISS}&verify-key=${q(`base64:${Buffer.from(STRANGER_PEM).toString('base64')}`)}`,
]);
let restoreEnv: () => void;
const doors = new Map<EventVersionName, RestFrontDoor>();
const reached: string[] = [];

beforeAll(async () => {
  restoreEnv = setEnv({ ...CLEAN_ENV, [Env.GRIP_PROXIES]: PROXIES });
  for (const shape of EVENT_SHAPES) {
    const handler = freshWebSocketHandler((ws) => {
      reached.push(ws.id);
      if (ws.isOpening()) ws.accept();
    });
    doors.set(shape, await startRestFrontDoor({ handler, eventVersion: shape }));
  }
});

afterAll(async () => {
  for (const door of doors.values()) await door.stop();
  restoreEnv();
});

describe.each(EVENT_SHAPES)('forged requests through the %s front door', (shape) => {
  test.each(MATRIX.map(([name, make, valid], i) => [name, make, valid, i] as const))(
    '%s',
    async (name, make, valid, i) => {
      const token = make();
      const connectionId = `${shape}-case-${i}`;
      const log = captureConsole();
      let answer: Awaited<ReturnType<typeof postWebSocketEvents>>;
      try {
        answer = await postWebSocketEvents(`${doors.get(shape)!.url}/chat`, 'OPEN\r\n', {
          'Connection-Id': connectionId,
          ...(token === undefined ? {} : { 'Grip-Sig': token }),
        });
      } finally {
        log.stop();
      }

      expect({ name, status: answer.status }).toEqual({ name, status: valid ? 200 : 401 });
      expect(reached.includes(connectionId)).toBe(valid);
      const refusals = log.lines.filter((line) => line.includes('Grip-Sig missing or invalid'));
      expect(refusals).toHaveLength(valid ? 0 : 1);
      if (token) {
        const signature = token.split('.')[2] ?? '';
        for (const written of [log.text(), answer.body]) {
          expect(written).not.toContain(token);
          if (signature.length > 8) expect(written).not.toContain(signature);
        }
      }
    },
  );
});

describe('the GripApi construct decides whether the function verifies', () => {
  /** GRIP_SIG_VERIFY as the construct sets it in the function's environment. */
  function synthesizedSetting(props: { verifySignature?: boolean }): string | undefined {
    const stack = new Stack(new App(), 'Forged');
    const handler = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new GripApi(stack, 'Api', { handler, ...props });
    const variables = stack.resolve((handler.node.defaultChild as lambda.CfnFunction).environment) as {
      variables?: Record<string, string>;
    };
    return variables.variables?.[Env.GRIP_SIG_VERIFY];
  }

  test.each([
    ['the default deployment refuses a forged request', {}, 401, false],
    ['verifySignature: false lets it through, with a warning in the log', { verifySignature: false }, 200, true],
  ] as const)('%s', async (_name, props, status, runs) => {
    const setting = synthesizedSetting(props);
    const restore = setEnv({ [Env.GRIP_SIG_VERIFY]: setting });
    const handler = freshWebSocketHandler((ws) => {
      reached.push(ws.id);
      ws.accept();
    });
    const door = await startRestFrontDoor({ handler });
    const log = captureConsole();
    try {
      const answer = await postWebSocketEvents(`${door.url}/chat`, 'OPEN\r\n', {
        'Connection-Id': `construct-${status}`,
      });

      expect(answer.status).toBe(status);
      expect(reached.includes(`construct-${status}`)).toBe(runs);
      expect(log.text().includes('Grip-Sig verification is off')).toBe(runs);
    } finally {
      log.stop();
      restore();
      await door.stop();
    }
  });
});
