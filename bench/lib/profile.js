/**
 * Reads the `.cpuprofile` files `node --cpu-prof` writes and sums self time per package / node module, so a
 * bench can say where a server spent its CPU.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function ownerOf(url, functionName) {
  if (!url) return `(${functionName || 'native'})`;
  const file = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (file.startsWith('node:')) return file;
  const root = path.join(__dirname, '..', '..');
  return file.startsWith(root) ? path.relative(root, file) : file;
}

/** Self time per owner over every profile in `dir`, largest first: [{ owner, ms, share }]. Idle and GC kept. */
function summarizeProfiles(dir) {
  const profiles = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.cpuprofile'))
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
  return summarize(profiles);
}

/** Self time per owner over the given profile objects (inspector `Profiler.stop` results or files). */
function summarize(profiles) {
  const totals = new Map();
  let all = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < profile.samples.length; i++) {
      const { url, functionName } = nodes.get(profile.samples[i]).callFrame;
      const owner = ownerOf(url, functionName);
      const us = profile.timeDeltas[i] ?? 0;
      totals.set(owner, (totals.get(owner) ?? 0) + us);
      all += us;
    }
  }
  return [...totals.entries()]
    .map(([owner, us]) => ({ owner, ms: us / 1000, share: all ? us / all : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Runs `fn` under the in-process inspector's CPU profiler; resolves { result, summary }. */
async function profileInProcess(fn) {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    const result = await fn();
    const { profile } = await post('Profiler.stop');
    return { result, summary: summarize([profile]) };
  } finally {
    session.disconnect();
  }
}

/** The busy (not idle) owners as `name 12%` text, shares of busy time. */
function busyText(summary, count = 10) {
  const busy = summary.filter((s) => s.owner !== '((idle))' && s.owner !== '(idle)');
  const total = busy.reduce((sum, s) => sum + s.ms, 0);
  return busy
    .slice(0, count)
    .map((s) => `${s.owner} ${((100 * s.ms) / total).toFixed(0)}%`)
    .join(', ');
}

module.exports = { summarize, summarizeProfiles, profileInProcess, busyText };
