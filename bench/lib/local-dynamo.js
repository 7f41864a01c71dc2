/**
 * The local DynamoDB the table benches measure against: dynalite in this process (the package's own local stack,
 * from dist/), the runtime's environment pointed at it, and a bare document client for the anchor calls.
 */
'use strict';

const path = require('node:path');

const dist = (p) => path.join(__dirname, '..', '..', 'dist', p);

/**
 * Starts dynalite, sets the SDK environment (plus `env`), drops the runtime's container state (clients made for
 * another endpoint), and returns it with a bare document client.
 */
async function startBenchDynamo(env = {}) {
  const localDynamo = require(dist('local/stack/local-dynamo.js'));
  const dynamo = await localDynamo.startLocalDynamo();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  // A bench before this one may have left the runtime's clients pointed at its own (stopped) endpoint.
  require(dist('lambda/core/container.js')).resetContainer();
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return {
    endpoint: dynamo.endpoint,
    client,
    localDynamo,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
}

module.exports = { dist, startBenchDynamo };
