/** Handshake helpers of the WebSocket emulator: refusals, `$connect` results, and the authorizer step. */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LambdaHandler } from './lambda-context';
import {
  authorizerEvent,
  type ConnectionInfo,
  type HandshakeInfo,
  type WebSocketApiInfo,
} from './websocket-api-events';
import {
  type AuthorizerOutcome,
  authorizerFailure,
  evaluateAuthorizerResult,
  hasIdentity,
} from './websocket-authorizer';

/** Answers a refused handshake with an HTTP status and JSON body, then closes the socket. */
export function refuse(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A field of a handler result, if the result is an object. */
export function field(result: unknown, name: string): unknown {
  return typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[name] : undefined;
}

/** A header of a handler result, by case-insensitive name. */
export function headerOf(result: unknown, name: string): string | undefined {
  const headers = field(result, 'headers');
  if (typeof headers !== 'object' || headers === null) return undefined;
  const found = Object.entries(headers).find(([n]) => n.toLowerCase() === name);
  return found === undefined ? undefined : String(found[1]);
}

/** The authorizer settings of an emulator. */
export interface AuthorizerSettings {
  readonly authorizer?: LambdaHandler;
  readonly identitySource?: readonly string[];
  /** Receives the error of an authorizer that threw. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Runs the `$connect` authorizer step: allowed when no authorizer is configured, 401 when an identity source is
 * missing (without calling the authorizer), otherwise the authorizer's policy decides.
 */
export async function authorize(
  settings: AuthorizerSettings,
  connection: ConnectionInfo,
  api: WebSocketApiInfo,
  handshake: HandshakeInfo,
  invoke: (handler: LambdaHandler, event: unknown) => Promise<unknown>,
): Promise<AuthorizerOutcome> {
  if (!settings.authorizer) return { allowed: true, context: {} };
  if (!hasIdentity(handshake, settings.identitySource ?? ['route.request.querystring.token'])) {
    return { allowed: false, status: 401, message: 'Unauthorized' };
  }
  const event = authorizerEvent(connection, api, handshake);
  try {
    return evaluateAuthorizerResult(await invoke(settings.authorizer, event), event.methodArn);
  } catch (error) {
    const outcome = authorizerFailure(error);
    // A throwing authorizer is reported like a throwing handler (its `Unauthorized` is an answer, not a failure).
    if (!outcome.allowed && outcome.status === 500) settings.onError?.(error);
    return outcome;
  }
}
