import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type AnalyticsWindowData, buildAnalyticsWindow } from '../../../lib/events';
import { PostgresDatabase } from '../../../lib/runtime/db';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { ResultsFileWindows } from './analytics-windows';
import { PostgresWindows, ResultsDatabaseUnreadableError } from './analytics-windows-postgres';
import { analyticsWindowsSource } from './analytics-windows-source';

// The results database's schema as the Flink job's deploy applies it (Flyway, as the owner), on the test run's
// PostgreSQL 17; the gateway reads through a login holding the migrations' analytics_reader role, nothing more.
const MIGRATIONS = path.join(__dirname, '..', '..', '..', 'analytics', 'flink-job', 'migrations');
const schemaSql = readFileSync(path.join(MIGRATIONS, 'V1__analytics_windows.sql'), 'utf8');

const windowAt = (start: string, orderCount = 2, revenue: Record<string, number> = { EUR: 1250 }) => ({
  windowStart: start,
  windowEnd: new Date(Date.parse(start) + 60_000).toISOString(),
  orderCount,
  revenue,
  uniqueUsers: 1,
});

let database: TestDatabase;
let reader: PostgresDatabase;
let readerName: string;

/** Writes windows as the job's sink does: an upsert on window_start (what the owner may do here). */
async function upsert(windows: readonly AnalyticsWindowData[]): Promise<void> {
  for (const w of windows) {
    await database.query(
      `INSERT INTO analytics_windows (window_start, window_end, order_count, revenue, unique_users)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (window_start) DO UPDATE SET window_end = EXCLUDED.window_end, order_count = EXCLUDED.order_count,
         revenue = EXCLUDED.revenue, unique_users = EXCLUDED.unique_users`,
      [w.windowStart, w.windowEnd, w.orderCount, JSON.stringify(w.revenue), w.uniqueUsers],
    );
  }
}

