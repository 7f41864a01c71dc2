/**
 * A local stand-in for API Gateway in front of a Lambda function: it turns HTTP requests into the proxy events a
 * REST API (payload 1.0, the default), an HTTP API (payload 2.0) or a Function URL would send, and the handler's
 * result back into the HTTP response those services would give. Like API Gateway it answers only to its own Host
 * and (for REST and staged HTTP APIs) only under `/{stage}/`; anything else gets 403 `{"message":"Forbidden"}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WEBSOCKET_EVENTS_CONTENT_TYPE } from '../../lambda/grip/grip-response';
import { invokeHandler, type LambdaHandler, type LocalFunctionInfo } from '../apigw-websocket/lambda-context';
import { headerPairs, listen, readBody, sourceIp, stopServer } from '../support/http-io';
import { apiId as newApiId } from '../support/ids';
import { InFlight } from '../support/in-flight';
import { type EventSettings, type EventVersionName, type FrontDoorRequest, restEvent, v2Event } from './proxy-event';
import { gatewayError, type HttpReply, jsonReply, restReply, v2Reply } from './proxy-result';

/** Options of {@link startRestFrontDoor}. */
export interface RestFrontDoorOptions extends LocalFunctionInfo {
  /** The function behind the door. Receives {@link RestProxyEvent} or {@link HttpV2Event} events. */
  readonly handler: LambdaHandler;
  /** Stage name, the first path segment of every URL; default `prod` (`$default` for `http-v2`: no prefix). */
  readonly stage?: string;
  /** Port to listen on; default 0 (a free port). */
  readonly port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Host header the door answers to; default `<host>:<port>`. */
  readonly hostHeader?: string;
  /** REST API binary media types; default `['application/websocket-events']`. */
  readonly binaryMediaTypes?: readonly string[];
  /** Event shape: `rest-v1` (default), `http-v2` or `function-url`. */
  readonly eventVersion?: EventVersionName;
  /** API id in events; default random. */
  readonly apiId?: string;
  /** Called with handler errors (which answer 502); default `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/** A running front door. */
export interface RestFrontDoor {
  /** Base URL including the stage, e.g. `http://127.0.0.1:4567/prod` (no stage for Function URLs). */
  readonly url: string;
  readonly port: number;
  /** The Host header value requests must carry (proxies in front must send it). */
  readonly hostHeader: string;
  /** Stops listening and waits for running invocations. */
  stop(): Promise<void>;
}

const FORBIDDEN: HttpReply = jsonReply(403, { message: 'Forbidden' }, { 'x-amzn-ErrorType': ['ForbiddenException'] });

/** Starts a front door; resolves once it listens. */
export async function startRestFrontDoor(options: RestFrontDoorOptions): Promise<RestFrontDoor> {
  const format = options.eventVersion ?? 'rest-v1';
  const stage = options.stage ?? (format === 'http-v2' ? '$default' : 'prod');
  const host = options.host ?? '127.0.0.1';
  const settings: EventSettings = {
    stage,
    apiId: options.apiId ?? newApiId(),
    accountId: options.accountId ?? '123456789012',
    binaryMediaTypes: options.binaryMediaTypes ?? [WEBSOCKET_EVENTS_CONTENT_TYPE],
  };
  const prefixed = format === 'rest-v1' || (format === 'http-v2' && stage !== '$default');
  const inFlight = new InFlight();
  const onError = options.onError ?? ((error: unknown) => console.error('rest front door: handler failed:', error));
  let hostHeader = options.hostHeader ?? '';

  const answer = async (req: IncomingMessage): Promise<HttpReply> => {
    if ((req.headers.host ?? '').toLowerCase() !== hostHeader.toLowerCase()) return FORBIDDEN;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const fullPath = queryAt < 0 ? url : url.slice(0, queryAt);
    let path = fullPath;
    if (prefixed) {
      const segments = fullPath.split('/');
      if (segments[1] !== stage) return FORBIDDEN;
      path = `/${segments.slice(2).join('/')}`;
    }
    const request: FrontDoorRequest = {
      method: req.method ?? 'GET',
      path,
      fullPath,
      rawQuery: queryAt < 0 ? '' : url.slice(queryAt + 1),
      headers: headerPairs(req),
      body: (await readBody(req)) ?? Buffer.alloc(0),
      sourceIp: sourceIp(req),
      host: req.headers.host ?? '',
    };
    const event = format === 'rest-v1' ? restEvent(request, settings) : v2Event(request, settings, format);
    let result: unknown;
    try {
      result = await inFlight.track(invokeHandler(options.handler, event, options));
    } catch (error) {
      onError(error);
      return gatewayError(format);
    }
    return format === 'rest-v1'
      ? restReply(result, req.headers.accept, settings.binaryMediaTypes)
      : v2Reply(result, format);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    answer(req).then(
      (reply) => {
        res.writeHead(reply.status, { ...reply.headers, 'Content-Length': reply.body.length });
        res.end(reply.body);
      },
      (error: unknown) => {
        onError(error);
        res.destroy();
      },
    );
  });
  const port = await listen(server, options.port ?? 0, host);
  if (!hostHeader) hostHeader = `${host}:${port}`;
  const base = `http://${host}:${port}`;
  return {
    url: prefixed ? `${base}/${stage}` : base,
    port,
    hostHeader,
    stop: () => stopServer(server, () => inFlight.drain()),
  };
}
