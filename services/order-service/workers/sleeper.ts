/**
 * A sleep that `wake()` ends early (new work arrived, or the worker stops). A wake while nobody sleeps is kept for
 * the next sleep, which then ends at once: work that arrives while the worker is busy with a round is not left
 * waiting for a whole pause after it. With `lingerMs`, a woken sleep ends that much later, gathering what else
 * arrives meanwhile into the same round (as a Kafka producer's linger.ms); `wake({ now: true })` ends it at once.
 */
export class Sleeper {
  private pending: { timer: NodeJS.Timeout; resolve: () => void; lingering: boolean } | undefined;
  private woken = false;

  constructor(private readonly lingerMs = 0) {}

  sleep(ms: number): Promise<void> {
    const woken = this.woken;
    this.woken = false;
    if (woken && this.lingerMs === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.pending = undefined;
          resolve();
        },
        woken ? Math.min(ms, this.lingerMs) : ms,
      );
      this.pending = { timer, resolve, lingering: woken };
    });
  }

  wake(options: { now?: boolean } = {}): void {
    const pending = this.pending;
    if (!pending) {
      this.woken = true;
      return;
    }
    if (pending.lingering && !options.now) return;
    clearTimeout(pending.timer);
    if (this.lingerMs > 0 && !options.now) {
      // Still asleep, for the linger only.
      pending.lingering = true;
      pending.timer = setTimeout(() => {
        this.pending = undefined;
        pending.resolve();
      }, this.lingerMs);
      return;
    }
    this.pending = undefined;
    pending.resolve();
  }
}
