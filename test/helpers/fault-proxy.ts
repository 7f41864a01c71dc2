/**
 * A TCP proxy that injects network faults between clients and a server: `cut()` resets every connection at once
 * (a TCP RST, no WebSocket close frame, as when a network path dies), `offline(ms)` also refuses new
 * connections for a while, as a phone out of coverage would, and `silence()` stops everything passing without
 * closing anything, as a network that dies without a word.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running fault proxy. */
export class FaultProxy {
  /** Client connections reset by `cut()`. */
  cuts = 0;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new WeakSet<Socket>();
  private offlineUntil = 0;
  private silent = false;

  private constructor(
    private readonly server: Server,
    /** Port clients connect to. */
    readonly port: number,
  ) {}

  /** Starts a proxy on 127.0.0.1 in front of `targetHost:targetPort`. */
  static async start(targetHost: string, targetPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetHost, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new FaultProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  /** The URL `url` (ws://host:port/path) with this proxy's port. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Resets every open connection (both sides), without a close frame. */
  cut(): void {
    for (const socket of this.sockets) {
      if (this.clients.has(socket)) this.cuts += 1;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy(); // not connected yet
      }
    }
    this.sockets.clear();
  }

  /** Cuts every connection and refuses new ones for `ms`. */
  offline(ms: number): void {
    this.offlineUntil = Date.now() + ms;
    this.cut();
  }

  /**
   * The network dies without a word: from now on nothing passes either way and no side is closed or reset; new
   * connections are held open and get nothing either.
   */
  silence(): void {
    this.silent = true;
  }

  /** Accepts connections again at once. */
  online(): void {
    this.offlineUntil = 0;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (Date.now() < this.offlineUntil) {
      client.resetAndDestroy();
      return;
    }
    this.clients.add(client);
    const upstream = connect(port, host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => {
        if (!this.silent) b.destroy();
      });
      a.on('close', () => {
        this.sockets.delete(a);
        if (!this.silent) b.destroy();
      });
      a.on('data', (chunk: Buffer) => {
        if (!this.silent) b.write(chunk);
      });
    }
  }
}
