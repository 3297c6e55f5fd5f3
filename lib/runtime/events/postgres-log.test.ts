import pg from 'pg';
import { capturedLogger } from '../test-support/logs';
import { freshDatabase, type TestDatabase } from '../test-support/postgres';
import { eventBusContract } from './bus.contract';
import { idlePollMs, PostgresEventLog } from './postgres-log';

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

  it('creates its schema once when several instances start on an empty database at the same moment', async () => {
    const empty = await freshDatabase();
    const logs = Array.from(
      { length: 5 },
      () => new PostgresEventLog({ url: empty.url, partitions: { raced: 2 }, logger }),
    );
    try {
      await Promise.all(logs.map((log, i) => log.publish('raced', [{ key: `k${i}`, value: `v${i}` }])));
      expect((await logs[0]?.records('raced'))?.map((r) => r.value).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    } finally {
      await Promise.all(logs.map((log) => log.close()));
      await empty.drop();
    }
  });

  it('gives concurrent appends gapless offsets per partition and keeps each key in the order it was published', async () => {
    partitions.appended = 3;
    const writers = 6;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let batch = 0; batch < 5; batch++) {
          await bus.publish(
            'appended',
            Array.from({ length: 10 }, (_, i) => ({ key: `writer-${w}-key-${i % 4}`, value: `${w}:${batch}:${i}` })),
          );
        }
      }),
    );
    const records = await bus.records('appended');
    expect(records).toHaveLength(writers * 5 * 10);
    for (let p = 0; p < 3; p++) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    const byKey = new Map<string, number[]>();
    for (const record of records) {
      const [, batch, i] = record.value.split(':').map(Number);
      byKey.set(String(record.key), [...(byKey.get(String(record.key)) ?? []), (batch ?? 0) * 10 + (i ?? 0)]);
    }
    for (const sequence of byKey.values()) expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
  });

  it('reads a burst of appends as one batch: a woken consumer lingers before it reads', async () => {
    partitions.burst = 1;
    const lingering = new PostgresEventLog({ url: database.url, partitions, logger, pollMs: 5000, lingerMs: 300 });
    const batches: number[] = [];
    try {
      const sub = await lingering.subscribe({
        topic: 'burst',
        groupId: 'burst',
        handle: async () => undefined,
        handleBatch: async (messages) => {
          batches.push(messages.length);
          return [];
        },
      });
      await new Promise((r) => setTimeout(r, 100)); // the consumer is waiting for an append
      for (let i = 0; i < 10; i++) await bus.publish('burst', [{ key: 'k', value: `v${i}` }]);
      while (batches.reduce((a, b) => a + b, 0) < 10) await new Promise((r) => setTimeout(r, 20));
      await sub.stop();
      expect(batches.reduce((a, b) => a + b, 0)).toBe(10);
      expect(batches.length).toBeLessThanOrEqual(2);
    } finally {
      await lingering.close();
    }
  });

  it('refuses an append to a partition that has no row, naming the topic and partition, and appends nothing', async () => {
    partitions.vanishing = 1;
    await bus.publish('vanishing', [{ key: 'k', value: 'first' }]);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(`DELETE FROM events.partitions WHERE topic = 'vanishing'`);
      await expect(bus.publish('vanishing', [{ key: 'k', value: 'second' }])).rejects.toThrow(
        'topic vanishing has no partition 0',
      );
      expect((await bus.records('vanishing')).map((r) => r.value)).toEqual(['first']);
    } finally {
      await admin.end();
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

describe("an idle partition's wait before it looks again", () => {
  it('is the poll interval give or take half, so partitions woken together drift apart', () => {
    expect(idlePollMs(1000, () => 0)).toBe(500);
    expect(idlePollMs(1000, () => 0.5)).toBe(1000);
    expect(idlePollMs(1000, () => 0.999)).toBe(1499);
    const waits = new Set(Array.from({ length: 50 }, () => idlePollMs(1000)));
    for (const wait of waits) expect(wait >= 500 && wait < 1500).toBe(true);
    expect(waits.size).toBeGreaterThan(10);
  });
});
