/**
 * Bench server: the chat handler as shipped (assets/chat/index.js) behind the local REST front door, with a
 * private Pushpin in front (WebSocket-over-HTTP) and the handler publishing to that Pushpin. Grip-Sig is
 * verified and publishes carry a JWT, as in production (the instance's gate checks it). Prints { wsUrl, publishUrl }.
 */
'use strict';

const path = require('node:path');
const { ready } = require('../lib/child');

const root = path.join(__dirname, '..', '..');
const local = require(path.join(root, 'dist', 'local', 'index.js'));

async function main() {
  let handler;
  const door = await local.startRestFrontDoor({
    handler: (event, context) => handler(event, context),
    functionName: 'bench-chat',
    onError: (error) => console.error('chat handler failed:', error),
  });
  const pushpin = await local.startPushpin({
    target: `127.0.0.1:${door.port}`,
    route: { pathBeg: '/', replaceBeg: `${new URL(door.url).pathname}/`, host: door.hostHeader },
  });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-chat',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // Publishes go through the instance's JWT gate; Grip-Sig is verified with the instance's key.
    GRIP_URL: pushpin.gripUrl,
  });
  handler = require(path.join(root, 'assets', 'chat-grip', 'index.js')).handler;
  ready({ wsUrl: `ws://127.0.0.1:${pushpin.httpPort}/chat`, publishUrl: pushpin.publishUrl }, async () => {
    await pushpin.stop();
    await door.stop();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
