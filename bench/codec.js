/**
 * Codec bench: decode and encode throughput of `application/websocket-events` bodies, ours against
 * @fanoutio/grip and against a bare `Buffer.indexOf` scan for CRLF over the same bytes (the practical
 * ceiling of any decoder that has to find the line ends). Encode is compared with @fanoutio/grip and with a
 * `Buffer.concat` of the same pieces (a copy of the output bytes). Throughput in MB/s, 1 MB = 10^6 bytes.
 */
'use strict';

const path = require('node:path');
const { median, timeLoop, nowMs, fmt, ratio } = require('./lib/stats');

const ours = require(path.join(__dirname, '..', 'dist', 'lambda', 'grip', 'websocket-events.js'));

const CRLF = Buffer.from('\r\n');
/** A grip decode slower than this is run once per size (its decoder is quadratic in the body length). */
const SLOW_SINGLE_RUN_MS = 200;

function randomText(bytes, seed) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
  let out = '';
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += letters[x % letters.length];
  }
  return out;
}

/** A body of `count` TEXT events of `contentBytes` each: the bytes, our inputs, grip's inputs, concat pieces. */
function makeBody(label, count, contentBytes, grip) {
  const inputs = [];
  const gripEvents = [];
  const pieces = [];
  for (let i = 0; i < count; i++) {
    const content = Buffer.from(randomText(contentBytes, i + 1));
    inputs.push({ type: 'TEXT', content: new Uint8Array(content) });
    gripEvents.push(new grip.WebSocketEvent('TEXT', new Uint8Array(content)));
    pieces.push(Buffer.from(`TEXT ${contentBytes.toString(16)}\r\n`), content, CRLF);
  }
  const bytes = Buffer.concat(pieces);
  return { label, count, contentBytes, bytes, inputs, gripEvents, pieces };
}

function bodies(grip, quick) {
  const list = [
    makeBody('1 KB (1 event of 1 KiB)', 1, 1024, grip),
    makeBody('64 KB (64 events of 1 KiB)', 64, 1024, grip),
    makeBody('1 MB (964 events of 1 KiB)', 964, 1024, grip),
    makeBody(`${quick ? 16 : 64} KB of 8-byte events`, quick ? 910 : 3640, 8, grip),
  ];
  for (const body of list) {
    if (body.bytes.length > ours.MAX_WEBSOCKET_EVENTS_BYTES) throw new Error(`${body.label} is over the limit`);
  }
  return list;
}

function scanCrlf(bytes) {
  let count = 0;
  let at = bytes.indexOf(CRLF, 0);
  while (at !== -1) {
    count++;
    at = bytes.indexOf(CRLF, at + 2);
  }
  return count;
}

/** Checks every implementation decodes/encodes the body fully before anything is timed. */
function verify(body, grip) {
  const decoded = ours.decodeWebSocketEvents(body.bytes);
  if (decoded.length !== body.count || decoded[body.count - 1].content.length !== body.contentBytes) {
    throw new Error(`our decoder returned ${decoded.length} events for ${body.label}, expected ${body.count}`);
  }
  if (!Buffer.from(ours.encodeWebSocketEvents(body.inputs)).equals(body.bytes)) {
    throw new Error(`our encoder does not reproduce ${body.label}`);
  }
  if (!Buffer.from(grip.encodeWebSocketEvents(body.gripEvents)).equals(body.bytes)) {
    throw new Error(`grip's encoder does not reproduce ${body.label}`);
  }
  if (scanCrlf(body.bytes) < body.count * 2) throw new Error(`scan found too few CRLFs in ${body.label}`);
}

function mbps(bytes, { elapsed, iterations }) {
  return (bytes * iterations) / (elapsed / 1000) / 1e6;
}

