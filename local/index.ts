/**
 * `faas-grip-cdk/local`: run GRIP and native WebSocket handlers on a laptop and in tests. Private Pushpin
 * instances, a JWT gate for their publish API, an API Gateway front door for HTTP/GRIP handlers, an API Gateway
 * WebSocket API emulator with its management API, and an in-memory DynamoDB with the connection table.
 */

export {
  createLambdaContext,
  invokeHandler,
  type LambdaHandler,
  type LocalFunctionInfo,
  type LocalLambdaContext,
} from './apigw-websocket/lambda-context';
export type { WebSocketApiEvent, WebSocketAuthorizerEvent } from './apigw-websocket/websocket-api-events';
export {
  type EmulatorCredentials,
  runCredentials,
  startWebSocketEmulator,
  type WebSocketEmulator,
  type WebSocketEmulatorOptions,
} from './apigw-websocket/websocket-emulator';
export {
  type DevServer,
  type DevServerOptions,
  type DevServerUrls,
  describeDevServer,
  startDevServer,
} from './dev-server/dev-server';
export { buildGripUrl, type GripUrlParts } from './grip/grip-url-builder';
export type { EventVersionName, HttpV2Event, RestProxyEvent } from './grip/proxy-event';
export {
  checkBearer,
  type PublishGate,
  type PublishGateOptions,
  type PublishSink,
  startPublishGate,
} from './grip/publish-gate';
export {
  findPushpin,
  type PushpinInstance,
  type PushpinRouteOptions,
  type StartPushpinOptions,
  startPushpin,
} from './grip/pushpin';
export { type RestFrontDoor, type RestFrontDoorOptions, startRestFrontDoor } from './grip/rest-front-door';
export { type GripStack, type GripStackOptions, LOCAL_PUBLISH_ISS, startGripStack } from './stack/grip-stack';
export {
  createConnectionTable,
  type LocalDynamo,
  type LocalDynamoOptions,
  localDynamoClient,
  startLocalDynamo,
} from './stack/local-dynamo';
export { type NativeStack, type NativeStackOptions, startNativeStack } from './stack/native-stack';
export { freePort, freePorts } from './support/free-port';
