/** WebSocket clients for tests: await open, messages and close without timers. */
import WebSocket, { type ClientOptions } from 'ws';

/** A connected client that queues what it receives. */
export interface TestClient {
  readonly ws: WebSocket;
  /** Resolves with the next text message (queued ones first). */
  nextMessage(): Promise<string>;
  /** Resolves with the close code and reason once the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Closes (if still open) and waits for the close. */
  close(code?: number): Promise<{ code: number; reason: string }>;
}

/** Connects; rejects with the HTTP status when the handshake is refused. */
export function connect(url: string, protocols?: string[], options?: ClientOptions): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    const queue: string[] = [];
    const waiting: Array<(message: string) => void> = [];
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const waiter = waiting.shift();
      if (waiter) waiter(text);
      else queue.push(text);
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      ws.on('close', (code: number, reason: Buffer) => done({ code, reason: reason.toString() }));
    });
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new HandshakeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
    });
    ws.on('error', (error) => reject(error));
    ws.on('open', () =>
      resolve({
        ws,
        closed,
        nextMessage: () => {
          const queued = queue.shift();
          return queued !== undefined ? Promise.resolve(queued) : new Promise((r) => waiting.push(r));
        },
        close: (code?: number) => {
          if (ws.readyState === WebSocket.OPEN) ws.close(code);
          return closed;
        },
      }),
    );
  });
}

/** A handshake the server answered with an HTTP status instead of 101. */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`handshake refused with ${status}: ${body}`);
  }
}

/** Connects and expects a refusal; resolves with it. */
export async function connectRefused(url: string): Promise<HandshakeRefused> {
  try {
    const client = await connect(url);
    await client.close();
  } catch (error) {
    if (error instanceof HandshakeRefused) return error;
    throw error;
  }
  throw new Error(`expected ${url} to refuse the handshake, but it connected`);
}
