/** Tracks handler invocations still running, so `stop()` can wait for them. */

/** A set of running promises. */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Adds `work` to the set until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return work;
  }

  /** Resolves when everything tracked so far (and started meanwhile) has settled, or after `timeoutMs`. */
  async drain(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
      await Promise.race([Promise.all(this.running), timeout]);
      clearTimeout(timer);
    }
  }
}
