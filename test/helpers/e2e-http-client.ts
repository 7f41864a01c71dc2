import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';
import { E2E_WAIT_MS } from './e2e-ws-client';

/**
 * An HTTP GET that stays open and records the body as it arrives (an HTTP stream, SSE, or a held long-poll),
 * with bounded waits that say what was expected and what arrived.
 */
export class E2eHttpResponse {
  /** The body received so far (UTF-8). */
  body = '';
  status = 0;
  headers: IncomingHttpHeaders = {};
  private ended = false;
  private error: Error | undefined;
  private readonly waiters = new Set<() => void>();
  private req: ClientRequest | undefined;

  private constructor(readonly url: string) {}

  /** Starts `GET url`; resolves once the status line and headers arrived. */
  static get(url: string, headers: Record<string, string> = {}, timeoutMs = E2E_WAIT_MS): Promise<E2eHttpResponse> {
    const response = new E2eHttpResponse(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        response.close();
        reject(new Error(`no response headers from GET ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      response.req = request(url, { headers }, (res) => {
        clearTimeout(timer);
        response.status = res.statusCode ?? 0;
        response.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          response.body += chunk;
          response.wake();
        });
        res.on('end', () => {
          response.ended = true;
          response.wake();
        });
        res.on('error', (e) => response.fail(e));
        resolve(response);
      });
      response.req.on('error', (e) => {
        clearTimeout(timer);
        response.fail(e);
        reject(new Error(`GET ${url} failed: ${e.message}`));
      });
      response.req.end();
    });
  }

  /** Waits until the body contains `text`; rejects after the bound with the body so far. */
  waitForText(text: string, timeoutMs = E2E_WAIT_MS): Promise<void> {
    return this.waitFor(() => this.body.includes(text), timeoutMs, `body to contain ${JSON.stringify(text)}`);
  }

  /** Waits until the response ended. */
  waitForEnd(timeoutMs = E2E_WAIT_MS): Promise<void> {
    return this.waitFor(() => this.ended, timeoutMs, 'the response to end');
  }

  /** Aborts the request (for cleanup). */
  close(): void {
    this.req?.destroy();
  }

  private waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (this.error) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`GET ${this.url} failed while waiting for ${what}: ${this.error.message}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `GET ${this.url}: waited ${timeoutMs} ms for ${what}; status ${this.status}, ` +
              `${this.ended ? 'ended' : 'still open'}, body so far: ${JSON.stringify(this.body)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private fail(error: Error): void {
    this.error = error;
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
