/**
 * A local API Gateway WebSocket API: a `ws` server that turns connections and frames into the events API Gateway
 * sends ($connect, routes chosen by `$request.body.action`, $disconnect), runs an optional `$connect` REQUEST
 * authorizer, enforces API Gateway's limits (idle timeout, maximum connection age, 32 KB frames, no binary frames),
 * and serves the management API (`/{stage}/@connections/{id}`) and a Lambda Invoke endpoint on the same port.
 * Handlers run concurrently, as on AWS: nothing orders the invocations of one connection. Both APIs require
 * SigV4 signatures made with the emulator's credentials and refuse requests from web pages, as AWS's do.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { refuseBrowserRequest } from '../support/browser-guard';
import { headerPairs, listen, sendJson, sourceIp, stopServer } from '../support/http-io';
import { apiGatewayId, apiId as newApiId } from '../support/ids';
import { InFlight } from '../support/in-flight';
import { type AsyncInvocationOptions, asyncInvoker, type FailedInvocation } from './async-invocations';
import { invokeHandler, type LambdaHandler, type LocalFunctionInfo } from './lambda-context';
import { handleLambdaInvoke } from './lambda-invoke-api';
import { handleManagementRequest } from './management-api';
import { selectRoute } from './route-selection';
import {
  connectEvent,
  disconnectEvent,
  type HandshakeInfo,
  messageEvent,
  type WebSocketApiInfo,
} from './websocket-api-events';
import { type ConnectionHost, EmulatedConnection } from './websocket-connection';
import { authorize, field, headerOf, refuse } from './websocket-handshake';

/** Options of {@link startWebSocketEmulator}. */
export interface WebSocketEmulatorOptions extends LocalFunctionInfo {
  /** The integration of every route. Receives {@link WebSocketApiEvent} events. */
  readonly handler: LambdaHandler;
  /** A `$connect` REQUEST authorizer returning an IAM policy for `event.methodArn` (and optional `context`). */
  readonly authorizer?: LambdaHandler;
  /** Identity sources of the authorizer; default `['route.request.querystring.token']`. Missing ones answer 401. */
  readonly identitySource?: readonly string[];
  /** Custom route keys besides `$connect`, `$disconnect` and `$default`. */
  readonly routes?: readonly string[];
  /** Route selection expression; default `$request.body.action`. */
  readonly routeSelectionExpression?: string;
  /**
   * Two-way routes: the route keys (`*` for all) whose integration result's `body` is sent back to the client, as
   * API Gateway does for a route with a route response (RouteResponseSelectionExpression `$default`).
   * @default - none: every route is one-way
   */
  readonly routeResponses?: readonly string[];
  /** Port to listen on; default 0 (a free port). */
  readonly port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Stage name (the URL path); default `local`. */
  readonly stage?: string;
  /** API id in events; default random. */
  readonly apiId?: string;
  /** Idle timeout in ms (no message from the client); default 10 minutes, as on AWS. */
  readonly idleTimeout?: number;
  /** Maximum connection age in ms; default 2 hours, as on AWS. */
  readonly maxConnectionAge?: number;
  /** Largest client message in bytes, in one frame or several; default 128 KiB, as on AWS. */
  readonly maxMessageBytes?: number;
  /**
   * Largest client frame in bytes; a bigger one closes the connection with 1009 (browsers send a message as one
   * frame, so for them this is the message limit); default 32 KiB, as on AWS.
   */
  readonly maxFrameBytes?: number;
  /**
   * Credentials the management and Lambda Invoke APIs check SigV4 signatures against, as AWS does: give the
   * handlers' SDK clients the same ones.
   * @default - access key id `local` with a secret generated for this run (see `WebSocketEmulator.credentials`)
   */
  readonly credentials?: EmulatorCredentials;
  /** Called with handler and authorizer errors; default `console.error`. */
  /**
   * How `Event` invocations through the Lambda Invoke API are retried, and where the ones that still fail go.
   * @default - Lambda's two retries (after short delays), failures kept in the emulator's `failedInvocations`
   */
  readonly asyncInvocations?: AsyncInvocationOptions;
  /**
   * A certificate to also speak TLS on the same port (`https://` management API, `wss://`), for apps that build
   * the callback URL from the event (`https://{domainName}/{stage}`). Its processes must trust the certificate.
   * @default - plain HTTP and WebSocket only
   */
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly onError?: (error: unknown) => void;
}

/** The key pair an emulator's APIs require signatures from. */
export interface EmulatorCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A key pair for one run: access key id `local`, a random 256-bit secret. */
export function runCredentials(): EmulatorCredentials {
  return { accessKeyId: 'local', secretAccessKey: randomBytes(32).toString('hex') };
}

