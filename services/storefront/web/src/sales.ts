/** One closed 1-minute window of the analytics job (the `analytics.window` event's data). */
export interface SalesWindow {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly orderCount: number;
  readonly revenue: Readonly<Record<string, number>>;
  readonly uniqueUsers: number;
}

export interface MinuteSales {
  /** Start of the minute, epoch milliseconds. */
  readonly start: number;
  readonly orders: number;
  readonly revenue: Readonly<Record<string, number>>;
}

export const MINUTE_MS = 60_000;

/** The windows of GET /api/v1/analytics/windows, whichever list member the answer names them in. */
export function windowsOf(answer: unknown): SalesWindow[] {
  const list = Array.isArray(answer)
    ? answer
    : ((answer as { items?: unknown; windows?: unknown } | null)?.items ??
      (answer as { windows?: unknown } | null)?.windows);
  if (!Array.isArray(list)) return [];
  return list.filter(
    (w): w is SalesWindow =>
      typeof w?.windowStart === 'string' &&
      typeof w?.orderCount === 'number' &&
      !Number.isNaN(Date.parse(w.windowStart)),
  );
}

/**
 * The last `minutes` whole minutes before `now`, oldest first, each with its window's figures or zero: the job writes
 * no window for a minute without orders.
 */
export function salesPerMinute(windows: readonly SalesWindow[], now: number, minutes = 60): MinuteSales[] {
  const byStart = new Map(windows.map((w) => [Date.parse(w.windowStart), w]));
  const lastStart = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  return Array.from({ length: minutes }, (_, i) => {
    const start = lastStart - (minutes - 1 - i) * MINUTE_MS;
    const w = byStart.get(start);
    return { start, orders: w?.orderCount ?? 0, revenue: w?.revenue ?? {} };
  });
}
