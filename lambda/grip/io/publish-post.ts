/**
 * One POST to a control API, for the publisher: node:http(s) through the runtime's keep-alive agents by default
 * (a fraction of the CPU of global fetch; the plumbing is shared with the management API sender, ../http-call.ts),
 * or an injected fetch. Each follows no redirect and gives up after its timeout, or sooner when the invocation's
 * deadline comes first (../deadline.ts).
 */
import { callTimeout } from '../../core/deadline';
import { httpCall, targetOf } from '../../core/http-call';

/** What one POST answered: the status and the start of the body as text. */
export interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Sends one POST; rejects on a network error or, with a `TimeoutError`, when `timeoutMs` passes first. */
export type Post = (url: URL, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<Answer>;

/** node:http(s) through the keep-alive agents; follows no redirect; the timer covers connect to body end. */
export async function postWithNode(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<Answer> {
  const answer = await httpCall({
    method: 'POST',
    target: targetOf(url),
    headers,
    body,
    timeoutMs: callTimeout(undefined, timeoutMs),
  });
  return { status: answer.status, text: answer.body };
}

/** The same POST through an injected fetch (redirects not followed, aborted after `timeoutMs` or the deadline). */
export function postWithFetch(fetchFn: typeof fetch): Post {
  return async (url, headers, body, timeoutMs) => {
    const response = await fetchFn(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(callTimeout(undefined, timeoutMs)),
    });
    return { status: response.status, text: await response.text() };
  };
}
