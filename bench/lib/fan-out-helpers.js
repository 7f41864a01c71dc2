/** Helpers of the fan-out bench: seeding channel members, bare HTTP posts, the management server's post count. */
'use strict';

const http = require('node:http');
const path = require('node:path');
const { nowMs } = require('./stats');

const dist = (...p) => require(path.join(__dirname, '..', '..', 'dist', ...p));

/** Writes `count` memberships of `channel` with BatchWriteItem (25 per call, 8 calls in flight). */
async function seedMembers(doc, tableName, channel, count, idOf = (j) => `bench${String(j).padStart(7, '0')}=`) {
  const { BatchWriteCommand } = require('@aws-sdk/lib-dynamodb');
  const { ConnectionTableSchema: S, CONNECTION_TTL_SECONDS } = dist('lambda', 'contract.js');
  // connected an hour ago: well past the opening grace of a 410
  const expiresAt = Math.floor(Date.now() / 1000) - 3600 + CONNECTION_TTL_SECONDS;
  const chunks = [];
  for (let i = 0; i < count; i += 25) {
    const items = [];
    for (let j = i; j < Math.min(count, i + 25); j++) {
      const id = idOf(j);
      items.push({ PutRequest: { Item: { pk: S.channelPrefix + channel, sk: S.connectionPrefix + id, expiresAt } } });
    }
    chunks.push(items);
  }
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let left = chunks[next++];
      while (left.length) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: left } }));
        left = out.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** N bare `node:http` POSTs to the same endpoint, `concurrency` in flight (no SDK, no signing, no store). */
async function barePosts(endpoint, count, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(endpoint);
  const post = (id) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: `${url.pathname}/@connections/${id}`, method: 'POST', agent },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject);
      req.end('x');
    });
  let next = 0;
  const worker = async () => {
    while (next < count) await post(`bench${String(next++).padStart(7, '0')}=`);
  };
  const t = nowMs();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = nowMs() - t;
  agent.destroy();
  return elapsed;
}

async function postCount(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  return (await res.json()).posts;
}

module.exports = { seedMembers, barePosts, postCount };
