import pg from 'pg';
import { capturedLogger } from '../test-support/logs';
import { freshDatabase, type TestDatabase } from '../test-support/postgres';
import { eventBusContract } from './bus.contract';
import { PostgresEventLog } from './postgres-log';

describe('the event log in PostgreSQL', () => {
  const { logger } = capturedLogger();
  const partitions: Record<string, number> = {};
  let database: TestDatabase;
  let bus: PostgresEventLog;
  beforeAll(async () => {
    database = await freshDatabase();
    bus = new PostgresEventLog({ url: database.url, partitions, logger, pollMs: 200 });
  });
  afterAll(async () => {
    await bus.close();
    await database.drop();
  });
  eventBusContract(() => ({
    bus,
    createTopic: async (name, count) => {
      partitions[name] = count;
    },
  }));

  it('deletes records past the retention, and a group reading after them goes on from the next one', async () => {
    partitions.retained = 1;
    const short = new PostgresEventLog({ url: database.url, partitions, logger, pollMs: 200, retentionMs: 60_000 });
    try {
      await short.publish('retained', [{ key: 'k', value: 'old' }]);
      // Age the first record past the retention, as if published two minutes ago.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(
        "UPDATE events.records SET appended_at = appended_at - interval '2 minutes' WHERE topic = 'retained'",
      );
      await admin.end();
      await short.publish('retained', [{ key: 'k', value: 'new' }]);
      expect(await short.trim()).toBe(1);
      expect((await short.records('retained')).map((r) => r.value)).toEqual(['new']);
      const handled: string[] = [];
      const sub = await short.subscribe({
        topic: 'retained',
        groupId: 'late',
        handle: async (m) => void handled.push(m.value),
      });
      while (handled.length < 1) await new Promise((r) => setTimeout(r, 10));
      await sub.stop();
      expect(handled).toEqual(['new']);
      expect(await short.trim()).toBe(0);
    } finally {
      await short.close();
    }
  });

  it('is shared by separate instances, as by separate processes: a group resumes where another instance left it', async () => {
    partitions.shared = 2;
    const second = new PostgresEventLog({ url: database.url, partitions, logger, pollMs: 200 });
    try {
      await bus.publish(
        'shared',
        [1, 2, 3].map((i) => ({ key: `o${i}`, value: `v${i}` })),
      );
      const handled: string[] = [];
      const sub = await bus.subscribe({
        topic: 'shared',
        groupId: 'g',
        handle: async (m) => void handled.push(m.value),
      });
      while (handled.length < 3) await new Promise((r) => setTimeout(r, 10));
      await sub.stop();

      await bus.publish('shared', [{ key: 'o4', value: 'v4' }]);
      const resumed: string[] = [];
      const other = await second.subscribe({
        topic: 'shared',
        groupId: 'g',
        handle: async (m) => void resumed.push(m.value),
      });
      while (resumed.length < 1) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300));
      await other.stop();
      expect(handled.sort()).toEqual(['v1', 'v2', 'v3']);
      expect(resumed).toEqual(['v4']);
    } finally {
      await second.close();
    }
  });

  it('never gives one partition to two consumers of a group at once', async () => {
    partitions.split = 3;
    const second = new PostgresEventLog({ url: database.url, partitions, logger, pollMs: 100 });
    try {
      const inFlight = new Map<number, number>();
      let overlaps = 0;
      const seen: string[] = [];
      const handle = async (m: { partition: number; value: string }) => {
        inFlight.set(m.partition, (inFlight.get(m.partition) ?? 0) + 1);
        if ((inFlight.get(m.partition) ?? 0) > 1) overlaps += 1;
        await new Promise((r) => setTimeout(r, 2));
        seen.push(m.value);
        inFlight.set(m.partition, (inFlight.get(m.partition) ?? 1) - 1);
      };
      const a = await bus.subscribe({ topic: 'split', groupId: 'g', handle });
      const b = await second.subscribe({ topic: 'split', groupId: 'g', handle });
      await bus.publish(
        'split',
        Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 7}`, value: String(i) })),
      );
      while (seen.length < 60) await new Promise((r) => setTimeout(r, 10));
      await Promise.all([a.stop(), b.stop()]);
      expect(overlaps).toBe(0);
      expect(seen.map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    } finally {
      await second.close();
    }
  });

  it('names its connections, the listener included, so pg_stat_activity tells whose they are', async () => {
    partitions.named = 1;
    const named = new PostgresEventLog({
      url: database.url,
      partitions,
      logger,
      pollMs: 200,
      applicationName: 'x events',
    });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const sub = await named.subscribe({ topic: 'named', groupId: 'named', handle: async () => undefined });
      await named.publish('named', [{ key: 'k', value: 'v' }]);
      const seen = await admin.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity WHERE application_name = 'x events' AND datname = current_database()`,
      );
      expect(seen.rows.map((r) => r.query)).toEqual(expect.arrayContaining([expect.stringMatching(/^LISTEN /)]));
      expect(seen.rows.length).toBeGreaterThanOrEqual(2);
      await sub.stop();
    } finally {
      await admin.end();
      await named.close();
    }
  });

  it('refuses to publish once closed, with a clear message', async () => {
    const closing = new PostgresEventLog({ url: database.url, partitions, logger });
    await closing.close();
    await expect(closing.publish('orders', [{ key: 'k', value: 'v' }])).rejects.toThrow('the event log is closed');
    await expect(closing.ping()).rejects.toThrow('the event log is closed');
  });
});
