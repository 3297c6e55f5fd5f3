import { z } from 'zod';
import type { AnalyticsWindowsSource } from '../adapters/analytics-windows';
import { defineRoute, type Route } from './route';

/**
 * The widest range one request may ask for: a day, 1440 one-minute windows. Longer reports page through days;
 * the bound keeps one request from reading a year of results.
 */
export const MAX_WINDOW_RANGE_HOURS = 24;
const MAX_WINDOW_RANGE_MS = MAX_WINDOW_RANGE_HOURS * 3_600_000;

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an RFC 3339 date-time with a time zone, e.g. 2026-12-04T09:00:00Z' })
    .describe(what);

/** `?from=&to=`: both required, `to` after `from` and at most MAX_WINDOW_RANGE_HOURS later. */
export const WindowRangeQuery = z
  .object({
    from: instant('windows starting at or after this instant'),
    to: instant(`windows starting before this instant; at most ${MAX_WINDOW_RANGE_HOURS} hours after from`),
  })
  .strict()
  .superRefine((range, ctx) => {
    const span = Date.parse(range.to) - Date.parse(range.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (span > MAX_WINDOW_RANGE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `must be at most ${MAX_WINDOW_RANGE_HOURS} hours after from`,
      });
    }
  });

export const AnalyticsWindowView = z
  .object({
    start: z.string().describe('inclusive, RFC 3339 UTC with milliseconds'),
    end: z.string().describe('exclusive'),
    orderCount: z.int().describe('distinct orders whose event time falls in the window'),
    revenue: z.record(z.string(), z.int()).describe('ISO 4217 currency -> integer minor units, never converted'),
    uniqueUsers: z.int().describe('distinct customers among those orders'),
  })
  .strict();

export const AnalyticsWindowList = z
  .object({
    from: z.string(),
    to: z.string(),
    items: z.array(AnalyticsWindowView).describe('closed, non-empty windows, ascending by start'),
  })
  .strict();

const utc = (instant: string) => new Date(Date.parse(instant)).toISOString();

/** Admin-only reads of the analytics results: the same windows the analytics job emits. */
export function analyticsRoutes(deps: { readonly windows: AnalyticsWindowsSource }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/analytics/windows',
      operationId: 'listAnalyticsWindows',
      summary: `Closed 1-minute analytics windows starting in [from, to), at most ${MAX_WINDOW_RANGE_HOURS} hours (admin)`,
      tag: 'analytics',
      access: 'admin',
      noStore: true,
      query: WindowRangeQuery,
      responses: { 200: { description: 'the windows, ascending by start', schema: AnalyticsWindowList } },
      handle: async ({ query }) => {
        const [from, to] = [utc(query.from), utc(query.to)];
        const windows = await deps.windows.windowsBetween(new Date(from), new Date(to));
        return {
          status: 200,
          body: {
            from,
            to,
            items: windows.map((w) => ({
              start: utc(w.windowStart),
              end: utc(w.windowEnd),
              orderCount: w.orderCount,
              revenue: w.revenue,
              uniqueUsers: w.uniqueUsers,
            })),
          },
        };
      },
    }),
  ];
}
