import { isNativeEvent } from '../aws/event-kind';
import { TransportNotSupportedError } from '../core/errors';

/** The three kinds of API Gateway WebSocket events. */
export type NativeEventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

/** An API Gateway WebSocket event (`$connect`, `$default` or a custom route, `$disconnect`), read. */
export interface NativeEvent {
  readonly type: NativeEventType;
  readonly connectionId: string;
  /** `$connect`, `$disconnect`, `$default` or a custom route key. */
  readonly routeKey: string;
  /** The stage name, when the event carries it. */
  readonly stage?: string;
  /** MESSAGE: the message; bytes when API Gateway base64-encoded it (a binary frame). */
  readonly message?: { readonly binary: boolean; readonly content: Uint8Array };
  /** CONNECT: request headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** CONNECT: query string parameters. */
  readonly query: Readonly<Record<string, string>>;
  /** The authorizer's context, when a `$connect` authorizer ran. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
  /** DISCONNECT: the close code and reason API Gateway reports. */
  readonly disconnect?: { readonly statusCode?: number; readonly reason?: string };
}

interface RawContext {
  connectionId?: unknown;
  eventType?: unknown;
  routeKey?: unknown;
  stage?: unknown;
  authorizer?: unknown;
  disconnectStatusCode?: unknown;
  disconnectReason?: unknown;
}

/** Reads an API Gateway WebSocket event. Throws TransportNotSupportedError for any other event. */
export function readNativeEvent(event: unknown): NativeEvent {
  const ctx = requestContext(event);
  if (!isNativeEvent(event) || !ctx) {
    throw new TransportNotSupportedError(
      'event is not from an API Gateway WebSocket API (no requestContext.connectionId with eventType CONNECT, ' +
        'MESSAGE or DISCONNECT): route $connect, $default and $disconnect to this function, or use a GRIP proxy',
    );
  }
  const raw = event as {
    body?: unknown;
    isBase64Encoded?: unknown;
    headers?: unknown;
    queryStringParameters?: unknown;
  };
  const type = ctx.eventType as NativeEventType;
  const binary = raw.isBase64Encoded === true;
  const body = typeof raw.body === 'string' ? raw.body : '';
  return {
    type,
    connectionId: ctx.connectionId as string,
    routeKey: typeof ctx.routeKey === 'string' ? ctx.routeKey : defaultRouteKey(type),
    stage: typeof ctx.stage === 'string' ? ctx.stage : undefined,
    message:
      type === 'MESSAGE'
        ? { binary, content: binary ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8') }
        : undefined,
    headers: stringMap(raw.headers, true),
    query: stringMap(raw.queryStringParameters, false),
    authorizer: isObject(ctx.authorizer) ? (ctx.authorizer as Record<string, unknown>) : undefined,
    disconnect:
      type === 'DISCONNECT'
        ? {
            statusCode: typeof ctx.disconnectStatusCode === 'number' ? ctx.disconnectStatusCode : undefined,
            reason: typeof ctx.disconnectReason === 'string' ? ctx.disconnectReason : undefined,
          }
        : undefined,
  };
}

function requestContext(event: unknown): RawContext | undefined {
  if (!isObject(event)) return undefined;
  const ctx = (event as { requestContext?: unknown }).requestContext;
  return isObject(ctx) ? (ctx as RawContext) : undefined;
}

function defaultRouteKey(type: NativeEventType): string {
  return type === 'CONNECT' ? '$connect' : type === 'DISCONNECT' ? '$disconnect' : '$default';
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown, lowerCase: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[lowerCase ? name.toLowerCase() : name] = v;
  }
  return out;
}
