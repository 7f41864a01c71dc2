import WebSocket from 'ws';

/** How long a test waits for one expected event before it fails (generous, bounded). */
export const E2E_WAIT_MS = 10_000;

/** The close frame a client saw. */
export interface ClientClose {
  readonly code: number;
  readonly reason: string;
}

/**
 * A `ws` client for end-to-end tests that records every text message it receives, in order, and waits
 * for expected ones with a bound; a failed wait names what was expected and what arrived.
 */
export class E2eClient {
  /** Every text message received, in arrival order. */
  readonly received: string[] = [];
  private consumed = 0;
  private closeEvent: ClientClose | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly name: string,
    readonly socket: WebSocket,
  ) {
    socket.on('message', (data, isBinary) => {
      this.received.push(isBinary ? `<binary ${Buffer.from(data as Buffer).toString('hex')}>` : String(data));
      this.wake();
    });
    // Errors after the handshake (resets while closing) end in 'close'; keep them from becoming uncaught.
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      this.closeEvent = { code, reason: reason.toString('utf8') };
      this.wake();
    });
  }

  /** Opens a WebSocket to `url`; rejects with the HTTP status when the handshake is refused. */
  static connect(name: string, url: string, timeoutMs = E2E_WAIT_MS): Promise<E2eClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const client = new E2eClient(name, socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`${name}: no WebSocket handshake from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      socket.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        socket.terminate();
        reject(new HandshakeRefusedError(name, res.statusCode ?? 0));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`${name}: WebSocket to ${url} failed: ${err.message}`));
      });
    });
  }

  /** Sends one text message. */
  send(text: string): void {
    this.socket.send(text);
  }

  /** Messages received that no `expect()` has consumed yet. */
  pending(): string[] {
    return this.received.slice(this.consumed);
  }

  /** The chat's `/nick <name>`, answered with `nickname set to [<name>]` (the one chat-session step of every test). */
  async nick(name: string): Promise<void> {
    this.send(`/nick ${name}`);
    await this.expect(`nickname set to [${name}]`);
  }

  /** The chat's `/join <channel>`, answered with `joined [<channel>]`. */
  async join(channel: string): Promise<void> {
    this.send(`/join ${channel}`);
    await this.expect(`joined [${channel}]`);
  }

  /**
   * Waits until the next unconsumed message arrives and checks it equals `text` exactly (order matters).
   * Rejects after `timeoutMs` or on a different message, naming what was expected and what arrived.
   */
  async expect(text: string, timeoutMs = E2E_WAIT_MS): Promise<void> {
    await this.waitFor(() => this.received.length > this.consumed, timeoutMs, `message ${JSON.stringify(text)}`);
    const got = this.received[this.consumed];
    if (got !== text) {
      throw new Error(
        `${this.name}: expected message ${JSON.stringify(text)}, got ${JSON.stringify(got)} ` +
          `(all received: ${JSON.stringify(this.received)})`,
      );
    }
    this.consumed += 1;
  }

  /** Skips unconsumed messages until one equals `text`; the skipped ones are returned. */
  async skipUntil(text: string, timeoutMs = E2E_WAIT_MS): Promise<string[]> {
    const found = () => this.received.indexOf(text, this.consumed);
    await this.waitFor(() => found() >= 0, timeoutMs, `message ${JSON.stringify(text)}`);
    const index = found();
    const skipped = this.received.slice(this.consumed, index);
    this.consumed = index + 1;
    return skipped;
  }

  /** Resolves with the close the client saw (by the server or after `close()`). */
  async closed(timeoutMs = E2E_WAIT_MS): Promise<ClientClose> {
    await this.waitFor(() => this.closeEvent !== undefined, timeoutMs, 'the connection to close');
    return this.closeEvent!;
  }

  /** Starts the close handshake with `code` and `reason` and resolves with the close the client saw. */
  async close(code?: number, reason?: string, timeoutMs = E2E_WAIT_MS): Promise<ClientClose> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code, reason);
    return this.closed(timeoutMs);
  }

  /** Drops the TCP connection without a close handshake (for cleanup). */
  terminate(): void {
    this.socket.terminate();
  }

  private waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ready()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const state = this.closeEvent ? `closed ${this.closeEvent.code} ${this.closeEvent.reason}` : 'open';
        reject(
          new Error(
            `${this.name}: waited ${timeoutMs} ms for ${what}; connection ${state}; ` +
              `unconsumed: ${JSON.stringify(this.pending())}; all received: ${JSON.stringify(this.received)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A WebSocket handshake the server refused with an HTTP status. */
export class HandshakeRefusedError extends Error {
  constructor(
    name: string,
    readonly status: number,
  ) {
    super(`${name}: WebSocket handshake refused with HTTP ${status}`);
    this.name = 'HandshakeRefusedError';
  }
}

/** Terminates every client still open (for afterEach/afterAll). */
export function terminateAll(clients: Iterable<E2eClient>): void {
  for (const client of clients) client.terminate();
}
