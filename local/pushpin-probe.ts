/**
 * Readiness of a starting Pushpin instance. Pushpin's internal ZMQ sockets join lazily, and the first request during
 * start-up can be lost (slow joiner), so each probe has a short timeout and is retried. Ready means a publish is
 * accepted and a proxied request made a full round trip (client port -> proxy -> zurl -> publish port and back).
 */
import { request } from 'node:http';

/** What {@link waitUntilReady} needs. */
export interface ReadinessInput {
  readonly httpUrl: string;
  readonly publishUrl: string;
  /** Host header of the route that leads back to the publish port. */
  readonly probeHost: string;
  readonly timeoutMs: number;
  readonly exited: () => boolean;
  readonly spawnError: Promise<Error>;
}

const PROBE_TIMEOUT_MS = 500;
const RETRY_DELAY_MS = 50;

function probe(url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const PROBE_PUBLISH = JSON.stringify({
  items: [{ channel: 'faas-grip-probe', formats: { 'ws-message': { content: 'probe' } } }],
});

async function ready(input: ReadinessInput): Promise<boolean> {
  const published = await probe(
    `${input.publishUrl}/publish/`,
    'POST',
    { 'Content-Type': 'application/json' },
    PROBE_PUBLISH,
  );
  if (published !== 200) return false;
  const proxied = await probe(`${input.httpUrl}/`, 'GET', { Host: input.probeHost });
  return proxied !== 0 && proxied !== 502 && proxied !== 503;
}

/** Resolves `undefined` once the instance is ready, or the reason it will not be. */
export async function waitUntilReady(input: ReadinessInput): Promise<string | undefined> {
  let spawnFailure: Error | undefined;
  void input.spawnError.then((error) => {
    spawnFailure = error;
  });
  const deadline = Date.now() + input.timeoutMs;
  while (Date.now() < deadline) {
    if (spawnFailure) return `it could not be run: ${spawnFailure.message}`;
    if (input.exited()) return 'the process exited during start-up';
    if (await ready(input)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
  }
  return `not ready after ${input.timeoutMs} ms`;
}
