import { CallerGoneError, currentCallScope } from './call-scope';
import { UnavailableError } from './errors';

export interface BulkheadOptions {
  /** Names the guarded work in the refusal (`password hashing`). */
  readonly name: string;
  /** Pieces of work run at once. */
  readonly concurrency: number;
  /** Pieces that may wait for a slot; one more is refused at once. */
  readonly maxQueue: number;
  /** How long a piece may wait for a slot before it is refused. */
  readonly queueTimeoutMs: number;
  /** The clock pieces are timed with, in milliseconds. @default performance.now */
  readonly now?: () => number;
}

/** The weight of the latest piece in the running time the bulkhead expects of the next (a moving average). */
const RUN_TIME_WEIGHT = 0.3;

/**
 * Bounds expensive work (a memory-hard password hash) so a burst of it cannot starve the rest of the service: at
 * most `concurrency` run, at most `maxQueue` wait, none waits longer than `queueTimeoutMs`. A refusal is the kit's
 * UnavailableError (UNAVAILABLE, 503 with Retry-After at the gateway): the client tries again shortly. Work for a
 * call whose caller has gone (cancelled, deadline passed; `signal`, by default the current call's) leaves the queue
 * and never starts. A piece that would not get a slot within `queueTimeoutMs` is refused at once rather than when
 * its wait runs out: the wait is expected from its place in the queue and the recent pieces' running time (once a
 * piece has finished), so in a burst the client hears 503 in milliseconds, not after the whole timeout, and the
 * pieces that are let in still start in time.
 */
export class Bulkhead {
  private active = 0;
  /** The recent pieces' running time (a moving average), once one has finished. */
  private runMs?: number;
  private readonly now: () => number;
  private readonly waiting: {
    readonly start: () => void;
    readonly timer: NodeJS.Timeout;
    readonly leave: () => void;
  }[] = [];

  constructor(private readonly options: BulkheadOptions) {
    for (const key of ['concurrency', 'maxQueue', 'queueTimeoutMs'] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value < (key === 'concurrency' ? 1 : 0)) {
        throw new Error(`'${key}' must be an integer >= ${key === 'concurrency' ? 1 : 0}, got ${value}`);
      }
    }
    this.now = options.now ?? (() => performance.now());
  }

  /** Pieces running now and waiting now. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>, signal: AbortSignal | undefined = currentCallScope()?.signal): Promise<T> {
    if (signal?.aborted) throw new CallerGoneError(this.options.name);
    if (this.active >= this.options.concurrency) await this.slot(signal);
    else this.active += 1;
    try {
      // The caller may have gone while this waited for a slot.
      if (signal?.aborted) throw new CallerGoneError(this.options.name);
      const started = this.now();
      try {
        return await work();
      } finally {
        const took = this.now() - started;
        this.runMs = this.runMs === undefined ? took : this.runMs + RUN_TIME_WEIGHT * (took - this.runMs);
      }
    } finally {
      const next = this.waiting.shift();
      if (next) {
        next.leave();
        next.start();
      } else {
        this.active -= 1;
      }
    }
  }

  /** Waits for a running piece to hand over its slot. */
  private slot(signal: AbortSignal | undefined): Promise<void> {
    // With every slot taken, the n-th piece in the queue starts after about n / concurrency running times.
    const expectedWaitMs =
      this.runMs === undefined ? 0 : ((this.waiting.length + 1) / this.options.concurrency) * this.runMs;
    if (this.waiting.length >= this.options.maxQueue || expectedWaitMs > this.options.queueTimeoutMs) {
      return Promise.reject(new UnavailableError(`${this.options.name} is at capacity; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      const refuse = (error: Error) => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        entry.leave();
        reject(error);
      };
      const onAbort = () => refuse(new CallerGoneError(this.options.name));
      const entry = {
        start: resolve,
        timer: setTimeout(
          () => refuse(new UnavailableError(`${this.options.name} is at capacity; try again shortly`)),
          this.options.queueTimeoutMs,
        ),
        leave: () => {
          clearTimeout(entry.timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }
}
