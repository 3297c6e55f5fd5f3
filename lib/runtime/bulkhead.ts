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
}

/**
 * Bounds expensive work (a memory-hard password hash) so a burst of it cannot starve the rest of the service: at
 * most `concurrency` run, at most `maxQueue` wait, none waits longer than `queueTimeoutMs`. A refusal is the kit's
 * UnavailableError (UNAVAILABLE, 503 with Retry-After at the gateway): the client tries again shortly. Work for a
 * call whose caller has gone (cancelled, deadline passed; `signal`, by default the current call's) leaves the queue
 * and never starts.
 */
export class Bulkhead {
  private active = 0;
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
      return await work();
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
    if (this.waiting.length >= this.options.maxQueue) {
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
