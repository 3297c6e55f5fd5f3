import * as path from 'node:path';
import {
  ANALYTICS_RESULTS_FILE,
  type AnalyticsWindowData,
  type AnalyticsWindowEvent,
  buildAnalyticsWindow,
  parseOrderEvent,
} from '../../lib/events';
import { DomainError } from '../../lib/runtime/errors';
import { type DeliveredMessage, PoisonMessageError } from '../../lib/runtime/events';
import type { Logger } from '../../lib/runtime/logger';
import { ResultsFile } from './adapters/results-file';
import { type SavedState, StateFile } from './adapters/state-file';
import { orderFactOf } from './domain/order-fact';
import { TumblingWindows, type WindowingConfig, type WindowResult } from './domain/windows';
import type { AnalyticsMetrics } from './metrics';

/** Processing time. Tests pass a clock they move by hand to drive the idle timeout. */
export interface Clock {
  now(): Date;
}

export interface AnalyticsJobDeps {
  readonly windows: TumblingWindows;
  /** Windows closed before a restart whose emission was not confirmed. */
  readonly pending?: readonly WindowResult[];
  readonly stateFile: StateFile;
  readonly results: ResultsFile;
  /** Publishes one window to the results topic; resolves once the bus has it. */
  readonly publish: (event: AnalyticsWindowEvent) => Promise<void>;
  /** CloudEvents `source` of the emitted windows. */
  readonly source: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AnalyticsMetrics;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

const windowData = (window: WindowResult): AnalyticsWindowData => ({
  windowStart: iso(window.startMs),
  windowEnd: iso(window.endMs),
  orderCount: window.orderCount,
  revenue: window.revenue,
  uniqueUsers: window.uniqueUsers,
});

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The stream job around the pure windows: one record, one batch of records or one clock tick at a time (the bus
 * delivers partitions concurrently), and for each:
 *
 * 1. apply it (each record of a batch in order) to the windows (count, drop as late or duplicate, close windows
 *    the watermark passed);
 * 2. save the state — open windows, their event ids, the watermark and every closed window not yet emitted —
 *    atomically, BEFORE the handler resolves and the bus commits the offset; if the save fails the handler
 *    throws and the bus delivers the record again, which then finds its id already counted;
 * 3. emit the closed windows: publish to the results topic, then append to the results file, which is the
 *    ledger (a window in the file is never emitted again); a failure here does not fail the record: the window
 *    is saved as pending and emitted again on the next tick, record or start.
 */
export class AnalyticsJob {
  private readonly pending: WindowResult[];
  private dirty = false;
  private turn: Promise<void> = Promise.resolve();
  private stateProblem: string | undefined;
  private emitProblem: string | undefined;

  constructor(private readonly deps: AnalyticsJobDeps) {
    this.pending = [...(deps.pending ?? [])];
    this.observe();
  }

  /** The event-bus handler for one `orders` record. */
  readonly handle = async (message: DeliveredMessage): Promise<void> => {
    const { logger, metrics } = this.deps;
    const position = { topic: message.topic, partition: message.partition, offset: message.offset };
    const parsed = parseOrderEvent(message.value);
    if (!parsed.ok) {
      metrics.events.inc({ outcome: 'rejected' });
      // Code and field only: the message may echo producer input, and the payload holds an e-mail address.
      logger.warn({ ...position, code: parsed.error.code, field: parsed.error.field }, 'record rejected');
      throw new PoisonMessageError(`order event rejected: ${parsed.error.code}`, parsed.error.code);
    }
    const fact = orderFactOf(parsed.event);
    await this.inTurn(async () => {
      try {
        this.apply(message, fact);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        metrics.events.inc({ outcome: 'rejected' });
        logger.warn({ ...position, eventId: fact.eventId, code: error.code, field: error.field }, 'record rejected');
        throw new PoisonMessageError(`order event rejected: ${error.message}`, error.code);
      }
      await this.save();
      await this.emitPending();
    });
  };

  /**
   * The event-bus handler for the records of one fetch: each applied as `handle` would, then ONE state save and
   * one emission for the batch (the save is what a record costs most). Resolves with the records it did not
   * apply (malformed, or refused by the windows), which the bus hands to `handle` to reject and dead-letter;
   * throws, so the bus hands every record to `handle`, when the state cannot be saved.
   */
  readonly handleBatch = async (messages: readonly DeliveredMessage[]): Promise<readonly DeliveredMessage[]> => {
    const unfinished: DeliveredMessage[] = [];
    await this.inTurn(async () => {
      for (const message of messages) {
        const parsed = parseOrderEvent(message.value);
        if (!parsed.ok) {
          unfinished.push(message);
          continue;
        }
        const fact = orderFactOf(parsed.event);
        try {
          const apply = () => this.apply(message, fact);
          if (message.within) message.within(apply);
          else apply();
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          unfinished.push(message);
        }
      }
      await this.save();
      await this.emitPending();
    });
    return unfinished;
  };