beforeAll(async () => {
  database = await freshDatabase();
  // A script of several statements: through a connection of its own, as Flyway sends it.
  await database.schema('public').exec(schemaSql);
  readerName = `gateway_reader_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const password = randomUUID();
  await database.query(`CREATE ROLE ${readerName} LOGIN PASSWORD '${password}' IN ROLE analytics_reader`);
  const url = new URL(database.url);
  url.username = readerName;
  url.password = password;
  reader = new PostgresDatabase(url.toString(), 'public', { max: 2 });
});
afterAll(async () => {
  await reader?.close();
  // Roles belong to the server, not the database: the login goes before its database does.
  await database?.query(`DROP ROLE IF EXISTS ${readerName}`);
  await database?.drop();
});
beforeEach(async () => {
  await database.query('TRUNCATE analytics_windows');
});

const between = (from: string, to: string) => new PostgresWindows(reader).windowsBetween(new Date(from), new Date(to));

describe('PostgresWindows on the results database (PostgreSQL 17, read-only login)', () => {
  it('answers the windows starting in [from, to), ascending, in the contract shape', async () => {
    await upsert([
      windowAt('2026-12-04T09:02:00.000Z', 3, { EUR: 300, USD: 45 }),
      windowAt('2026-12-04T08:59:00.000Z'),
      windowAt('2026-12-04T09:00:00.000Z'),
      windowAt('2026-12-04T09:03:00.000Z'),
    ]);
    const windows = await between('2026-12-04T09:00:00Z', '2026-12-04T09:03:00Z');
    expect(windows).toEqual([
      windowAt('2026-12-04T09:00:00.000Z'),
      windowAt('2026-12-04T09:02:00.000Z', 3, { EUR: 300, USD: 45 }),
    ]);
  });

  it('answers nothing for a range without windows', async () => {
    await upsert([windowAt('2026-12-04T09:00:00.000Z')]);
    await expect(between('2026-12-04T10:00:00Z', '2026-12-04T11:00:00Z')).resolves.toEqual([]);
  });

  it('answers the replayed value of a window the job wrote twice', async () => {
    await upsert([windowAt('2026-12-04T09:00:00.000Z', 1)]);
    await upsert([windowAt('2026-12-04T09:00:00.000Z', 5, { EUR: 9000 })]);
    await expect(between('2026-12-04T09:00:00Z', '2026-12-04T09:01:00Z')).resolves.toEqual([
      windowAt('2026-12-04T09:00:00.000Z', 5, { EUR: 9000 }),
    ]);
  });

  it('answers what the local results file answers for the same windows', async () => {
    const windows = [
      windowAt('2026-12-04T09:00:00.000Z', 4, { EUR: 10, GBP: 7 }),
      windowAt('2026-12-04T09:01:00.000Z'),
      windowAt('2026-12-04T09:05:00.000Z', 1, { JPY: 500 }),
    ];
    await upsert(windows);
    const dir = await mkdtemp(path.join(tmpdir(), 'gateway-windows-pg-'));
    try {
      const file = path.join(dir, 'analytics-results.jsonl');
      const lines = windows.map((data) =>
        JSON.stringify(buildAnalyticsWindow({ source: '/services/analytics', data })),
      );
      await writeFile(file, `${lines.join('\n')}\n`);
      const from = new Date('2026-12-04T09:00:00Z');
      const to = new Date('2026-12-04T09:05:00Z');
      const fromFile = await new ResultsFileWindows(file).windowsBetween(from, to);
      expect(fromFile).toHaveLength(2);
      await expect(new PostgresWindows(reader).windowsBetween(from, to)).resolves.toEqual(fromFile);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a row the contract refuses, naming the window and the field', async () => {
    // The table allows an empty revenue object; the contract needs at least one currency.
    await upsert([windowAt('2026-12-04T09:00:00.000Z')]);
    await database.query(`UPDATE analytics_windows SET revenue = '{}'::jsonb`);
    await expect(between('2026-12-04T09:00:00Z', '2026-12-04T09:01:00Z')).rejects.toThrow(
      new ResultsDatabaseUnreadableError(
        "analytics_windows row 2026-12-04T09:00:00.000Z: 'revenue' must name at least one currency",
      ),
    );
  });

  it.each([
    ['insert', `INSERT INTO analytics_windows VALUES (now(), now() + interval '1 minute', 1, '{"EUR": 1}', 1)`],
    ['update', 'UPDATE analytics_windows SET order_count = 9'],
    ['delete', 'DELETE FROM analytics_windows'],
    ['create a table', 'CREATE TABLE public.sneaky (id int)'],
  ])('may not %s through the reader role', async (_what, sql) => {
    await expect(reader.query(sql)).rejects.toThrow(/permission denied/);
  });
});

describe('analyticsWindowsSource', () => {
  it('reads the results database when ANALYTICS_DATABASE_URL names one', async () => {
    await upsert([windowAt('2026-12-04T09:00:00.000Z')]);
    const url = new URL(database.url);
    const chosen = analyticsWindowsSource({ databaseUrl: url.toString(), dataDir: '/nonexistent' });
    try {
      expect(chosen.source).toBeInstanceOf(PostgresWindows);
      await expect(
        chosen.source.windowsBetween(new Date('2026-12-04T09:00:00Z'), new Date('2026-12-04T09:01:00Z')),
      ).resolves.toEqual([windowAt('2026-12-04T09:00:00.000Z')]);
    } finally {
      await chosen.close();
    }
  });

  it("reads the twin's results file under DATA_DIR otherwise", async () => {
    const chosen = analyticsWindowsSource({ dataDir: '/var/lib/shopfront' });
    expect(chosen.source).toBeInstanceOf(ResultsFileWindows);
    expect((chosen.source as ResultsFileWindows).path).toBe('/var/lib/shopfront/analytics-results.jsonl');
    await chosen.close();
  });
});