/** A running emulator. */
export interface WebSocketEmulator {
  /** The WebSocket URL clients connect to: `ws://<host>:<port>/<stage>`. */
  readonly url: string;
  /** Management API endpoint for `ApiGatewayManagementApiClient` (`http://<host>:<port>/<stage>`). */
  readonly managementEndpoint: string;
  /** Lambda endpoint for `LambdaClient` / `AWS_ENDPOINT_URL_LAMBDA`. */
  readonly lambdaEndpoint: string;
  readonly port: number;
  readonly stage: string;
  readonly apiId: string;
  /** The key pair the management and Lambda Invoke APIs require signatures from. */
  readonly credentials: EmulatorCredentials;
  /** Ids of the open connections. */
  connectionIds(): string[];
  /** The on-failure destination: asynchronous invocations that failed every attempt, oldest first. */
  readonly failedInvocations: readonly FailedInvocation[];
  /** Resolves once no asynchronous invocation is running or waiting for a retry. */
  asyncIdle(): Promise<void>;
  /** Closes every connection (1001, without `$disconnect`), stops listening and waits for running handlers. */
  stop(): Promise<void>;
}

/** API Gateway's limits on client messages: 128 KB a message, 32 KB a frame (a bigger message comes in frames). */
const MAX_MESSAGE_BYTES = 128 * 1024;
const MAX_FRAME_BYTES = 32 * 1024;

/**
 * Refuses a data frame over `limit` bytes with 1009, as API Gateway does, while a message of several frames may
 * reach the message limit. `ws` checks one limit for both, so its receiver's length step is wrapped (ws 8).
 */
