import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYTICS_RESULTS_FILE, type AnalyticsWindowData, buildAnalyticsWindow } from '../../lib/events';
import { adminToken, customerToken, startTestPlatform, type TestPlatform } from './test-support/gateway';

const window = (start: string, orderCount: number, revenue: Record<string, number>, uniqueUsers: number) =>
  ({
    windowStart: start,
    windowEnd: new Date(Date.parse(start) + 60_000).toISOString(),
    orderCount,
    revenue,
    uniqueUsers,
  }) satisfies AnalyticsWindowData;

const WINDOWS = [
  window('2026-12-04T08:59:00.000Z', 1, { EUR: 500 }, 1),
  window('2026-12-04T09:00:00.000Z', 3, { EUR: 1999, USD: 2500 }, 2),
  window('2026-12-04T09:01:00.000Z', 1, { JPY: 3600 }, 1),
  window('2026-12-05T09:00:00.000Z', 2, { EUR: 200 }, 2),
];

let platform: TestPlatform;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gateway-analytics-'));
  await writeFile(
    join(dataDir, ANALYTICS_RESULTS_FILE),
    WINDOWS.map((data) => `${JSON.stringify(buildAnalyticsWindow({ source: '/services/analytics', data }))}\n`).join(
      '',
    ),
  );
  platform = await startTestPlatform({ DATA_DIR: dataDir });
});
afterAll(async () => {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const asAdmin = async (query: string) =>
  platform.api.request('GET', '/api/v1/analytics/windows', {
    query,
    headers: { authorization: `Bearer ${await adminToken()}` },
  });

describe('GET /api/v1/analytics/windows', () => {
  it("answers an admin the twin's windows starting in [from, to), ascending, in UTC, never cached", async () => {
    const response = await asAdmin('from=2026-12-04T09:00:00Z&to=2026-12-04T10:00:00Z');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({
      from: '2026-12-04T09:00:00.000Z',
      to: '2026-12-04T10:00:00.000Z',
      items: [
        {
          start: '2026-12-04T09:00:00.000Z',
          end: '2026-12-04T09:01:00.000Z',
          orderCount: 3,
          revenue: { EUR: 1999, USD: 2500 },
          uniqueUsers: 2,
        },
        {
          start: '2026-12-04T09:01:00.000Z',
          end: '2026-12-04T09:02:00.000Z',
          orderCount: 1,
          revenue: { JPY: 3600 },
          uniqueUsers: 1,
        },
      ],
    });
  });

  it('reads instants with an offset as the UTC instants they are', async () => {
    const response = await asAdmin(`from=${encodeURIComponent('2026-12-04T09:59:00+01:00')}&to=2026-12-04T09:01:00Z`);
    expect(response.status).toBe(200);
    expect((response.body as { from: string; items: { start: string }[] }).items.map((w) => w.start)).toEqual([
      '2026-12-04T08:59:00.000Z',
      '2026-12-04T09:00:00.000Z',
    ]);
  });

  it('accepts a range of exactly 24 hours, and answers an empty list where no window closed', async () => {
    const day = await asAdmin('from=2026-12-04T09:00:00Z&to=2026-12-05T09:00:00Z');
    expect((day.body as { items: unknown[] }).items).toHaveLength(2);
    const none = await asAdmin('from=2027-01-01T00:00:00Z&to=2027-01-01T01:00:00Z');
    expect(none.status).toBe(200);
    expect((none.body as { items: unknown[] }).items).toEqual([]);
  });

  it('is for admins only: 403 PERMISSION_DENIED for a customer, 401 without a token', async () => {
    const customer = await platform.api.request('GET', '/api/v1/analytics/windows', {
      query: 'from=2026-12-04T09:00:00Z&to=2026-12-04T10:00:00Z',
      headers: { authorization: `Bearer ${await customerToken()}` },
    });
    expect(customer.status).toBe(403);
    expect(customer.body).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    const anonymous = await platform.api.request('GET', '/api/v1/analytics/windows', {
      query: 'from=2026-12-04T09:00:00Z&to=2026-12-04T10:00:00Z',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it.each([
    ['no from', 'to=2026-12-04T10:00:00Z', 'from', 'is required'],
    ['no to', 'from=2026-12-04T09:00:00Z', 'to', 'is required'],
    ['from not a date', 'from=yesterday&to=2026-12-04T10:00:00Z', 'from', 'RFC 3339'],
    ['from without a time zone', 'from=2026-12-04T09:00:00&to=2026-12-04T10:00:00Z', 'from', 'time zone'],
    ['to a date only', 'from=2026-12-04T09:00:00Z&to=2026-12-05', 'to', 'RFC 3339'],
    ['an impossible date', 'from=2026-02-30T09:00:00Z&to=2026-12-04T10:00:00Z', 'from', 'RFC 3339'],
    ['to before from', 'from=2026-12-04T10:00:00Z&to=2026-12-04T09:00:00Z', 'to', 'must be after from'],
    ['an empty range', 'from=2026-12-04T10:00:00Z&to=2026-12-04T10:00:00Z', 'to', 'must be after from'],
    ['more than 24 hours', 'from=2026-12-04T09:00:00Z&to=2026-12-05T09:00:00.001Z', 'to', 'at most 24 hours'],
    ['a year', 'from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z', 'to', 'at most 24 hours'],
    ['an unknown parameter', 'from=2026-12-04T09:00:00Z&to=2026-12-04T10:00:00Z&limit=5', 'limit', 'unknown'],
    ['from twice', 'from=2026-12-04T09:00:00Z&from=2026-12-04T09:30:00Z&to=2026-12-04T10:00:00Z', 'from', ''],
  ])('answers 400 INVALID_ARGUMENT for %s, naming the field', async (_case, query, field, message) => {
    const response = await asAdmin(query);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field } });
    expect((response.body as { error: { message: string } }).error.message).toContain(message);
  });
});
