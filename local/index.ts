/**
 * `faas-grip-cdk/local`: run GRIP and native WebSocket handlers on a laptop and in tests. Private Pushpin
 * instances, a JWT gate for their publish API, an API Gateway front door for HTTP/GRIP handlers, an API Gateway
 * WebSocket API emulator with its management API, and an in-memory DynamoDB with the connection table.
 */

export {
  type DevServer,
  type DevServerOptions,
  type DevServerUrls,
  describeDevServer,
  startDevServer,
} from './dev-server';
export { freePort, freePorts } from './free-port';
export { type GripStack, type GripStackOptions, LOCAL_PUBLISH_ISS, startGripStack } from './grip-stack';
export { buildGripUrl, type GripUrlParts } from './grip-url-builder';
export {
  createLambdaContext,
  invokeHandler,
  type LambdaHandler,
  type LocalFunctionInfo,
  type LocalLambdaContext,
} from './lambda-context';
export {
  createConnectionTable,
  type LocalDynamo,
  type LocalDynamoOptions,
  localDynamoClient,
  startLocalDynamo,
} from './local-dynamo';
export { type NativeStack, type NativeStackOptions, startNativeStack } from './native-stack';
export type { HttpV2Event, PayloadFormat, RestProxyEvent } from './proxy-event';
export {
  checkBearer,
  type PublishGate,
  type PublishGateOptions,
  type PublishSink,
  startPublishGate,
} from './publish-gate';
export {
  findPushpin,
  type PushpinInstance,
  type PushpinRouteOptions,
  type StartPushpinOptions,
  startPushpin,
} from './pushpin';
export { type RestFrontDoor, type RestFrontDoorOptions, startRestFrontDoor } from './rest-front-door';
export type { WebSocketApiEvent, WebSocketAuthorizerEvent } from './websocket-api-events';
export {
  type EmulatorCredentials,
  runCredentials,
  startWebSocketEmulator,
  type WebSocketEmulator,
  type WebSocketEmulatorOptions,
} from './websocket-emulator';
