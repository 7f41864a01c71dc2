/**
 * A close look at one publish, for the end-to-end bench's analysis. The runtime's publish call
 * (lambda/grip/io/publisher.ts, JWT-authorized) is timed against the same Pushpin three ways: as shipped (node:http
 * with a keep-alive agent), with its `fetch` option given a small node:http-based fetch (comparison), and with a
 * fetch that answers at once (the publisher's own work: JWT, JSON, timer). A bare node:http POST of the same item is the anchor.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { median, nowMs } = require('./stats');

const dist = (...p) => require(path.join(__dirname, '..', '..', 'dist', ...p));

async function series(fn, count) {
  const times = [];
  const c = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const t = nowMs();
    await fn();
    times.push(nowMs() - t);
  }
  const d = process.cpuUsage(c);
  return { p50: median(times), cpu: (d.user + d.system) / 1000 / count };
}

/** POSTs `body` with node:http; resolves { status, headers, text }. */
function httpPost(url, headers, body, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Publishes to `publishUrl` (a local Pushpin's control API behind its JWT gate: `iss` and `key` sign the tokens) each
 * way; resolves medians over `reps` blocks of `count` ({ p50, cpu } in ms per call) and the `Connection` header the
 * control API answered with.
 */
async function probePublish(publishUrl, { iss, key, count = 100, reps = 3 }) {
  const { publishToProxies } = dist('lambda', 'grip', 'io', 'publisher.js');
  const { parseGripUrl } = dist('lambda', 'grip', 'grip-url.js');
  const { WebSocketMessageFormat } = dist('lambda', 'grip', 'formats.js');
  const { buildGripUrl } = dist('local', 'grip', 'grip-url-builder.js');
  const proxy = parseGripUrl(buildGripUrl({ controlUri: publishUrl, iss, key }));
  // The bare POST carries a token too, made once (the gate requires iss, key and exp).
  const bearer = `Bearer ${jwt.sign({ iss, exp: Math.floor(Date.now() / 1000) + 3600 }, key)}`;
  const channel = 'bench-probe-nobody';
  const items = () => [{ channel, formats: [new WebSocketMessageFormat('anonymous: x')] }];
  const agent = new http.Agent({ keepAlive: true });
  let connectionHeader;
  const httpFetch = async (url, init) => {
    const r = await httpPost(url, init.headers, init.body, agent);
    return new Response(r.text, { status: r.status });
  };
  const noNetwork = async () => new Response('Published\n', { status: 200 });
  const body = JSON.stringify({ items: [{ channel, formats: { 'ws-message': { content: 'anonymous: x' } } }] });
  const ways = {
    shipped: () => publishToProxies([proxy], items()),
    httpFetch: () => publishToProxies([proxy], items(), { fetch: httpFetch }),
    noNetwork: () => publishToProxies([proxy], items(), { fetch: noNetwork }),
    bare: async () => {
      const headers = { 'Content-Type': 'application/json', Authorization: bearer };
      const r = await httpPost(`${publishUrl}/publish/`, headers, body, agent);
      connectionHeader = r.headers.connection ?? 'keep-alive (default)';
    },
  };
  for (const fn of Object.values(ways)) await series(fn, 10);
  const samples = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const [name, fn] of Object.entries(ways)) samples[name].push(await series(fn, count));
  }
  agent.destroy();
  const out = { connectionHeader };
  for (const [name, list] of Object.entries(samples)) {
    out[name] = { p50: median(list.map((x) => x.p50)), cpu: median(list.map((x) => x.cpu)) };
  }
  return out;
}

module.exports = { probePublish };
