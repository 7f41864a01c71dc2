/**
 * Bench server: a minimal hand-written WebSocket-over-HTTP backend behind a private Pushpin (same launcher and
 * configuration as the chat's), the floor Pushpin itself sets. On OPEN it accepts and subscribes to `room`; on
 * TEXT it publishes `anonymous: <text>` to Pushpin (keep-alive) and answers once the publish returned; CLOSE
 * is echoed. No signature check, no validation. Prints { wsUrl, publishUrl, publishIss, publishKey }.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { ready } = require('../lib/child');

const local = require(path.join(__dirname, '..', '..', 'dist', 'local', 'index.js'));
const SUBSCRIBE = Buffer.from('c:{"type":"subscribe","channel":"room"}');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** [type, content] pairs of an events body. */
function parse(body) {
  const events = [];
  let pos = 0;
  while (pos < body.length) {
    const eol = body.indexOf('\r\n', pos);
    const line = body.toString('latin1', pos, eol);
    const space = line.indexOf(' ');
    if (space < 0) {
      events.push([line, null]);
      pos = eol + 2;
    } else {
      const size = Number.parseInt(line.slice(space + 1), 16);
      events.push([line.slice(0, space), body.subarray(eol + 2, eol + 2 + size)]);
      pos = eol + 2 + size + 2;
    }
  }
  return events;
}

function event(type, content) {
  return content
    ? [Buffer.from(`${type} ${content.length.toString(16)}\r\n`), content, Buffer.from('\r\n')]
    : [Buffer.from(`${type}\r\n`)];
}

function publish(publishUrl, bearer, text) {
  const body = JSON.stringify({
    items: [{ channel: 'room', formats: { 'ws-message': { content: `anonymous: ${text}` } } }],
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${publishUrl}/publish/`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', Authorization: bearer } },
      (res) => {
        res.resume().on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  let publishUrl;
  let bearer;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const out = [];
      const headers = { 'Content-Type': 'application/websocket-events' };
      for (const [type, content] of parse(Buffer.concat(chunks))) {
        if (type === 'OPEN') {
          headers['Sec-WebSocket-Extensions'] = 'grip';
          out.push(...event('OPEN'), ...event('TEXT', SUBSCRIBE));
        } else if (type === 'TEXT') {
          await publish(publishUrl, bearer, content.toString('utf8'));
        } else if (type === 'CLOSE') {
          out.push(...event('CLOSE', content));
        }
      }
      const body = Buffer.concat(out);
      res.writeHead(200, { ...headers, 'Content-Length': body.length });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pushpin = await local.startPushpin({ target: `127.0.0.1:${server.address().port}` });
  publishUrl = pushpin.publishUrl;
  // The instance's control API is a JWT gate (iss, key, exp): one token for the whole run.
  bearer = `Bearer ${jwt.sign({ iss: pushpin.publishIss, exp: Math.floor(Date.now() / 1000) + 3600 }, pushpin.publishKey)}`;
  const info = {
    wsUrl: `ws://127.0.0.1:${pushpin.httpPort}/chat`,
    publishUrl: pushpin.publishUrl,
    publishIss: pushpin.publishIss,
    publishKey: pushpin.publishKey,
  };
  ready(info, async () => {
    await pushpin.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    agent.destroy();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
