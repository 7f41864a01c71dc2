import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from '../../local/apigw-websocket/sigv4-verify';
import { LOCAL_AWS } from './dynalite';

/** State of a connection on the local management API. */
export type LocalConnectionState = 'opening' | 'open' | 'gone';

/**
 * What a fault injector makes of a call: an error status, or a way of answering badly. `hang`: read the request,
 * never answer. `trickle`: accept the message, then send the 200 answer's body a byte at a time, forever.
 * `slow`: accept the message (it is delivered), then answer 200 only after {@link LocalManagementServer.slowMs}.
 */
export type InjectedFault = number | 'hang' | 'trickle' | 'slow';

/** A call the server is about to answer; a fault injector may fail it with a status. */
export interface ManagementCall {
  readonly method: string;
  readonly connectionId: string;
  /** 1 for the first call of this method on this connection, 2 for its retry... */
  readonly attempt: number;
}

const ERROR_NAMES: Record<number, string> = {
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
};

/**
 * A minimal API Gateway management API (`/{stage}/@connections/{id}`: POST, GET, DELETE) on loopback for
 * tests: 410 GoneException for unknown or gone connections, 403 ForbiddenException while a connection is
 * still opening (as before `$connect` returned), optional latency, and fault injection per call.
 * It records every accepted message per connection, in arrival order.
 */
export class LocalManagementServer {
  /** The callback URL to give the SDK client: `http://127.0.0.1:<port>/<stage>`. */
  readonly endpoint: string;
  /** Delay before each answer, milliseconds. */
  latencyMs = 0;
  /** Returns a status (500, 429...) or a bad way to answer (see {@link InjectedFault}), or undefined for normal. */
  fault: ((call: ManagementCall) => InjectedFault | undefined) | undefined;
  /** How late a `slow` call is answered, milliseconds. */
  slowMs = 2000;
  /** Requests being handled right now (a hanging one counts until the client gives up). */
  get openRequests(): number {
    return this.inFlight;
  }
  /** Number of requests refused for a missing or wrong signature. */
  refusals = 0;
  /** Number of calls answered with an injected fault. */
  faults = 0;
  /** Most requests handled at the same time so far. */
  maxInFlight = 0;
  /** Number of requests by method. */
  readonly requests: Record<string, number> = { POST: 0, GET: 0, DELETE: 0 };
  private readonly states = new Map<string, LocalConnectionState>();
  private readonly messages = new Map<string, Buffer[]>();
  private readonly attempts = new Map<string, number>();
  private inFlight = 0;

  private constructor(
    private readonly server: Server,
    readonly stage: string,
    private readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string },
  ) {
    const { port } = server.address() as AddressInfo;
    this.endpoint = `http://127.0.0.1:${port}/${stage}`;
  }

  /**
   * Starts a server on a free loopback port. Every request must carry a valid SigV4 signature made with
   * `credentials` (the tests' local ones by default), as API Gateway requires.
   */
  static async start(
    stage = 'test',
    credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } = LOCAL_AWS.credentials,
  ): Promise<LocalManagementServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = new LocalManagementServer(server, stage, credentials);
    server.on('request', (req, res) => void api.handle(req, res));
    return api;
  }

  /** Adds a connection, open (accepts posts) or still opening. */
  addConnection(connectionId: string, state: 'open' | 'opening' = 'open'): void {
    this.states.set(connectionId, state);
  }

  /** Marks an opening connection open, as API Gateway does once `$connect` returned. */
  markOpen(connectionId: string): void {
    this.states.set(connectionId, 'open');
  }

  /** Marks a connection gone (client left). */
  markGone(connectionId: string): void {
    this.states.set(connectionId, 'gone');
  }

  /** The connection's state, undefined when never added. */
  state(connectionId: string): LocalConnectionState | undefined {
    return this.states.get(connectionId);
  }

  /** Messages accepted for the connection, in order, as UTF-8 text. */
  texts(connectionId: string): string[] {
    return (this.messages.get(connectionId) ?? []).map((b) => b.toString('utf8'));
  }

  /** Messages accepted for the connection, in order, as bytes. */
  payloads(connectionId: string): Buffer[] {
    return [...(this.messages.get(connectionId) ?? [])];
  }

  /** Stops the server (open keep-alive sockets are closed). */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const match = /^\/([^/]+)\/@connections\/([^/?]+)$/.exec(req.url ?? '');
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0];
    const refusal = await verifySigV4(
      { method, path, headers: req.headers, body: Buffer.concat(chunks) },
      this.credentials,
    );
    if (refusal) {
      this.refusals++;
      return this.fail(res, refusal.status, refusal.type, refusal.message);
    }
    if (!match || match[1] !== this.stage || !(method in this.requests)) {
      return this.fail(res, 404, 'NotFoundException', `no route for ${method} ${req.url}`);
    }
    this.requests[method]++;
    const connectionId = decodeURIComponent(match[2]);
    const key = `${method} ${connectionId}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const injected = this.fault?.({ method, connectionId, attempt });
    if (injected !== undefined) this.faults++;
    if (injected === 'hang') return;
    if (injected === 'trickle' || injected === 'slow') {
      this.record(connectionId, Buffer.concat(chunks));
      if (injected === 'slow') {
        setTimeout(() => res.writeHead(200).end(), this.slowMs);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (injected !== undefined) {
      return this.fail(res, injected, ERROR_NAMES[injected] ?? 'InternalServerErrorException', 'injected fault');
    }
    const state = this.states.get(connectionId);
    if (state === undefined || state === 'gone') return this.fail(res, 410, 'GoneException', 'gone');
    if (state === 'opening') return this.fail(res, 403, 'ForbiddenException', 'connection not open yet');
    if (method === 'POST') {
      this.record(connectionId, Buffer.concat(chunks));
      res.writeHead(200).end();
    } else if (method === 'DELETE') {
      this.states.set(connectionId, 'gone');
      res.writeHead(204).end();
    } else {
      const at = new Date().toISOString();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ConnectedAt: at, LastActiveAt: at, Identity: { SourceIp: '127.0.0.1' } }));
    }
  }

  private record(connectionId: string, message: Buffer): void {
    const list = this.messages.get(connectionId) ?? [];
    list.push(message);
    this.messages.set(connectionId, list);
  }

  private fail(res: ServerResponse, status: number, name: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': name });
    res.end(JSON.stringify({ message }));
  }
}
