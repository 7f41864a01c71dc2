/**
 * One connection of the emulated WebSocket API, from `$connect` to `$disconnect`: limits (idle timeout, maximum
 * age, binary frames), message dispatch, sends from the management API, and exactly one `$disconnect`.
 */
import type { WebSocket } from 'ws';
import type { ManagedConnection } from './management-api';
import type { ConnectionInfo } from './websocket-api-events';

/** How a connection's socket was closed, as `$disconnect` reports it. */
/** API Gateway's WebSocket frame size: larger messages travel in frames of this size. */
const FRAME_BYTES = 32 * 1024;

export interface CloseStatus {
  readonly code: number;
  readonly reason: string;
}

/** The emulator services a connection uses. */
export interface ConnectionHost {
  readonly idleTimeoutMs: number;
  readonly maxAgeMs: number;
  /** Dispatches a text message to its route. */
  onMessage(connection: EmulatedConnection, text: string): void;
  /** Dispatches `$disconnect` and forgets the connection. */
  onClosed(connection: EmulatedConnection, status: CloseStatus): void;
}

/** Reasons API Gateway gives when the client's close frame had no usable status. */
function clientStatus(code: number, reason: string): CloseStatus {
  if (code === 1005) return { code, reason: 'Client-side close frame status not set' };
  if (code === 1006) return { code, reason: 'Connection closed abnormally' };
  return { code, reason };
}

/** A connection: created at the handshake, attached to its socket once `$connect` returned. */
export class EmulatedConnection implements ManagedConnection, ConnectionInfo {
  lastActiveAt: number;
  authorizer?: Readonly<Record<string, unknown>>;
  private socket?: WebSocket;
  private serverClose?: CloseStatus;
  private closed = false;
  private idleTimer?: NodeJS.Timeout;
  private ageTimer?: NodeJS.Timeout;

  constructor(
    readonly connectionId: string,
    readonly connectedAt: number,
    readonly sourceIp: string,
    readonly domainName: string,
    readonly userAgent: string | undefined,
    private readonly host: ConnectionHost,
  ) {
    this.lastActiveAt = connectedAt;
  }

  /** True once `$connect` has returned and until the socket closes. */
  get open(): boolean {
    return this.socket !== undefined && !this.closed;
  }

  /** Takes over the accepted socket and starts the idle and age timers. */
  attach(socket: WebSocket): void {
    this.socket = socket;
    this.resetIdle();
    this.ageTimer = setTimeout(() => this.close(1001, 'Going away'), this.host.maxAgeMs);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!this.open) return;
      this.lastActiveAt = Date.now();
      this.resetIdle();
      if (isBinary) this.close(1003, 'Binary frames are not supported');
      else this.host.onMessage(this, data.toString('utf8'));
    });
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        this.serverClose ??= { code: 1009, reason: 'Message too big' };
    });
    socket.on('close', (code: number, reason: Buffer) =>
      this.finish(this.serverClose ?? clientStatus(code, reason.toString())),
    );
  }

  /**
   * Sends one text message (PostToConnection), in frames of at most 32 KB as API Gateway splits a larger post. A
   * message to the client counts as activity for the idle timeout, as it does on API Gateway (a connection kept
   * alive only by server messages stays open until its maximum age).
   */
  send(data: Buffer): void {
    this.lastActiveAt = Date.now();
    this.resetIdle();
    const socket = this.socket;
    if (!socket) return;
    if (data.length <= FRAME_BYTES) {
      socket.send(data, { binary: false });
      return;
    }
    for (let at = 0; at < data.length; at += FRAME_BYTES) {
      socket.send(data.subarray(at, at + FRAME_BYTES), { binary: false, fin: at + FRAME_BYTES >= data.length });
    }
  }

  /** Closes from the server side (DeleteConnection). */
  disconnect(): void {
    this.close(1000, '');
  }

  /** Closes with `code`, which `$disconnect` then reports. */
  close(code: number, reason: string): void {
    if (!this.open) return;
    this.serverClose ??= { code, reason };
    this.socket?.close(code, reason);
  }

  /** Drops the socket without `$disconnect` (emulator shutdown); resolves once it is closed. */
  shutdown(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.clearTimers();
    const socket = this.socket;
    if (!socket || socket.readyState === socket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1001, 'Going away');
    });
  }

  /** Called when the client went away before its socket was accepted: `$disconnect` still follows `$connect`. */
  abandon(): void {
    this.socket = undefined;
    this.finish({ code: 1006, reason: 'Connection closed abnormally' });
  }

  private finish(status: CloseStatus): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.host.onClosed(this, status);
  }

  private resetIdle(): void {
    if (this.closed || this.socket === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(1001, 'Going away'), this.host.idleTimeoutMs);
  }

  private clearTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.ageTimer);
  }
}