function limitFrames(ws: import('ws').WebSocket, limit: number): void {
  const receiver = (ws as unknown as { _receiver?: FrameReceiver })._receiver;
  if (receiver === undefined || typeof receiver.haveLength !== 'function') return;
  const haveLength = receiver.haveLength.bind(receiver);
  receiver.haveLength = (cb) => {
    if (receiver._opcode < 0x08 && receiver._payloadLength > limit) {
      cb(receiver.createError(RangeError, 'Max frame size exceeded', false, 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
      return;
    }
    haveLength(cb);
  };
}

/** The part of ws's receiver the frame limit uses. */
interface FrameReceiver {
  _opcode: number;
  _payloadLength: number;
  haveLength(cb: (error?: Error) => void): void;
  createError(type: typeof RangeError, message: string, prefix: boolean, code: number, name: string): Error;
}

/** The first byte of a TLS connection (a handshake record). */
const TLS_HANDSHAKE = 0x16;

function listenNet(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** Starts an emulator; resolves once it listens. */
export async function startWebSocketEmulator(options: WebSocketEmulatorOptions): Promise<WebSocketEmulator> {
  const stage = options.stage ?? 'local';
  const api: WebSocketApiInfo = {
    apiId: options.apiId ?? newApiId(),
    stage,
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '123456789012',
  };
  const routes = new Set(options.routes ?? []);
  const routeResponses = new Set(options.routeResponses ?? []);
  const twoWay = (routeKey: string) => routeResponses.has(routeKey) || routeResponses.has('*');
  const credentials = options.credentials ?? runCredentials();
  const onError = options.onError ?? ((error: unknown) => console.error('websocket emulator: handler failed:', error));
  const connections = new Map<string, EmulatedConnection>();
  const inFlight = new InFlight();
  const protocols = new WeakMap<IncomingMessage, string>();
  let stopping = false;
  const invoke = (handler: LambdaHandler, event: unknown) => inFlight.track(invokeHandler(handler, event, options));
  const asyncInvocations = asyncInvoker((event) => invoke(options.handler, event), {
    onError,
    onFailure: (failed) =>
      console.error(
        `websocket emulator: an asynchronous invocation failed ${failed.attempts} times and went to the on-failure destination:`,
        failed.error.message,
      ),
    ...options.asyncInvocations,
  });

  const host: ConnectionHost = {
    idleTimeoutMs: options.idleTimeout ?? 10 * 60_000,
    maxAgeMs: options.maxConnectionAge ?? 2 * 60 * 60_000,
    onMessage(connection, text) {
      const routeKey = selectRoute(text, routes, options.routeSelectionExpression);
      const event = messageEvent(connection, api, routeKey, text);
      invoke(options.handler, event).then(
        (result) => {
          // A two-way route answers the client with the integration's body (API Gateway's route response).
          const body = field(result, 'body');
          if (connection.open && typeof body === 'string' && twoWay(routeKey)) connection.send(Buffer.from(body));
        },
        (error: unknown) => {
          onError(error);
          const reply = {
            message: 'Internal server error',
            connectionId: connection.connectionId,
            requestId: event.requestContext.requestId,
          };
          if (connection.open) connection.send(Buffer.from(JSON.stringify(reply)));
        },
      );
    },
    onClosed(connection, status) {
      connections.delete(connection.connectionId);
      if (stopping) return;
      invoke(options.handler, disconnectEvent(connection, api, status.code, status.reason)).catch(onError);
    },
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    handleProtocols: (_offered, req) => protocols.get(req) ?? false,
  });

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy()); // a client that resets mid-handshake must not crash the emulator
    const [path, rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s);
    if (stopping || (path !== `/${stage}` && path !== `/${stage}/`))
      return refuse(socket, 403, '{"message":"Forbidden"}');
    const connection = new EmulatedConnection(
      apiGatewayId(),
      Date.now(),
      sourceIp(req),
      req.headers.host ?? '',
      req.headers['user-agent'],
      host,
    );
    connections.set(connection.connectionId, connection);
    const handshake: HandshakeInfo = { headers: headerPairs(req), rawQuery };
    const fail = (status: number, body: string) => {
      connections.delete(connection.connectionId);
      refuse(socket, status, body);
    };
    const auth = await authorize({ ...options, onError }, connection, api, handshake, invoke);
    if (!auth.allowed) return fail(auth.status, JSON.stringify({ message: auth.message }));
    if (options.authorizer) connection.authorizer = auth.context;
    let result: unknown;
    try {
      result = await invoke(options.handler, connectEvent(connection, api, handshake));
    } catch (error) {
      onError(error);
      return fail(500, '{"message":"Internal server error"}');
    }
    const status = field(result, 'statusCode');
    if (typeof status === 'number' && (status < 200 || status > 299)) {
      const body = field(result, 'body');
      return fail(status, typeof body === 'string' ? body : '');
    }
    if (stopping || socket.destroyed) return stopping ? fail(503, '') : connection.abandon();
    const protocol = headerOf(result, 'sec-websocket-protocol');
    if (protocol !== undefined) protocols.set(req, protocol);
    wss.handleUpgrade(req, socket, head, (ws) => {
      limitFrames(ws, options.maxFrameBytes ?? MAX_FRAME_BYTES);
      connection.attach(ws);
    });
  };

  const server: Server = createServer((req, res) => {
    const answer = async () => {
      if (refuseBrowserRequest(req, res)) return;
      if (
        await handleManagementRequest(req, res, {
          stage,
          lookup: (id) => connections.get(id),
          credentials,
        })
      )
        return;
      const target = {
        functionName: options.functionName,
        credentials,
        invoke: (event: unknown) => invoke(options.handler, event),
        invokeAsync: (event: unknown) => asyncInvocations.invokeAsync(event),
      };
      if (await handleLambdaInvoke(req, res, target)) return;
      req.resume();
      sendJson(res, 403, { message: 'Forbidden' }, { 'x-amzn-ErrorType': 'ForbiddenException' });
    };
    answer().catch((error: unknown) => {
      onError(error);
      res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch((error: unknown) => {
      onError(error);
      refuse(socket, 500, '{"message":"Internal server error"}');
    });
  });

  const bindHost = options.host ?? '127.0.0.1';
  // With TLS, one port speaks both: a connection starting with a TLS handshake goes to an HTTPS server with the
  // same handlers, so `https://{domainName}/{stage}` (the callback URL AWS's docs build from the event) and `wss://`
  // work beside `http://` and `ws://`.
  const secure = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }) : undefined;
  let front: NetServer | undefined;
  // The sniffing server's sockets: a stop ends them (a client's idle keep-alive would hold the stop until it expires).
  const accepted = new Set<Socket>();
  if (secure) {
    for (const listener of server.listeners('request')) secure.on('request', listener as never);
    for (const listener of server.listeners('upgrade')) secure.on('upgrade', listener as never);
    const sniffing = createNetServer((socket) => {
      accepted.add(socket);
      socket.once('close', () => accepted.delete(socket));
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        (first[0] === TLS_HANDSHAKE ? secure : server).emit('connection', socket);
        process.nextTick(() => socket.resume());
      });
      socket.on('error', () => socket.destroy());
    });
    front = sniffing;
  }
  const port = front
    ? await listenNet(front, options.port ?? 0, bindHost)
    : await listen(server, options.port ?? 0, bindHost);
  const base = `${bindHost}:${port}`;
  return {
    url: `ws://${base}/${stage}`,
    managementEndpoint: `http://${base}/${stage}`,
    lambdaEndpoint: `http://${base}`,
    port,
    stage,
    apiId: api.apiId,
    credentials,
    connectionIds: () => [...connections.values()].filter((c) => c.open).map((c) => c.connectionId),
    failedInvocations: asyncInvocations.failed,
    asyncIdle: () => asyncInvocations.idle(),
    stop: async () => {
      stopping = true;
      const closingFront = front ? new Promise<void>((resolve) => front?.close(() => resolve())) : Promise.resolve();
      await stopServer(server, async () => {
        await Promise.all([...connections.values()].map((c) => c.shutdown(1_000)));
        connections.clear();
        wss.close();
      });
      secure?.closeAllConnections();
      for (const socket of accepted) socket.destroy();
      await closingFront;
      await asyncInvocations.idle();
      await inFlight.drain();
    },
  };
}
