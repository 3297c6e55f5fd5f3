import type { StreamWindowSpec } from '../../../lib/platform';
import { FailedPreconditionError, InvalidArgumentError } from '../../../lib/runtime/errors';

/**
 * Tumbling event-time windows with a bounded-out-of-orderness watermark, with the semantics of an Apache
 * Flink SQL `TUMBLE` window aggregation whose source declares `WATERMARK FOR t AS t - INTERVAL 'd'` and emits
 * the watermark on every event, with no allowed lateness:
 *
 * - an event with time `t` belongs to `[start, start + windowMs)`, `start = floor(t / windowMs) * windowMs`
 *   (aligned to the Unix epoch, so to UTC minutes);
 * - the watermark is `max(t) - outOfOrdernessMs` over every valid event seen (Flink SQL's watermark
 *   expression; no `- 1 ms` as in the DataStream API's BoundedOutOfOrdernessWatermarks);
 * - a window fires, is emitted once and forgotten, when `watermark >= end - 1` (Flink fires a window's
 *   timer at its last millisecond, `end - 1`);
 * - an event whose window has fired is late: dropped and reported, never emitted (checked against the
 *   watermark before the event, as Flink's watermark follows the event it was computed from);
 * - a repeated event id within a window is a duplicate and counted once (the dedup key is window + id,
 *   as Flink SQL's window deduplication);
 * - only windows with at least one event exist, so only those are emitted.
 *
 * Pure: no I/O and no clock of its own. Processing time, needed only for the idle timeout, is passed in.
 */

/** Window length, lateness bound and idle timeout: the catalog's setting of the analytics stream job. */
export type WindowingConfig = StreamWindowSpec;

/** What the windows need of one `order.created` event. */
export interface OrderFact {
  /** The CloudEvent id: the deduplication key. */
  readonly eventId: string;
  /** Event time: the CloudEvent `time`, epoch milliseconds. */
  readonly eventTimeMs: number;
  readonly userId: string;
  /** `data.total`, in minor units of `currency`. */
  readonly amount: number;
  readonly currency: string;
}

/** A closed window's aggregates. */
export interface WindowResult {
  readonly startMs: number;
  readonly endMs: number;
  readonly orderCount: number;
  /** Currency -> sum of totals in its minor units. */
  readonly revenue: Readonly<Record<string, number>>;
  readonly uniqueUsers: number;
}

export type AddOutcome = 'counted' | 'duplicate' | 'late';

export interface AddResult {
  readonly outcome: AddOutcome;
  /** Start of the window the event belongs to (for logs). */
  readonly windowStartMs: number;
  /** Windows the event's watermark closed, in ascending start order. */
  readonly closed: readonly WindowResult[];
}

/** An open window as JSON can hold it. */
export interface OpenWindowSnapshot {
  readonly startMs: number;
  readonly orderCount: number;
  readonly revenue: Readonly<Record<string, number>>;
  readonly userIds: readonly string[];
  readonly eventIds: readonly string[];
}

/** Everything needed to resume exactly where the windows were: watermark and open windows. */
export interface WindowsSnapshot {
  readonly windowMs: number;
  /** `null` before the first event (Flink's initial watermark is the smallest long). */
  readonly watermarkMs: number | null;
  readonly windows: readonly OpenWindowSnapshot[];
}

interface OpenWindow {
  readonly startMs: number;
  orderCount: number;
  readonly revenue: Map<string, number>;
  readonly userIds: Set<string>;
  readonly eventIds: Set<string>;
}

const requireInteger = (field: string, value: number, min: number): void => {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(field, `${field} must be an integer >= ${min}, got ${value}`);
  }
};

export class TumblingWindows {
  private watermark: number | null;
  private readonly open = new Map<number, OpenWindow>();
  /** Processing time of the last event; not persisted: a restarted process starts its idle clock anew. */
  private lastArrivalMs: number;

  /**
   * @param nowMs processing time now, where the idle clock starts
   * @param snapshot windows and watermark to resume from (what `snapshot()` returned)
   * @throws InvalidArgumentError on a bad config; FailedPreconditionError on a snapshot of another window length
   */
  constructor(
    readonly config: WindowingConfig,
    nowMs: number,
    snapshot?: WindowsSnapshot,
  ) {
    requireInteger('windowMs', config.windowMs, 1);
    requireInteger('outOfOrdernessMs', config.outOfOrdernessMs, 0);
    requireInteger('idleTimeoutMs', config.idleTimeoutMs, 1);
    this.lastArrivalMs = nowMs;
    this.watermark = null;
    if (snapshot) {
      if (snapshot.windowMs !== config.windowMs) {
        throw new FailedPreconditionError(
          `saved windows are ${snapshot.windowMs} ms long, this job's are ${config.windowMs} ms`,
        );
      }
      this.watermark = snapshot.watermarkMs;
      for (const w of snapshot.windows) {
        this.open.set(w.startMs, {
          startMs: w.startMs,
          orderCount: w.orderCount,
          revenue: new Map(Object.entries(w.revenue)),
          userIds: new Set(w.userIds),
          eventIds: new Set(w.eventIds),
        });
      }
    }
  }

