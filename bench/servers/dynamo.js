/** Bench server: the local DynamoDB (dynalite) with an empty connection table. Prints { endpoint, tableName }. */
'use strict';

const path = require('node:path');
const { ready } = require('../lib/child');

const local = require(path.join(__dirname, '..', '..', 'dist', 'local', 'stack', 'local-dynamo.js'));

async function main() {
  const dynamo = await local.startLocalDynamo();
  const tableName = await local.createConnectionTable(dynamo.endpoint, 'faas-grip-bench');
  ready({ endpoint: dynamo.endpoint, tableName }, dynamo.stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
