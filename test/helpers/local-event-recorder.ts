/** A Lambda handler for tests that records its events and lets a test await a specific one. */
import type { WebSocketApiEvent } from '../../local/apigw-websocket/websocket-api-events';

type Reply = (event: WebSocketApiEvent) => unknown;

/** Records every event; `reply` decides each result (default `{ statusCode: 200 }`). */
export class EventRecorder {
  readonly events: WebSocketApiEvent[] = [];
  private readonly waiters: Array<{
    test: (e: WebSocketApiEvent) => boolean;
    resolve: (e: WebSocketApiEvent) => void;
  }> = [];

  constructor(private readonly reply: Reply = () => ({ statusCode: 200 })) {}

  /** The handler to give the emulator. */
  readonly handler = async (event: WebSocketApiEvent): Promise<unknown> => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.test(event)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
    return await this.reply(event);
  };

  /** Resolves with the first recorded (or future) event that passes `test`. */
  waitFor(test: (e: WebSocketApiEvent) => boolean): Promise<WebSocketApiEvent> {
    const found = this.events.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Resolves with the event of `routeKey` (and `connectionId` when given). */
  route(routeKey: string, connectionId?: string): Promise<WebSocketApiEvent> {
    return this.waitFor(
      (e) =>
        e.requestContext.routeKey === routeKey &&
        (connectionId === undefined || e.requestContext.connectionId === connectionId),
    );
  }
}