/** Runs the cases of one body `reps` times, interleaved; returns the median MB/s per case. */
function measureBody(body, grip, reps, minMs) {
  const n = body.bytes.length;
  const decodeCases = {
    ours: () => ours.decodeWebSocketEvents(body.bytes),
    scan: () => scanCrlf(body.bytes),
  };
  const encodeCases = {
    ours: () => ours.encodeWebSocketEvents(body.inputs),
    grip: () => grip.encodeWebSocketEvents(body.gripEvents),
    concat: () => Buffer.concat(body.pieces, n),
  };
  const samples = { decode: {}, encode: {} };
  for (const kind of ['decode', 'encode'])
    for (const name of ['ours', 'grip', 'scan', 'concat']) samples[kind][name] = [];
  // grip's decode: timed once when slow, else alongside the others
  const t0 = nowMs();
  const gripDecoded = grip.decodeWebSocketEvents(body.bytes);
  const gripFirstMs = nowMs() - t0;
  if (gripDecoded.length !== body.count) throw new Error(`grip decoded ${gripDecoded.length} events in ${body.label}`);
  const gripSingle = gripFirstMs > SLOW_SINGLE_RUN_MS;
  if (!gripSingle) decodeCases.grip = () => grip.decodeWebSocketEvents(body.bytes);
  for (const fn of [...Object.values(decodeCases), ...Object.values(encodeCases)]) timeLoop(fn, minMs / 4, 3); // warm-up
  for (let rep = 0; rep < reps; rep++) {
    for (const [name, fn] of Object.entries(decodeCases)) samples.decode[name].push(mbps(n, timeLoop(fn, minMs)));
    for (const [name, fn] of Object.entries(encodeCases)) samples.encode[name].push(mbps(n, timeLoop(fn, minMs)));
  }
  if (gripSingle) samples.decode.grip.push(mbps(n, { elapsed: gripFirstMs, iterations: 1 }));
  const result = { gripSingle, gripFirstMs };
  for (const kind of ['decode', 'encode']) {
    result[kind] = {};
    for (const [name, list] of Object.entries(samples[kind])) if (list.length) result[kind][name] = median(list);
  }
  return result;
}

/** The codec bench. */
async function run(ctx) {
  const grip = await import('@fanoutio/grip');
  const reps = ctx.args.reps ?? (ctx.quick ? 3 : 7);
  const minMs = ctx.args.ms ?? (ctx.quick ? 80 : 250);
  const rows = [];
  const targets = [];
  const notes = [];
  for (const body of bodies(grip, ctx.quick)) {
    verify(body, grip);
    const r = measureBody(body, grip, reps, minMs);
    const d = r.decode;
    const e = r.encode;
    const toScan = d.ours / d.scan;
    ctx.log(`  ${body.label}: decode ours ${fmt(d.ours)} MB/s, scan ${fmt(d.scan)}, grip ${fmt(d.grip, 2)}`);
    rows.push([
      `${body.label}, ${body.bytes.length.toLocaleString('en-US')} B`,
      fmt(d.ours),
      `${fmt(d.grip, 2)}${r.gripSingle ? ' ¹' : ''}`,
      fmt(d.scan),
      ratio(toScan),
      ratio(d.ours / d.grip),
      fmt(e.ours),
      fmt(e.grip),
      fmt(e.concat),
      ratio(e.ours / e.grip),
    ]);
    targets.push({
      what: `codec decode, ${body.label}`,
      target: '>= 0.33x the bare CRLF scan',
      measured: `${ratio(toScan)} (${fmt(d.ours)} vs ${fmt(d.scan)} MB/s)`,
      met: toScan >= 1 / 3,
    });
  }
  notes.push(
    `Median of ${reps} interleaved repetitions of at least ${minMs} ms each, after a warm-up; MB/s with 1 MB = 10^6 bytes.`,
    '¹ @fanoutio/grip decode timed once: its decoder searches for each CRLF from the start of the body ' +
      '(quadratic), so one call takes long enough.',
    '"scan" is `Buffer.indexOf` of CRLF over the whole body, counting matches (finds lines, builds no events); ' +
      '"concat" is `Buffer.concat` of the header, content and CRLF pieces of the same output (a copy).',
    'Every implementation is checked first: all events decoded, encoders reproduce the body byte for byte.',
    'Our decoder reads each event header and jumps over the content by its declared size (then checks the CRLF ' +
      'after it), so it touches fewer bytes than the scan, which is why it can beat this "ceiling".',
  );
  return {
    tables: [
      {
        headers: [
          'body',
          'decode ours MB/s',
          'decode grip MB/s',
          'CRLF scan MB/s',
          'ours / scan',
          'ours / grip',
          'encode ours MB/s',
          'encode grip MB/s',
          'concat MB/s',
          'ours / grip',
        ],
        rows,
      },
    ],
    targets,
    notes,
  };
}

module.exports = {
  name: 'codec',
  title: 'Codec: WebSocket-over-HTTP decode and encode',
  usage: '--reps N (default 7, quick 3), --ms N (minimum time per measurement, default 250, quick 80)',
  run,
};
