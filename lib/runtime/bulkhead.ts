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
}

/**
 * Bounds expensive work (a memory-hard password hash) so a burst of it cannot starve the rest of the service: at
 * most `concurrency` run, at most `maxQueue` wait, none waits longer than `queueTimeoutMs`. A refusal is the kit's
 * UnavailableError (UNAVAILABLE, 503 with Retry-After at the gateway): the client tries again shortly.
 */
export class Bulkhead {
  private active = 0;
  private readonly waiting: { readonly start: () => void; readonly timer: NodeJS.Timeout }[] = [];

  constructor(private readonly options: BulkheadOptions) {
    for (const key of ['concurrency', 'maxQueue', 'queueTimeoutMs'] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value < (key === 'concurrency' ? 1 : 0)) {
        throw new Error(`'${key}' must be an integer >= ${key === 'concurrency' ? 1 : 0}, got ${value}`);
      }
    }
  }

  /** Pieces running now and waiting now. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.options.concurrency) await this.slot();
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.start();
      } else {
        this.active -= 1;
      }
    }
  }

  /** Waits for a running piece to hand over its slot. */
  private slot(): Promise<void> {
    if (this.waiting.length >= this.options.maxQueue) {
      return Promise.reject(new UnavailableError(`${this.options.name} is at capacity; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(new UnavailableError(`${this.options.name} is at capacity; try again shortly`));
        }, this.options.queueTimeoutMs),
      };
      this.waiting.push(entry);
    });
  }
}
