/**
 * The runtime's outbound HTTP plumbing, shared by the GRIP publisher's POST and the management API sender:
 * node:http(s) through one keep-alive agent per protocol, a timeout that bounds the whole call (connect, send and
 * the complete response: a response that trickles in is cut off like a silent one), no redirects, and a bounded
 * read of the answer.
 *
 * Whether a failed call may have taken effect is told apart: {@link TimeoutError}`.requestSent`, and
 * {@link requestWasSent} for any error, are true once the whole request was handed to the network. Before that
 * the server cannot have acted on it (a request body is incomplete) and a retry is safe; after it, the server may
 * have acted. The one exception is the keep-alive race: a reused idle socket that the server had already closed
 * answers with a reset before any response, which means the request was never processed.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TimeoutError } from './errors';

/** Bytes of an answer's body kept (the rest is read and dropped): error bodies are a few dozen bytes. */
export const MAX_ANSWER_BYTES = 65_536;

// One pool per protocol for the whole runtime: a warm Lambda reuses its connections between invocations.
// Idle sockets are unref'd by the agents, so they never hold the process open.
const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/** Where a call goes. `path` is sent as given (already percent-encoded), with its query string. */
export interface HttpTarget {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
}

/** One outbound request. */
export interface HttpCall {
  readonly method: string;
  readonly target: HttpTarget;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  /** The whole call, from connect to the last byte of the answer, must finish within this. */
  readonly timeoutMs: number;
}

/** What a call answered: status, headers and the start of the body as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The target of an absolute URL. */
export function targetOf(url: URL): HttpTarget {
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port,
    path: url.pathname + url.search,
  };
}

/** True when the error came after the whole request was sent (so the call may have taken effect). */
export function requestWasSent(error: unknown): boolean {
  return (error as { requestSent?: unknown } | null)?.requestSent === true;
}

/**
 * Sends one request and reads the answer (any status). Rejects with {@link TimeoutError} when `timeoutMs` passes
 * first, or with the network error; either carries `requestSent`.
 */
export function httpCall(call: HttpCall): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const secure = call.target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const length = typeof call.body === 'string' ? Buffer.byteLength(call.body) : call.body.byteLength;
    let sent = false;
    let answered = false;
    let settled = false;
    const settle = (error: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(answer as HttpAnswer);
    };
    const request = send(
      {
        method: call.method,
        hostname: call.target.hostname,
        port: call.target.port,
        path: call.target.path,
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...call.headers, 'content-length': String(length) },
      },
      (response: IncomingMessage) => {
        answered = true;
        const kept: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) kept.push(chunk);
          size += chunk.length;
        });
        response.on('error', (error) => settle(marked(error, true)));
        response.on('end', () => {
          const body = Buffer.concat(kept).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
          settle(undefined, { status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    request.on('finish', () => {
      sent = true;
    });
    const timer = setTimeout(() => {
      const error = new TimeoutError(
        sent
          ? `no complete answer within ${call.timeoutMs} ms (the request was sent: it may have taken effect)`
          : `request not sent within ${call.timeoutMs} ms`,
        { requestSent: sent },
      );
      settle(error);
      request.destroy(error);
    }, call.timeoutMs);
    request.on('error', (error: Error & { code?: string }) => {
      const staleSocket = request.reusedSocket && error.code === 'ECONNRESET' && !answered;
      settle(marked(error, sent && !staleSocket));
    });
    request.end(call.body);
  });
}

function marked(error: Error, requestSent: boolean): Error {
  if (!(error instanceof TimeoutError)) (error as Error & { requestSent?: boolean }).requestSent = requestSent;
  return error;
}
