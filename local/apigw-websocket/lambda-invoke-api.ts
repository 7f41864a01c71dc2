/**
 * A minimal Lambda Invoke endpoint (`POST /2015-03-31/functions/{name}/invocations`) so a handler can invoke itself
 * asynchronously through the unchanged `@aws-sdk/client-lambda` with `AWS_ENDPOINT_URL_LAMBDA` pointing here.
 * `Event` answers 202 and runs the handler in the background; `RequestResponse` runs it and answers its JSON result
 * (a thrown error becomes `X-Amz-Function-Error: Unhandled`); `DryRun` answers 204.
 *
 * As the real Lambda API, it runs nothing for an unauthenticated caller: every request must be SigV4-signed with
 * the run's credentials (403 otherwise); the emulator also refuses requests a web page made (browser-guard.ts), so
 * a page in the developer's browser cannot inject events into the running function.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SigningCredentials } from '../../lambda/native/sigv4';
import { readBody, sendJson } from '../support/http-io';
import { verifySigV4 } from './sigv4-verify';

/** Lambda's payload limits: 6 MB synchronous, 1 MB asynchronous. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;

/** What the invoke endpoint needs from its host. */
export interface LambdaInvokeTarget {
  /** The function's name; any name is accepted when undefined. */
  readonly functionName?: string;
  /** The credentials every request must be SigV4-signed with. */
  readonly credentials: Pick<SigningCredentials, 'accessKeyId' | 'secretAccessKey'>;
  /** Runs the handler with `event`. */
  invoke(event: unknown): Promise<unknown>;
  /** Runs the handler in the background (tracked for shutdown, errors reported). */
  invokeAsync(event: unknown): void;
}

/** Whether `requested` (name, ARN or partial ARN, optionally qualified) names `functionName`. */
export function namesFunction(requested: string, functionName: string | undefined): boolean {
  if (functionName === undefined) return true;
  const at = requested.indexOf(':function:');
  const name = (at < 0 ? requested : requested.slice(at + ':function:'.length)).split(':')[0];
  return name === functionName;
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { Type: 'User', message }, { 'x-amzn-ErrorType': type });
}

/** Answers `req` if it is an Invoke request; returns false otherwise. */
export async function handleLambdaInvoke(
  req: IncomingMessage,
  res: ServerResponse,
  target: LambdaInvokeTarget,
): Promise<boolean> {
  const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec((req.url ?? '/').split('?')[0]);
  if (!match || req.method !== 'POST') return false;
  const requested = decodeURIComponent(match[1]);
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
  const body = await readBody(req, limit);
  const path = (req.url ?? '/').split('?')[0];
  const refusal = await verifySigV4(
    { method: 'POST', path, headers: req.headers, body: body ?? Buffer.alloc(0) },
    target.credentials,
  );
  if (refusal) {
    error(res, refusal.status, refusal.type, refusal.message);
    return true;
  }
  if (!namesFunction(requested, target.functionName)) {
    error(res, 404, 'ResourceNotFoundException', `Function not found: ${requested}`);
    return true;
  }
  if (body === undefined) {
    error(res, 413, 'RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for ${type}`);
    return true;
  }
  let event: unknown = {};
  try {
    if (body.length > 0) event = JSON.parse(body.toString('utf8'));
  } catch {
    error(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    return true;
  }
  if (type === 'DryRun') {
    res.writeHead(204);
    res.end();
  } else if (type === 'Event') {
    target.invokeAsync(event);
    res.writeHead(202, { 'Content-Length': 0 });
    res.end();
  } else {
    await answerSync(res, target, event);
  }
  return true;
}

async function answerSync(res: ServerResponse, target: LambdaInvokeTarget, event: unknown): Promise<void> {
  try {
    const result = await target.invoke(event);
    const text = JSON.stringify(result === undefined ? null : result);
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' });
    res.end(text);
  } catch (thrown) {
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    const text = JSON.stringify({
      errorType: err.name,
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    });
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'X-Amz-Executed-Version': '$LATEST',
      'X-Amz-Function-Error': 'Unhandled',
    });
    res.end(text);
  }
}