  /** The current watermark, `null` before the first event. */
  get watermarkMs(): number | null {
    return this.watermark;
  }

  get openWindowCount(): number {
    return this.open.size;
  }

  /** Start of the window an event time belongs to. */
  windowStartOf(eventTimeMs: number): number {
    return Math.floor(eventTimeMs / this.config.windowMs) * this.config.windowMs;
  }

  /**
   * Counts one event (unless late or a duplicate), then advances the watermark and closes what it passed.
   * @param nowMs processing time of arrival, for the idle timeout
   * @throws InvalidArgumentError when the window's revenue would leave the safe integer range (nothing changes)
   */
  add(fact: OrderFact, nowMs: number): AddResult {
    const startMs = this.windowStartOf(fact.eventTimeMs);
    const endMs = startMs + this.config.windowMs;
    let outcome: AddOutcome;
    if (this.hasFired(endMs)) {
      outcome = 'late';
    } else {
      const window = this.open.get(startMs);
      if (window?.eventIds.has(fact.eventId)) {
        outcome = 'duplicate';
      } else {
        const revenue = (window?.revenue.get(fact.currency) ?? 0) + fact.amount;
        if (!Number.isSafeInteger(revenue)) {
          throw new InvalidArgumentError('amount', `the window's ${fact.currency} revenue would exceed a safe integer`);
        }
        const target = window ?? this.openWindow(startMs);
        target.orderCount += 1;
        target.revenue.set(fact.currency, revenue);
        target.userIds.add(fact.userId);
        target.eventIds.add(fact.eventId);
        outcome = 'counted';
      }
    }
    this.lastArrivalMs = nowMs;
    const closed = this.advanceTo(fact.eventTimeMs - this.config.outOfOrdernessMs);
    return { outcome, windowStartMs: startMs, closed };
  }

  /**
   * Called periodically with processing time. Once no event has arrived for `idleTimeoutMs`, the watermark
   * follows processing time (`now - outOfOrdernessMs`) so open windows still close when orders stop coming,
   * but never past the last open window's end: idleness closes what is open; it does not declare event
   * times that nothing has been seen of yet late.
   */
  tick(nowMs: number): WindowResult[] {
    if (this.open.size === 0 || nowMs - this.lastArrivalMs < this.config.idleTimeoutMs) return [];
    const lastEnd = Math.max(...this.open.keys()) + this.config.windowMs;
    return this.advanceTo(Math.min(nowMs - this.config.outOfOrdernessMs, lastEnd - 1));
  }

  /** End of a bounded input: Flink's final (maximum) watermark, which fires every open window. */
  endOfInput(): WindowResult[] {
    return this.advanceTo(Number.MAX_SAFE_INTEGER);
  }

  snapshot(): WindowsSnapshot {
    return {
      windowMs: this.config.windowMs,
      watermarkMs: this.watermark,
      windows: this.sortedWindows().map((w) => ({
        startMs: w.startMs,
        orderCount: w.orderCount,
        revenue: Object.fromEntries(w.revenue),
        userIds: [...w.userIds],
        eventIds: [...w.eventIds],
      })),
    };
  }

  private hasFired(endMs: number): boolean {
    return this.watermark !== null && this.watermark >= endMs - 1;
  }

  private openWindow(startMs: number): OpenWindow {
    const window: OpenWindow = {
      startMs,
      orderCount: 0,
      revenue: new Map(),
      userIds: new Set(),
      eventIds: new Set(),
    };
    this.open.set(startMs, window);
    return window;
  }

  private sortedWindows(): OpenWindow[] {
    return [...this.open.values()].sort((a, b) => a.startMs - b.startMs);
  }

  /** Moves the watermark forward (never back) and closes every window it has passed, oldest first. */
  private advanceTo(candidateMs: number): WindowResult[] {
    if (this.watermark !== null && candidateMs <= this.watermark) return [];
    this.watermark = candidateMs;
    const closed: WindowResult[] = [];
    for (const window of this.sortedWindows()) {
      const endMs = window.startMs + this.config.windowMs;
      if (!this.hasFired(endMs)) break;
      this.open.delete(window.startMs);
      closed.push({
        startMs: window.startMs,
        endMs,
        orderCount: window.orderCount,
        revenue: Object.fromEntries(window.revenue),
        uniqueUsers: window.userIds.size,
      });
    }
    return closed;
  }
}
