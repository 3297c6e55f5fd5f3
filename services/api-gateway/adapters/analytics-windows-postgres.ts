import { type AnalyticsWindowData, analyticsWindowDataSchema } from '../../../lib/events';
import type { Queryable } from '../../../lib/runtime/db';
import type { AnalyticsWindowsSource } from './analytics-windows';

/** A row of `analytics_windows` the windows contract refuses (the table's checks are looser than the contract). */
export class ResultsDatabaseUnreadableError extends Error {
  override readonly name = 'ResultsDatabaseUnreadableError';
}

interface WindowRow {
  readonly window_start: Date;
  readonly window_end: Date;
  readonly order_count: number;
  readonly revenue: unknown;
  readonly unique_users: number;
}

/**
 * The cloud's windows: the results database the Flink job upserts into (Cloud SQL, `analytics_windows`, schema in
 * analytics/flink-job/migrations), read through a login that holds `analytics_reader` (SELECT on that table and
 * nothing else). One row per window start (the table's key), so no deduplication; the range is the key's range.
 */
export class PostgresWindows implements AnalyticsWindowsSource {
  constructor(private readonly db: Queryable) {}

  async windowsBetween(from: Date, to: Date): Promise<readonly AnalyticsWindowData[]> {
    const { rows } = await this.db.query<WindowRow>(
      `SELECT window_start, window_end, order_count, revenue, unique_users
         FROM analytics_windows
        WHERE window_start >= $1 AND window_start < $2
        ORDER BY window_start`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((row) => {
      const parsed = analyticsWindowDataSchema.safeParse({
        windowStart: row.window_start.toISOString(),
        windowEnd: row.window_end.toISOString(),
        orderCount: Number(row.order_count),
        revenue: row.revenue,
        uniqueUsers: Number(row.unique_users),
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ResultsDatabaseUnreadableError(
          `analytics_windows row ${row.window_start.toISOString()}: '${issue?.path.join('.')}' ${issue?.message}`,
        );
      }
      return parsed.data;
    });
  }
}
