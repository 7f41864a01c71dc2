/** The servers and processes a local stack started, stopped in reverse order once, whatever failed on the way. */

/** A stack of stop functions. */
export class StopStack {
  private readonly stops: Array<() => Promise<void>> = [];
  private stopped: Promise<void> | undefined;

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  /** Adds what undoes the last start. */
  push(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  /** Runs every stop, last pushed first; a failing stop is reported and the next one still runs. Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const next of this.stops.splice(0).reverse()) await next().catch(this.onError);
    })();
    return this.stopped;
  }

  /** Runs `start` with this stack; when it throws, stops what was started and rethrows. */
  async build<T>(start: (stack: StopStack) => Promise<T>): Promise<T> {
    try {
      return await start(this);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }
}