  /** Applies one order to the windows: counts it or drops it (late, duplicate), keeps the windows it closed. */
  private apply(message: DeliveredMessage, fact: ReturnType<typeof orderFactOf>): void {
    const { logger, metrics } = this.deps;
    const position = { topic: message.topic, partition: message.partition, offset: message.offset };
    const result = this.deps.windows.add(fact, this.deps.clock.now().getTime());
    metrics.events.inc({ outcome: result.outcome });
    const ids = { ...position, eventId: fact.eventId, windowStart: iso(result.windowStartMs) };
    if (result.outcome === 'late') {
      const watermark = this.deps.windows.watermarkMs;
      logger.warn(
        { ...ids, eventTime: iso(fact.eventTimeMs), watermark: watermark === null ? null : iso(watermark) },
        'late event dropped: its window has already closed',
      );
    } else if (result.outcome === 'duplicate') {
      logger.debug(ids, 'duplicate event dropped');
    }
    if (result.outcome === 'counted' || result.closed.length > 0) this.dirty = true;
    this.pending.push(...result.closed);
  }

  /** Checks the idle timeout and retries what is pending; call it periodically. Never throws. */
  readonly tick = async (): Promise<void> => {
    await this.inTurn(async () => {
      const closed = this.deps.windows.tick(this.deps.clock.now().getTime());
      if (closed.length > 0) {
        this.deps.logger.info(
          { windows: closed.length, watermark: iso(this.deps.windows.watermarkMs ?? 0) },
          'no orders for the idle timeout: the watermark followed processing time',
        );
        this.dirty = true;
        this.pending.push(...closed);
      }
      try {
        await this.save();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'analytics state not saved; retrying on the next tick');
        return; // a window is emitted only once its closing is saved
      }
      await this.emitPending();
    });
  };

  /** Waits for the record or tick in hand. */
  /** Ticks every `intervalMs`; the function returned stops the ticks and resolves once the work in hand is done. */
  tickEvery(intervalMs: number): () => Promise<void> {
    const timer = setInterval(() => void this.tick(), intervalMs);
    return async () => {
      clearInterval(timer);
      await this.idle();
    };
  }

  async idle(): Promise<void> {
    await this.turn;
  }

  /** Readiness probes: reject while the state cannot be saved or closed windows cannot be emitted. */
  readonly stateHealth = async (): Promise<void> => {
    if (this.stateProblem) throw new Error(`state not saved: ${this.stateProblem}`);
  };

  readonly resultsHealth = async (): Promise<void> => {
    if (this.emitProblem) throw new Error(`${this.pending.length} window(s) not emitted: ${this.emitProblem}`);
  };

  private inTurn(work: () => Promise<void>): Promise<void> {
    const run = this.turn.then(work);
    this.turn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async save(): Promise<void> {
    if (!this.dirty) return;
    const state: SavedState = { windows: this.deps.windows.snapshot(), pending: this.pending };
    try {
      await this.deps.stateFile.save(state);
    } catch (error) {
      this.stateProblem = reason(error);
      throw error;
    } finally {
      this.observe();
    }
    this.dirty = false;
    this.stateProblem = undefined;
  }

  private async emitPending(): Promise<void> {
    const { logger, metrics, results } = this.deps;
    let emitted = false;
    for (let window = this.pending[0]; window !== undefined; window = this.pending[0]) {
      try {
        const event = buildAnalyticsWindow({ source: this.deps.source, data: windowData(window) });
        if (results.has(event.subject)) {
          logger.info({ windowStart: event.subject }, 'window already emitted; not emitted again');
        } else {
          await this.deps.publish(event);
          await results.append(event);
          metrics.windowsEmitted.inc();
          logger.info(
            {
              windowStart: event.data.windowStart,
              windowEnd: event.data.windowEnd,
              orderCount: event.data.orderCount,
              revenue: event.data.revenue,
              uniqueUsers: event.data.uniqueUsers,
            },
            'window emitted',
          );
        }
      } catch (error) {
        this.emitProblem = reason(error);
        logger.error({ windowStart: iso(window.startMs), err: error }, 'window not emitted; it stays pending');
        break;
      }
      this.pending.shift();
      this.dirty = true;
      emitted = true;
    }
    if (this.pending.length === 0) this.emitProblem = undefined;
    if (!emitted) return this.observe();
    try {
      // Forgetting emitted windows is an optimization: one left pending is found in the results file.
      await this.save();
    } catch (error) {
      logger.warn({ err: error }, 'emitted windows not yet cleared from the saved state');
    }
  }

  private observe(): void {
    const { metrics, windows } = this.deps;
    if (windows.watermarkMs !== null) metrics.watermark.set(windows.watermarkMs / 1000);
    metrics.openWindows.set(windows.openWindowCount);
    metrics.pendingWindows.set(this.pending.length);
  }
}

export interface RestoreOptions extends Pick<AnalyticsJobDeps, 'publish' | 'source' | 'clock' | 'logger' | 'metrics'> {
  /** Folder of the state file and the results file. */
  readonly dataDir: string;
  readonly windows: WindowingConfig;
}

/** Files the job keeps under its data folder. */
export const STATE_FILE = 'analytics-state.json';
export const RESULTS_FILE = ANALYTICS_RESULTS_FILE;

/** The job as a previous run left it: its open windows and the closed ones not yet confirmed emitted. */
export async function restoreAnalyticsJob(options: RestoreOptions): Promise<AnalyticsJob> {
  const stateFile = new StateFile(path.join(options.dataDir, STATE_FILE));
  const saved = await stateFile.load();
  const results = await ResultsFile.open(path.join(options.dataDir, RESULTS_FILE));
  const windows = new TumblingWindows(options.windows, options.clock.now().getTime(), saved?.windows);
  options.logger.info({ restoredWindows: saved?.windows.windows.length ?? 0, ...options.windows }, 'windows restored');
  return new AnalyticsJob({ ...options, windows, pending: saved?.pending, stateFile, results });
}
