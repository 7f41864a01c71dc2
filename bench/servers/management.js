/**
 * Bench server: the local API Gateway management API (local/apigw-websocket/management-api.ts) with a fixed latency injected
 * before every call and every connection id open. Counts the posts; `GET /__stats` answers { posts }.
 * Usage: node management.js <latencyMs> <stage>. Prints { endpoint, port }.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');
const { ready } = require('../lib/child');

const { handleManagementRequest } = require(
  path.join(__dirname, '..', '..', 'dist', 'local', 'apigw-websocket', 'management-api.js'),
);

const latencyMs = Number(process.argv[2] ?? 10);
const stage = process.argv[3] ?? 'bench';
let posts = 0;
const connection = {
  connectedAt: Date.now(),
  lastActiveAt: Date.now(),
  sourceIp: '127.0.0.1',
  open: true,
  send: () => {
    posts++;
  },
  disconnect: () => {},
};
const target = { stage, lookup: () => connection };

const server = http.createServer((req, res) => {
  if (req.url === '/__stats') {
    res.end(JSON.stringify({ posts }));
    return;
  }
  setTimeout(() => {
    handleManagementRequest(req, res, target).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end();
      }
    });
  }, latencyMs);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  ready({ endpoint: `http://127.0.0.1:${port}/${stage}`, port }, () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
});
