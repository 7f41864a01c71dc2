/**
 * Verified identity bench, ratios against an anchor measured in the same run: one bare RS256 signature check
 * (node:crypto, the irreducible cost of a token). Against it: the runtime's token check with the JWKS cached
 * (aws-jwt-verify, the key pinned, audience and expiry; target <= 1.5x), and what identity adds to an opening
 * request through webSocketHandler (the same request with and without FAAS_GRIP_AUTH_ISSUER; target <= 1.5x the
 * anchor). The issuer is the development one (oidc-provider on loopback); its JWKS is fetched once, before timing.
 */
'use strict';

const path = require('node:path');
const crypto = require('node:crypto');
const { median, timed, fmt, ratio } = require('./lib/stats');

const dist = (p) => path.join(__dirname, '..', 'dist', p);

async function run(ctx) {
  const reps = ctx.args.reps ?? (ctx.quick ? 500 : 3000);
  const jwt = require('jsonwebtoken');
  const { startDevIssuer } = require(dist('local/identity/dev-issuer.js'));
  const issuer = await startDevIssuer();
  try {
    const key = issuer.keys[0];
    const pem = crypto.createPrivateKey({ key, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' });
    const publicKey = crypto.createPublicKey({ key, format: 'jwk' });
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign(
      { iss: issuer.issuer, aud: issuer.clientId, sub: 'alice', name: 'alice', exp: now + 3600 },
      pem,
      {
        algorithm: 'RS256',
        keyid: key.kid,
      },
    );
    const [h, p, s] = token.split('.');
    const signature = Buffer.from(s, 'base64url');
    const bare = () => {
      if (!crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), publicKey, signature)) throw new Error('bad');
    };

    Object.assign(process.env, {
      GRIP_URL: 'http://127.0.0.1:9/?verify-key=bench-key',
      FAAS_GRIP_AUTH_AUDIENCE: issuer.clientId,
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_LAMBDA_LOG_LEVEL: 'error',
    });
    const { parseAuthSettings } = require(dist('lambda/core/identity.js'));
    const { createTokenVerifier } = require(dist('lambda/auth/token-verifier.js'));
    const settings = parseAuthSettings({
      FAAS_GRIP_AUTH_ISSUER: issuer.issuer,
      FAAS_GRIP_AUTH_AUDIENCE: issuer.clientId,
    });
    const verifier = createTokenVerifier(settings);
    await verifier.verify(token); // the JWKS, fetched once

    const { webSocketHandler } = require(dist('lambda/aws/websocket-handler.js'));
    const handler = webSocketHandler(async (ws) => {
      if (ws.isOpening()) ws.accept();
    });
    const sig = jwt.sign({ iss: 'pushpin', exp: now + 3600 }, 'bench-key', { algorithm: 'HS256' });
    const event = {
      httpMethod: 'POST',
      path: '/ws',
      headers: {
        'Content-Type': 'application/websocket-events',
        'Connection-Id': 'c1',
        'Grip-Sig': sig,
        'Sec-WebSocket-Protocol': `faas-grip, faas-grip.bearer.${token}`,
      },
      body: Buffer.from('OPEN\r\n').toString('base64'),
      isBase64Encoded: true,
      requestContext: { requestId: 'r', stage: 'prod' },
    };
    const open = async (auth) => {
      if (auth) process.env.FAAS_GRIP_AUTH_ISSUER = issuer.issuer;
      else delete process.env.FAAS_GRIP_AUTH_ISSUER;
      const result = await handler(event);
      if (result.statusCode !== 200) throw new Error(`opening answered ${result.statusCode}: ${result.body}`);
    };
    for (let i = 0; i < 200; i++) {
      bare();
      await verifier.verify(token);
      await open(true);
      await open(false);
    }
    const times = { bare: [], verify: [], on: [], off: [] };
    // In blocks: the runtime reads its settings again when the environment changes, so each switch is paid once.
    for (let i = 0; i < reps; i += 50) {
      for (let j = 0; j < 50; j++) {
        times.bare.push(await timed(bare));
        times.verify.push(await timed(() => verifier.verify(token)));
        times.on.push(await timed(() => open(true)));
      }
      for (let j = 0; j < 50; j++) times.off.push(await timed(() => open(false)));
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const added = m.on - m.off;
    return {
      tables: [
        {
          title: `Verified identity per connect (median of ${reps} each, in interleaved blocks of 50; RS256, 2048-bit key)`,
          headers: ['step', 'median ms'],
          rows: [
            ['bare RS256 signature check (node:crypto)', fmt(m.bare, 3)],
            ['token check, JWKS cached (aws-jwt-verify + pinned key, audience, expiry)', fmt(m.verify, 3)],
            ['opening request through webSocketHandler, identity on', fmt(m.on, 3)],
            ['the same request, identity off', fmt(m.off, 3)],
          ],
        },
      ],
      targets: [
        {
          what: 'token check with the JWKS cached vs a bare RS256 signature check',
          target: '<= 1.5x',
          measured: ratio(m.verify / m.bare),
          met: m.verify / m.bare <= 1.5,
        },
        {
          what: 'what identity adds to an opening request vs a bare RS256 signature check',
          target: '<= 1.5x',
          measured: ratio(added / m.bare),
          met: added / m.bare <= 1.5,
        },
      ],
      notes: [
        'The JWKS is fetched once per container (and again only for an unknown key id, at most once per 10 s); ' +
          'later events of a connection read the verified user from its meta without any signature check.',
      ],
    };
  } finally {
    await issuer.stop();
  }
}

module.exports = {
  name: 'identity',
  title: 'Verified identity: the token check per connect vs a bare signature check',
  usage: '--reps N (checks of each kind; default 3000, --quick 500)',
  run,
};
