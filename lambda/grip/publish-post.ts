/**
 * One POST to a control API, for the publisher: node:http(s) through keep-alive agents by default (a fraction of
 * the CPU of global fetch), or an injected fetch. Each follows no redirect and gives up after a timeout.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Bytes of a response body kept for the error message (the rest is read and dropped). */
const MAX_KEPT_BODY_BYTES = 65_536;

// One pool per protocol for the whole runtime: a warm Lambda reuses its connections between invocations.
// Idle sockets are unref'd by the agents, so they never hold the process open.
const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/** What one POST answered: the status and the start of the body as text. */
export interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Sends one POST; rejects on a network error or, with a `TimeoutError`, when `timeoutMs` passes first. */
export type Post = (url: URL, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<Answer>;

/** node:http(s) `request` through the keep-alive agents; follows no redirect; the timer covers connect to body end. */
export function postWithNode(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const options = {
      method: 'POST',
      agent: secure ? httpsAgent : httpAgent,
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
    };
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error);
    };
    const request = send(url, options, (response: IncomingMessage) => {
      const kept: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_KEPT_BODY_BYTES) kept.push(chunk);
        size += chunk.length;
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(kept).subarray(0, MAX_KEPT_BODY_BYTES).toString('utf8');
        resolve({ status: response.statusCode ?? 0, text });
      });
    });
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      fail(error);
      request.destroy(error);
    }, timeoutMs);
    request.on('error', fail);
    request.end(body);
  });
}

/** The same POST through an injected fetch (redirects not followed, aborted after `timeoutMs`). */
export function postWithFetch(fetchFn: typeof fetch): Post {
  return async (url, headers, body, timeoutMs) => {
    const response = await fetchFn(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, text: await response.text() };
  };
}
