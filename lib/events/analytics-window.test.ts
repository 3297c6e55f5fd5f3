import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ANALYTICS_WINDOW_V1,
  type AnalyticsWindowData,
  buildAnalyticsWindow,
  InvalidEventError,
  parseAnalyticsWindowEvent,
} from './index';

const data: AnalyticsWindowData = {
  windowStart: '2025-11-26T09:15:00.000Z',
  windowEnd: '2025-11-26T09:16:00.000Z',
  orderCount: 3,
  revenue: { USD: 500, EUR: 12947 },
  uniqueUsers: 2,
};

const buildError = (change: Partial<AnalyticsWindowData>): InvalidEventError => {
  try {
    buildAnalyticsWindow({ source: '/services/analytics', data: { ...data, ...change } });
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected buildAnalyticsWindow to throw');
};

const errorOf = (raw: unknown) => {
  const result = parseAnalyticsWindowEvent(raw);
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.error;
};

describe('buildAnalyticsWindow', () => {
  it('derives id, time and subject from the window, so the same window always gives the same bytes', () => {
    const event = buildAnalyticsWindow({ source: '/services/analytics', data });
    expect(event).toEqual({
      specversion: '1.0',
      id: '2025-11-26T09:15:00.000Z/2025-11-26T09:16:00.000Z',
      source: '/services/analytics',
      type: ANALYTICS_WINDOW_V1,
      time: '2025-11-26T09:16:00.000Z',
      subject: '2025-11-26T09:15:00.000Z',
      datacontenttype: 'application/json',
      data: { ...data, revenue: { EUR: 12947, USD: 500 } },
    });
    // Currencies are sorted: equal windows serialize identically whatever order they were summed in.
    expect(Object.keys(event.data.revenue)).toEqual(['EUR', 'USD']);
    const again = buildAnalyticsWindow({
      source: '/services/analytics',
      data: { ...data, revenue: { ...data.revenue } },
    });
    expect(JSON.stringify(again)).toBe(JSON.stringify(event));
    expect(parseAnalyticsWindowEvent(JSON.stringify(event))).toEqual({ ok: true, event });
  });

  it.each<[string, Partial<AnalyticsWindowData>, string]>([
    ['a float revenue', { revenue: { EUR: 12.5 } }, 'data.revenue.EUR'],
    ['a negative revenue', { revenue: { EUR: -1 } }, 'data.revenue.EUR'],
    ['a lower-case currency', { revenue: { eur: 1 } }, 'data.revenue.eur'],
    ['no currency at all', { revenue: {} }, 'data.revenue'],
    ['an empty window', { orderCount: 0 }, 'data.orderCount'],
    ['more users than orders', { uniqueUsers: 4 }, 'data.uniqueUsers'],
    ['an end before the start', { windowEnd: '2025-11-26T09:14:00.000Z' }, 'data.windowEnd'],
    ['a start without a zone', { windowStart: '2025-11-26T09:15:00' }, 'data.windowStart'],
  ])('rejects %s, naming the field', (_label, change, field) => {
    expect(buildError(change)).toMatchObject({ code: 'INVALID_EVENT', field });
  });
});

describe('parseAnalyticsWindowEvent', () => {
  const valid = () =>
    JSON.parse(JSON.stringify(buildAnalyticsWindow({ source: '/services/analytics', data }))) as Record<
      string,
      unknown
    >;

  it('accepts the example printed in the README', () => {
    const readme = readFileSync(join(__dirname, 'README.md'), 'utf8');
    const block = /```json analytics-window\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(parseAnalyticsWindowEvent(block).ok).toBe(true);
  });

  it('accepts a Buffer, as a Kafka value arrives', () => {
    expect(parseAnalyticsWindowEvent(Buffer.from(JSON.stringify(valid()))).ok).toBe(true);
  });

  it('rejects text that is not JSON without echoing it', () => {
    const error = errorOf('{"specversion":');
    expect(error.code).toBe('NOT_JSON');
    expect(error.message).not.toContain('specversion');
  });

  it('rejects a newer version as UNKNOWN_EVENT_TYPE', () => {
    expect(errorOf({ ...valid(), type: 'com.shopfront.analytics.window.v2' })).toMatchObject({
      code: 'UNKNOWN_EVENT_TYPE',
      field: 'type',
    });
  });

  it('rejects an order event: it is not a window', () => {
    expect(errorOf({ ...valid(), type: 'com.shopfront.order.created.v1' }).code).toBe('UNKNOWN_EVENT_TYPE');
  });

  it.each<[string, (event: Record<string, unknown>) => void, string]>([
    ['a subject other than the window start', (e) => (e.subject = '2025-11-26T09:16:00.000Z'), 'subject'],
    ['a missing type', (e) => delete e.type, 'type'],
    ['missing data', (e) => delete e.data, 'data'],
  ])('rejects %s', (_label, change, field) => {
    const event = valid();
    change(event);
    expect(errorOf(event)).toMatchObject({ code: 'INVALID_EVENT', field });
  });

  it('rejects JSON that is not an object', () => {
    expect(errorOf('[]')).toMatchObject({ code: 'INVALID_EVENT' });
  });
});
