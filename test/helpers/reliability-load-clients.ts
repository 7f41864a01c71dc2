/**
 * The clients of a load run, all in this process: connected with a bounded number of handshakes in flight (502s
 * and other refusals retried with jittered backoff, as Pushpin refuses some handshakes under bursts), each moved
 * to its room with `/join`, then probed until every subscription is live, then sending on a global schedule that
 * paces the deliveries, and finally closed in windows. Every chat line received is recorded in the ledger.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { LoadLedger, LoadShape } from './reliability-load-ledger';

/** Options of a {@link LoadPool}. */
export interface LoadPoolOptions {
  readonly url: string;
  readonly ledger: LoadLedger;
  /** Handshakes in flight at most; default 100. */
  readonly window?: number;
  /** Attempts per client before giving up; default 12. */
  readonly maxAttempts?: number;
  /** How long one expected reply (`joined [...]`) may take; default 30 s. */
  readonly replyTimeoutMs?: number;
}

/** Connection statistics of a run. */
export interface PoolStats {
  handshakeRetries: number;
  /** Refused handshakes by HTTP status (0: a network error). */
  readonly refused: Record<number, number>;
  connectFailures: number;
  joinFailures: number;
  /** `/join` sent again because its reply did not come in time. */
  joinRetries: number;
  /** `error: ...` replies of the chat (a refused or undeliverable message). */
  chatErrors: number;
  /** Lines that are none of the chat's known replies. */
  unexpected: number;
  /** Messages that could not be sent because the client was not open. */
  sendFailures: number;
  probes: number;
  /** Connections closed before closeAll(), by close code and reason. */
  readonly closedEarly: Record<string, number>;
  /** Clients opened again because their connection closed before their join was answered. */
  reconnects: number;
  readonly samples: string[];
}

const PREFIX = 'anonymous: ';

