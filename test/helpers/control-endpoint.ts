import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One publish request the endpoint received. */
export interface RecordedPublish {
  readonly path: string;
  readonly authorization?: string;
  /** The parsed JSON body: `{ items: [...] }`. */
  readonly body: { items: Array<Record<string, unknown>> };
}

/**
 * A GRIP control API on loopback (`POST /publish/`) that records every publish. Answers 200 `Published` unless
 * `statuses` holds the next status to answer with. `hold` delays answers until released, to prove a caller
 * waited for them.
 */
export class ControlEndpoint {
  /** Publishes answered with 200, in arrival order. */
  readonly published: RecordedPublish[] = [];
  /** Every request received (answered or not, whatever the status). */
  received = 0;
  /** Requests answered (any status). */
  answered = 0;
  /** Statuses for the next requests, consumed one per request; 200 when empty. */
  readonly statuses: number[] = [];
  /** When set, answers wait until this promise resolves. */
  hold: Promise<void> | undefined;

  private constructor(private readonly server: Server) {}

  /** The control URI to put in a GRIP_URL: `http://127.0.0.1:<port>`. */
  get uri(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Starts the endpoint on a free loopback port. */
  static async start(): Promise<ControlEndpoint> {
    const server = createServer();
    const endpoint = new ControlEndpoint(server);
    server.on('request', (req, res) => void endpoint.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  /** All published items, flattened. */
  items(): Array<Record<string, unknown>> {
    return this.published.flatMap((p) => p.body.items);
  }

  /** The ws-message contents published to a channel, in order. */
  wsMessages(channel: string): string[] {
    return this.items()
      .filter((item) => item.channel === channel)
      .map((item) => ((item.formats as Record<string, { content?: string }>)['ws-message']?.content ?? '') as string);
  }

  /** Stops the endpoint. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.received++;
    if (this.hold) await this.hold;
    const status = this.statuses.shift() ?? 200;
    if (status === 200) {
      this.published.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
    }
    this.answered++;
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(status === 200 ? 'Published\n' : `refused with ${status}\n`);
  }
}
