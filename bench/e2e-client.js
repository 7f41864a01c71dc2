/**
 * Load generator of the end-to-end bench, run as its own process: N `ws` clients on one server, client 0 also
 * the sender. Connects with at most `window` handshakes in flight (502s retried with backoff), probes until every
 * client receives a broadcast, sends warm-up messages, then M measured messages `m,<seq>,<send time>` paced
 * every `intervalMs`, records send-to-receive time per (message, recipient) on one clock, waits for every
 * delivery (or a drain timeout), and closes all sockets. Prints JSON lines: the measured window's start and end
 * (so the parent can read the servers' CPU), then the result.
 *
 * Usage: node bench/e2e-client.js '<json config>'.
 */
'use strict';

const { performance } = require('node:perf_hooks');
const WebSocket = require('ws');

const cfg = { window: 100, warmup: 25, drainMs: 5000, maxAttempts: 10, probeMs: 50, ...JSON.parse(process.argv[2]) };
const N = cfg.clients;
const M = cfg.messages;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const latency = new Float64Array(N * M).fill(Number.NaN);
const probed = new Uint8Array(N);
let probedCount = 0;
let received = 0;
let duplicates = 0;
let lastReceive = 0;
let retried = 0;
const statuses = {};

function onMessage(i, data) {
  const now = performance.now();
  const text = data.toString();
  const at = text.indexOf(': ');
  const body = at < 0 ? text : text.slice(at + 2);
  if (body[0] === 'p') {
    if (!probed[i]) {
      probed[i] = 1;
      probedCount++;
    }
  } else if (body[0] === 'm') {
    const c2 = body.indexOf(',', 2);
    const seq = Number(body.slice(2, c2));
    const slot = seq * N + i;
    if (Number.isNaN(latency[slot])) {
      latency[slot] = now - Number(body.slice(c2 + 1));
      received++;
      lastReceive = now;
    } else {
      duplicates++;
    }
  }
}

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      const error = new Error(`handshake answered HTTP ${res.statusCode}`);
      error.status = res.statusCode;
      reject(error);
    });
    ws.once('error', reject);
    ws.on('error', () => {});
    ws.on('message', (data) => onMessage(i, data));
  });
}

async function connectAll() {
  const sockets = new Array(N);
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          sockets[i] = await open(i);
          break;
        } catch (error) {
          const key = error.status ?? error.code ?? 'error';
          statuses[key] = (statuses[key] ?? 0) + 1;
          if (attempt >= cfg.maxAttempts) throw new Error(`client ${i}: ${error.message} after ${attempt} attempts`);
          retried++;
          await sleep(50 * attempt + Math.random() * 100);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.window, N) }, worker));
  return sockets;
}

async function paced(sender, count, prefix, onSent) {
  const start = performance.now();
  for (let k = 0; k < count; k++) {
    const wait = start + k * cfg.intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    sender.send(`${prefix},${k},${sentAt}`);
    onSent?.(k, sentAt);
  }
}

async function closeAll(sockets) {
  const closed = sockets.map(
    (ws) =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', resolve);
        ws.close(1000);
      }),
  );
  const timer = setTimeout(() => {
    for (const ws of sockets) ws.terminate();
  }, 5000);
  await Promise.all(closed);
  clearTimeout(timer);
}

async function main() {
  let t = performance.now();
  const sockets = await connectAll();
  const connectMs = performance.now() - t;
  const sender = sockets[0];
  t = performance.now();
  for (let k = 0; probedCount < N; k++) {
    if (performance.now() - t > 30_000) throw new Error(`only ${probedCount} of ${N} clients got a probe in 30 s`);
    sender.send(`p,${k}`);
    await sleep(cfg.probeMs);
  }
  const readyMs = performance.now() - t;
  await paced(sender, cfg.warmup, 'w');
  await sleep(Math.min(1000, cfg.intervalMs * 5));
  say({ phase: 'measure-start' });
  const cpu0 = process.cpuUsage();
  let firstSend = 0;
  let lastSend = 0;
  await paced(sender, M, 'm', (k, at) => {
    if (k === 0) firstSend = at;
    lastSend = at;
  });
  while (received < N * M && performance.now() - lastSend < cfg.drainMs) await sleep(10);
  const cpu = process.cpuUsage(cpu0);
  say({ phase: 'measure-end' });
  t = performance.now();
  await closeAll(sockets);
  const closeMs = performance.now() - t;
  const values = latency.filter((v) => !Number.isNaN(v)).sort();
  const pct = (p) =>
    values.length ? values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)] : null;
  say({
    result: {
      clients: N,
      messages: M,
      expected: N * M,
      delivered: received,
      duplicates,
      p50: pct(50),
      p99: pct(99),
      p999: pct(99.9),
      max: values.length ? values[values.length - 1] : null,
      deliveriesPerSec: received / ((lastReceive - firstSend) / 1000),
      windowMs: lastReceive - firstSend,
      connectMs,
      readyMs,
      closeMs,
      retried,
      statuses,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
    },
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    say({ error: error.message });
    process.exit(1);
  },
);
