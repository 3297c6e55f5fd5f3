import { randomUUID } from 'node:crypto';
import type { Database } from '../../../lib/runtime/db';
import type { DeliveredMessage, EventBus } from '../../../lib/runtime/events';
import type { Logger } from '../../../lib/runtime/logger';
import { ServiceMetrics } from '../../../lib/runtime/metrics';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import { MIGRATIONS_DIR } from '../main';
import { PostgresOutboxStore } from '../store/outbox-store';
import { FlakyBus, until } from '../test-support/service';
import { OutboxRelay } from './outbox-relay';

export interface RelayHarness {
  setup?(): Promise<void>;
  /** A database over `schema`; each call may be another pool (another replica). */
  open(schema: string): Database;
  bus(): EventBus;
  /** Creates a topic (Kafka has automatic creation off, as in production). */
  createTopic(name: string, partitions: number): Promise<void>;
  logger: Logger;
  teardown?(): Promise<void>;
}

const MARKER = '__end__';

/**
 * The relay on every database and bus it runs on: outbox order, each event once under normal operation
 * (also with two relays), rows kept while the bus is away and published once it is back, lag metrics.
 */
export function describeOutboxRelayContract(name: string, harness: RelayHarness): void {
  describe(`the outbox relay on ${name}`, () => {
    const opened: Database[] = [];
    const relays: OutboxRelay[] = [];
    let db: Database;
    let topic: string;

    const open = (schema: string) => {
      const database = harness.open(schema);
      opened.push(database);
      return database;
    };
    const relay = (options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> & { database?: Database } = {}) => {
      const created = new OutboxRelay({
        store: new PostgresOutboxStore(options.database ?? db),
        bus: harness.bus(),
        topic,
        logger: harness.logger,
        pollMs: 10,
        maxBackoffMs: 40,
        ...options,
      });
      relays.push(created);
      return created;
    };
    const addEvents = async (keys: readonly string[]) => {
      const ids: string[] = [];
      for (const [n, key] of keys.entries()) {
        const id = randomUUID();
        ids.push(id);
        await db.query('INSERT INTO outbox (id, message_key, event_type, payload) VALUES ($1, $2, $3, $4)', [
          id,
          key,
          'com.shopfront.order.created.v1',
          JSON.stringify({ id, key, n }),
        ]);
      }
      return ids;
    };
    const unpublished = async () =>
      Number(
        (await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM outbox WHERE published_at IS NULL')).rows[0]
          ?.n,
      );
    /**
     * Everything on the topic: a marker is published last to its single partition, so once the reader sees
     * it, it has seen every record before it (duplicates included).
     */
    const readTopic = async (): Promise<DeliveredMessage[]> => {
      await harness.bus().publish(topic, [{ key: MARKER, value: MARKER }]);
      const seen: DeliveredMessage[] = [];
      const subscription = await harness.bus().subscribe({
        topic,
        groupId: `${topic}-reader`,
        handle: async (m) => void seen.push(m),
      });
      await until(() => seen.some((m) => m.value === MARKER), 60_000);
      await subscription.stop();
      return seen.filter((m) => m.value !== MARKER);
    };
    const idsOf = (messages: readonly DeliveredMessage[]) =>
      messages.map((m) => (JSON.parse(m.value) as { id: string }).id);

    beforeAll(async () => {
      await harness.setup?.();
    });

    beforeEach(async () => {
      const suffix = randomUUID().replaceAll('-', '').slice(0, 16);
      db = open(`orders_r${suffix}`);
      await migrate(db, loadMigrations(MIGRATIONS_DIR), harness.logger);
      topic = `orders-relay-${suffix}`;
      await harness.createTopic(topic, 1);
    });

    afterEach(async () => {
      for (const r of relays.splice(0)) await r.stop();
    });

    afterAll(async () => {
      for (const database of opened) {
        await database.query(`DROP SCHEMA IF EXISTS ${database.schema} CASCADE`).catch(() => undefined);
        await database.close();
      }
      await harness.teardown?.();
    });

    it('publishes events in outbox order, keyed by order id, once, and marks them published', async () => {
      const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
      const ids = await addEvents(keys);
      const r = relay({ batchSize: 5 });
      let published = 0;
      for (let n = await r.relayOnce(); n > 0; n = await r.relayOnce()) published += n;
      expect(published).toBe(12);
      expect(await unpublished()).toBe(0);
      const messages = await readTopic();
      expect(idsOf(messages)).toEqual(ids);
      expect(messages.map((m) => m.key)).toEqual(keys);
      expect(messages[0]?.headers).toMatchObject({ 'ce-id': ids[0], 'ce-type': 'com.shopfront.order.created.v1' });
    });

    it('publishes the trace context stored with an event in its headers and as its distributed-tracing extension', async () => {
      const [traced, untraced] = await addEvents(['order-traced', 'order-untraced']);
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await db.query('UPDATE outbox SET traceparent = $2, tracestate = $3 WHERE id = $1', [
        traced,
        traceparent,
        'vendor=1',
      ]);
      await relay().relayOnce();
      const [first, second] = await readTopic();
      expect(first?.headers).toMatchObject({ 'ce-id': traced, traceparent, tracestate: 'vendor=1' });
      expect(JSON.parse(first?.value ?? '{}')).toEqual({
        id: traced,
        key: 'order-traced',
        n: 0,
        traceparent,
        tracestate: 'vendor=1',
      });
      // An event written outside any trace goes out exactly as it was written.
      expect(second?.headers).not.toHaveProperty('traceparent');
      expect(second?.value).toBe(JSON.stringify({ id: untraced, key: 'order-untraced', n: 1 }));
    });

    it('keeps the events while the bus is away, then publishes each once, in order, when it is back', async () => {
      const flaky = new FlakyBus(harness.bus());
      flaky.failing = true;
      const metrics = new ServiceMetrics('order-service', { defaults: false });
      const keys = Array.from({ length: 10 }, (_, i) => `order-${i % 4}`);
      const ids = await addEvents(keys);
      const r = relay({ bus: flaky, registry: metrics.registry });
      r.start();
      await until(() => flaky.failedPublishes >= 3);
      expect(await unpublished()).toBe(10);

      flaky.failing = false;
      await until(async () => (await unpublished()) === 0, 60_000);
      await r.stop();
      const messages = await readTopic();
      expect(idsOf(messages)).toEqual(ids);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(new RegExp(`order_outbox_events_published_total\\{[^}]*topic="${topic}"[^}]*\\} 10`));
      expect(text).toMatch(/order_outbox_publish_failures_total\{[^}]*\} ([3-9]|\d\d+)/);
    });

    it('publishes each event once with two relays (replicas) at work, in order per key', async () => {
      const keys = Array.from({ length: 60 }, (_, i) => `order-${i % 15}`);
      const ids = await addEvents(keys);
      const a = relay({ batchSize: 7, database: open(db.schema) });
      const b = relay({ batchSize: 7, database: open(db.schema) });
      a.start();
      b.start();
      await until(async () => (await unpublished()) === 0, 60_000);
      await Promise.all([a.stop(), b.stop()]);
      const messages = await readTopic();
      const published = idsOf(messages);
      expect(published).toHaveLength(60);
      expect(new Set(published).size).toBe(60);
      for (const key of new Set(keys)) {
        const expected = ids.filter((_, i) => keys[i] === key);
        expect(published.filter((id) => expected.includes(id))).toEqual(expected);
      }
    });

    it('reports the outbox lag and the published count on the service registry', async () => {
      const metrics = new ServiceMetrics('order-service', { defaults: false });
      await addEvents(['a', 'b', 'c']);
      await db.query(`UPDATE outbox SET created_at = now() - interval '42 seconds' WHERE message_key = 'a'`);
      const r = relay({ registry: metrics.registry });
      const before = await metrics.registry.metrics();
      expect(before).toMatch(/order_outbox_unpublished_events\{[^}]*\} 3/);
      const age = /order_outbox_oldest_unpublished_age_seconds\{[^}]*\} ([\d.]+)/.exec(before)?.[1];
      expect(Number(age)).toBeGreaterThanOrEqual(42);
      expect(await r.relayOnce()).toBe(3);
      const after = await metrics.registry.metrics();
      expect(after).toMatch(/order_outbox_unpublished_events\{[^}]*\} 0/);
      expect(after).toMatch(/order_outbox_oldest_unpublished_age_seconds\{[^}]*\} 0/);
      expect(after).toMatch(/order_outbox_events_published_total\{[^}]*\} 3/);
    });
  });
}
