import type { Logger } from '../../../lib/runtime/logger';
import type { SagaRunner } from '../domain/saga';
import { Sleeper } from './sleeper';

/**
 * Resumes orders a crash (or a peer that did not answer during compensation) left unfinished: every
 * `pollMs` it takes the expired saga leases and drives those orders on, step by idempotent step.
 */
export class SagaRecoverer {
  private readonly sleeper = new Sleeper();
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly options: {
      readonly runner: SagaRunner;
      readonly logger: Logger;
      readonly pollMs: number;
      /** Orders taken per pass. @default 20 */
      readonly batchSize?: number;
    },
  ) {}

  /** One pass; returns how many orders it took. */
  recoverOnce(): Promise<number> {
    return this.options.runner.recoverStale(this.options.batchSize ?? 20);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let delay = this.options.pollMs;
      try {
        const taken = await this.recoverOnce();
        if (taken >= (this.options.batchSize ?? 20)) delay = 0;
      } catch (error) {
        this.options.logger.warn({ err: error }, 'saga recovery pass failed');
      }
      if (delay > 0 && !this.stopping) await this.sleeper.sleep(delay);
    }
  }

  start(): void {
    this.stopping = false;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops after the order in hand. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    await this.running;
  }
}