/** Resolves with `value` after `ms`, unless `race` settles first (the timer is then cleared). */
async function within<T>(race: Promise<T>, ms: number, value: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), ms);
  });
  try {
    return await Promise.race([race, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The clients of one run. */
export class LoadPool {
  readonly stats: PoolStats = {
    handshakeRetries: 0,
    refused: {},
    connectFailures: 0,
    joinFailures: 0,
    joinRetries: 0,
    chatErrors: 0,
    unexpected: 0,
    sendFailures: 0,
    probes: 0,
    closedEarly: {},
    reconnects: 0,
    samples: [],
  };
  private readonly sockets: Array<WebSocket | undefined>;
  private readonly probed: Uint8Array;
  private closing = false;
  private readonly joinWaiters = new Map<number, () => void>();
  private readonly shape: LoadShape;

  constructor(private readonly options: LoadPoolOptions) {
    this.shape = options.ledger.shape;
    this.sockets = new Array(this.shape.clients);
    this.probed = new Uint8Array(this.shape.clients);
  }

  /** Connects every client (bounded in flight) and moves each to its room; resolves when all have tried. */
  async connectAndJoin(): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.shape.clients) {
        const i = next++;
        // A connection the proxy drops before the join is answered (seen: 1006 right after the handshake, about
        // once in six runs) is opened again, as a chat client would; closedEarly and reconnects count them.
        for (let attempt = 1; attempt <= 3; attempt++) {
          const socket = await this.connect(i);
          if (socket === undefined) break;
          this.sockets[i] = socket;
          if (await this.join(i, socket)) break;
          if (socket.readyState === WebSocket.OPEN || attempt === 3) {
            this.stats.joinFailures++;
            break;
          }
          this.stats.reconnects++;
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.window ?? 100 }, worker));
  }

  /** Sends probes into each room until every member got one (the subscriptions are live); false on timeout. */
  async probeRooms(timeoutMs: number): Promise<boolean> {
    const { roomSize, clients } = this.shape;
    const deadline = Date.now() + timeoutMs;
    for (let round = 0; Date.now() < deadline; round++) {
      let pending = 0;
      for (let start = 0; start < clients; start += roomSize) {
        if (this.probed.subarray(start, start + roomSize).every((p, k) => p === 1 || !this.sockets[start + k]))
          continue;
        pending++;
        const prober = this.sockets.slice(start, start + roomSize).find((s) => s?.readyState === WebSocket.OPEN);
        prober?.send(`P ${start / roomSize} ${round}`);
        this.stats.probes++;
      }
      if (pending === 0) return true;
      await sleep(250);
    }
    return false;
  }

  /**
   * Sends every client's messages on one schedule: slot k goes at k / rate seconds, from client k mod N with
   * sequence number floor(k / N), so each sender's messages go out in order and the load is spread evenly.
   */
  async sendPaced(messagesPerSecond: number): Promise<void> {
    const { clients, messages } = this.shape;
    const total = clients * messages;
    const start = performance.now();
    for (let k = 0; k < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * messagesPerSecond) + 1);
      for (; k < due; k++) {
        const i = k % clients;
        const socket = this.sockets[i];
        if (socket?.readyState === WebSocket.OPEN) socket.send(`L ${i} ${Math.floor(k / clients)}`);
        else this.stats.sendFailures++;
      }
      await sleep(5);
    }
  }

  /** Waits until every delivery arrived (then `graceMs` more, for late duplicates) or none came for `idleMs`. */
  async drain(idleMs: number, graceMs: number): Promise<void> {
    const { ledger } = this.options;
    let last = ledger.deliveredSoFar;
    let lastChange = Date.now();
    while (ledger.deliveredSoFar < ledger.expected && Date.now() - lastChange < idleMs) {
      await sleep(50);
      if (ledger.deliveredSoFar !== last) {
        last = ledger.deliveredSoFar;
        lastChange = Date.now();
      }
    }
    await sleep(graceMs);
  }

  /** Closes every client (1000), `window` at a time; a client that does not finish its close is terminated. */
  async closeAll(window = 100): Promise<void> {
    this.closing = true;
    let next = 0;
    const worker = async () => {
      while (next < this.sockets.length) {
        const socket = this.sockets[next++];
        if (!socket || socket.readyState === WebSocket.CLOSED) continue;
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.close(1000, 'load done');
        await within(closed, 5_000, undefined);
        socket.terminate();
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  }

  /** Drops every connection at once (cleanup after a failure). */
  terminateAll(): void {
    for (const socket of this.sockets) socket?.terminate();
  }

  private async connect(i: number): Promise<WebSocket | undefined> {
    const attempts = this.options.maxAttempts ?? 12;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.open(i);
      } catch (error) {
        const status = (error as { status?: number }).status ?? 0;
        this.stats.refused[status] = (this.stats.refused[status] ?? 0) + 1;
        if (attempt === attempts) break;
        this.stats.handshakeRetries++;
        await sleep(Math.min(3_000, 50 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
    this.stats.connectFailures++;
    return undefined;
  }

  private open(i: number): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      // A handshake that never completes (no answer from the proxy) fails after 10 s and is retried, never hangs.
      const socket = new WebSocket(this.options.url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        reject(Object.assign(new Error(`handshake answered HTTP ${res.statusCode}`), { status: res.statusCode }));
      });
      socket.once('error', reject);
      socket.on('error', () => undefined);
      socket.on('message', (data: Buffer) => this.onMessage(i, data.toString('utf8')));
      socket.on('close', (code: number, reason: Buffer) => {
        if (this.closing) return;
        const key = `${code} ${reason.toString('utf8')}`.trim();
        this.stats.closedEarly[key] = (this.stats.closedEarly[key] ?? 0) + 1;
      });
    });
  }

  /**
   * Joins the client's room, sending `/join` again (it is idempotent) when no reply came within a third of
   * the reply timeout, as a chat client would: a starved proxy can drop one WebSocket-over-HTTP request.
   */
  private async join(i: number, socket: WebSocket): Promise<boolean> {
    const joined = new Promise<boolean>((resolve) => this.joinWaiters.set(i, () => resolve(true)));
    const attempts = 3;
    let ok = false;
    for (let attempt = 1; attempt <= attempts && !ok && socket.readyState === WebSocket.OPEN; attempt++) {
      if (attempt > 1) this.stats.joinRetries++;
      socket.send(`/join r${this.options.ledger.roomOf(i)}`);
      ok = await within(joined, (this.options.replyTimeoutMs ?? 30_000) / attempts, false);
    }
    this.joinWaiters.delete(i);
    return ok;
  }

  private onMessage(i: number, text: string): void {
    if (text.startsWith(`${PREFIX}L `)) {
      const space = text.indexOf(' ', PREFIX.length + 2);
      this.options.ledger.record(i, Number(text.slice(PREFIX.length + 2, space)), Number(text.slice(space + 1)));
    } else if (text.startsWith(`${PREFIX}P `)) {
      this.probed[i] = 1;
    } else if (text.startsWith('joined [')) {
      this.joinWaiters.get(i)?.();
    } else {
      if (text.startsWith('error: ')) this.stats.chatErrors++;
      else this.stats.unexpected++;
      if (this.stats.samples.length < 5) this.stats.samples.push(text.slice(0, 200));
    }
  }
}
