/**
 * Bench server: a plain in-memory `ws` broadcast server (no permessage-deflate), the low-latency alternative
 * seed 003 names. Every message is sent as `anonymous: <text>` to every client, the sender included.
 * Prints { wsUrl }.
 */
'use strict';

const { WebSocketServer } = require('ws');
const { ready } = require('../lib/child');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const line = `anonymous: ${data.toString('utf8')}`;
    for (const client of wss.clients) client.send(line);
  });
});
wss.on('listening', () => {
  ready({ wsUrl: `ws://127.0.0.1:${wss.address().port}/chat` }, () => {
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(resolve));
  });
});
