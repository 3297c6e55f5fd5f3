import { z } from 'zod';
import { type EventError, fromZodError, InvalidEventError } from './errors';
import { currencyCodeSchema } from './money';
import { CLOUDEVENTS_SPEC_VERSION, JSON_CONTENT_TYPE } from './order-created';

/** CloudEvents `type` of one closed analytics window; the trailing `.vN` is the schema version. */
export const ANALYTICS_WINDOW_V1 = 'com.shopfront.analytics.window.v1';

const nonEmpty = z.string().trim().min(1, 'must not be empty');
/** RFC 3339: a date-time with `Z` or an explicit offset; local times are ambiguous and rejected. */
const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with a time zone' });
const count = z.int('must be an integer').positive('must be at least 1');

/**
 * One closed tumbling window `[windowStart, windowEnd)` of `order.created` events, by event time. Only
 * non-empty windows exist, so `orderCount` and `uniqueUsers` are at least 1.
 */
export const analyticsWindowDataSchema = z
  .object({
    windowStart: rfc3339,
    windowEnd: rfc3339,
    /** Distinct order events (by CloudEvent id) whose `time` falls in the window. */
    orderCount: count,
    /** Sum of `data.total.amount` per currency, in minor units; never mixed across currencies. */
    revenue: z
      .record(currencyCodeSchema, z.int('must be an integer number of minor units').nonnegative('must not be negative'))
      .refine((revenue) => Object.keys(revenue).length > 0, 'must name at least one currency'),
    /** Distinct `data.userId` among those events. */
    uniqueUsers: count,
  })
  .superRefine((data, ctx) => {
    if (Date.parse(data.windowEnd) <= Date.parse(data.windowStart)) {
      ctx.addIssue({ code: 'custom', path: ['windowEnd'], message: 'must be after windowStart' });
    }
    if (data.uniqueUsers > data.orderCount) {
      ctx.addIssue({ code: 'custom', path: ['uniqueUsers'], message: 'must not exceed orderCount' });
    }
  });

/** CloudEvents 1.0, structured JSON mode; `subject` is the window start, the record's Kafka key. */
export const analyticsWindowEventSchema = z
  .object({
    specversion: z.literal(CLOUDEVENTS_SPEC_VERSION),
    id: nonEmpty,
    source: nonEmpty,
    type: z.literal(ANALYTICS_WINDOW_V1),
    time: rfc3339,
    subject: nonEmpty,
    datacontenttype: z.literal(JSON_CONTENT_TYPE),
    data: analyticsWindowDataSchema,
  })
  .superRefine((event, ctx) => {
    if (event.subject !== event.data.windowStart) {
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'must equal data.windowStart' });
    }
  });

/**
 * The local analytics twin's results under its DATA_DIR: one `analytics.window` event per line, at most one line per
 * window (the twin writes it; the gateway's windows query reads it).
 */
export const ANALYTICS_RESULTS_FILE = 'analytics-results.jsonl';

export type AnalyticsWindowData = z.infer<typeof analyticsWindowDataSchema>;
export type AnalyticsWindowEvent = z.infer<typeof analyticsWindowEventSchema>;

export interface AnalyticsWindowInput {
  /** Producer, as a URI reference, e.g. `/services/analytics`. */
  readonly source: string;
  readonly data: AnalyticsWindowData;
}

/**
 * The id of a window's event: the window itself as an ISO 8601 interval, e.g.
 * `2025-11-26T09:15:00.000Z/2025-11-26T09:16:00.000Z`. Deterministic, so a window emitted again after a crash
 * carries the same id and consumers can drop the repeat.
 */
export const analyticsWindowEventId = (data: Pick<AnalyticsWindowData, 'windowStart' | 'windowEnd'>): string =>
  `${data.windowStart}/${data.windowEnd}`;

/**
 * Builds an `analytics.window` v1 event and validates it before it leaves the producer. Every field is a
 * function of the window (`time` is the window end: the moment, in event time, the window was complete), so
 * emitting the same window twice produces the same bytes. Currencies are listed in alphabetical order.
 * @throws InvalidEventError naming the first bad field
 */
export const buildAnalyticsWindow = (input: AnalyticsWindowInput): AnalyticsWindowEvent => {
  const revenue = Object.fromEntries(
    Object.entries(input.data.revenue).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const candidate = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: analyticsWindowEventId(input.data),
    source: input.source,
    type: ANALYTICS_WINDOW_V1,
    time: input.data.windowEnd,
    subject: input.data.windowStart,
    datacontenttype: JSON_CONTENT_TYPE,
    data: { ...input.data, revenue },
  };
  const parsed = analyticsWindowEventSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new InvalidEventError(fromZodError(parsed.error));
  }
  return parsed.data;
};

export type ParseAnalyticsWindowResult = { ok: true; event: AnalyticsWindowEvent } | { ok: false; error: EventError };

/**
 * Parses an analytics window event from a Kafka value (Buffer), a JSON string, or a decoded object. Never
 * throws; an unknown type or version is UNKNOWN_EVENT_TYPE, as for order events.
 */
export const parseAnalyticsWindowEvent = (raw: unknown): ParseAnalyticsWindowResult => {
  let value: unknown = raw;
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
    } catch {
      return { ok: false, error: { code: 'NOT_JSON', message: 'payload is not valid JSON' } };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: { code: 'INVALID_EVENT', message: 'event must be a JSON object' } };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string' && type !== '' && type !== ANALYTICS_WINDOW_V1) {
    return {
      ok: false,
      error: {
        code: 'UNKNOWN_EVENT_TYPE',
        message: `type: unsupported event type '${type}', expected ${ANALYTICS_WINDOW_V1}`,
        field: 'type',
      },
    };
  }
  const parsed = analyticsWindowEventSchema.safeParse(value);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, error: fromZodError(parsed.error) };
};
