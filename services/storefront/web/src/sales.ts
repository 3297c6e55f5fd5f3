/**
 * One closed 1-minute window of the analytics job, as GET /api/v1/analytics/windows answers it: `{from, to, items:
 * [{start, end, orderCount, revenue, uniqueUsers}]}`. A window named as the `analytics.window` event names it
 * (`windowStart`) is read too.
 */
export interface SalesWindow {
  /** Start of the window, epoch milliseconds. */
  readonly start: number;
  readonly orderCount: number;
  /** ISO 4217 currency -> integer minor units. */
  readonly revenue: Readonly<Record<string, number>>;
}

export interface MinuteSales {
  /** Start of the minute, epoch milliseconds. */
  readonly start: number;
  readonly orders: number;
  readonly revenue: Readonly<Record<string, number>>;
}

export const MINUTE_MS = 60_000;

const isRevenue = (value: unknown): value is Record<string, number> =>
  typeof value === 'object' &&
  value !== null &&
  Object.values(value).every((amount) => Number.isInteger(amount) && (amount as number) >= 0);

/** The windows of an answer; anything that is not a window is left out. */
export function windowsOf(answer: unknown): SalesWindow[] {
  const list = Array.isArray(answer) ? answer : (answer as { items?: unknown } | null)?.items;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) => {
    const w = item as { start?: unknown; windowStart?: unknown; orderCount?: unknown; revenue?: unknown } | null;
    const startText = w?.start ?? w?.windowStart;
    const start = typeof startText === 'string' ? Date.parse(startText) : Number.NaN;
    if (Number.isNaN(start) || !Number.isInteger(w?.orderCount)) return [];
    return [{ start, orderCount: w?.orderCount as number, revenue: isRevenue(w?.revenue) ? w.revenue : {} }];
  });
}

/**
 * The last `minutes` whole minutes before `now`, oldest first, each with its window's figures or zero: the job writes
 * no window for a minute without orders.
 */
export function salesPerMinute(windows: readonly SalesWindow[], now: number, minutes = 60): MinuteSales[] {
  const byStart = new Map(windows.map((w) => [w.start, w]));
  const lastStart = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  return Array.from({ length: minutes }, (_, i) => {
    const start = lastStart - (minutes - 1 - i) * MINUTE_MS;
    const w = byStart.get(start);
    return { start, orders: w?.orderCount ?? 0, revenue: w?.revenue ?? {} };
  });
}
