import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../lib/runtime/config';
import type { Database, Queryable } from '../../lib/runtime/db';
import { type DeliveredMessage, LocalEventLog, PoisonMessageError } from '../../lib/runtime/events';
import type { StartedService } from '../../lib/runtime/host';
import { createLogger } from '../../lib/runtime/logger';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { InMemoryDeliveryRecords } from './adapters/in-memory-delivery-records';
import type { DeliveryRecords } from './domain/ports';
import { start } from './main';
import { FakeClock } from './test-support/clock';
import { orderEvent } from './test-support/msk-events';
import { CapturingLogger, RecordingNotifier } from './test-support/recording';
import {
  attemptsSpanning,
  createOrdersRecordHandler,
  LOCAL_LEASE_MS,
  NotificationNotDeliveredError,
} from './transport/bus-consumer';

const silent = createLogger({ service: 'notification-lambda-test', level: 'silent' });

const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** A database that fails the next `failures` statements matching `pattern`, then behaves. */
class FlakyDatabase implements Database {
  readonly kind;
  readonly schema;
  failures = 0;

  constructor(
    private readonly inner: Database,
    private readonly pattern: RegExp,
  ) {
    this.kind = inner.kind;
    this.schema = inner.schema;
  }

  query<T>(sql: string, params?: readonly unknown[]) {
    if (this.pattern.test(sql) && this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error('connection reset'));
    }
    return this.inner.query<T>(sql, params);
  }
  exec(sql: string) {
    return this.inner.exec(sql);
  }
  transaction<T>(work: (tx: Queryable) => Promise<T>) {
    return this.inner.transaction(work);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

describe('createOrdersRecordHandler (the Lambda domain behind the event bus)', () => {
  const message = (value: string): DeliveredMessage => ({
    topic: 'orders',
    partition: 0,
    offset: 7,
    key: 'ord_1',
    value,
    headers: {},
    timestamp: 0,
    attempt: 1,
  });
  let notifier: RecordingNotifier;
  let logger: CapturingLogger;
  let records: InMemoryDeliveryRecords;
  let clock: FakeClock;
  const handler = (deliveryRecords: DeliveryRecords = records) =>
    createOrdersRecordHandler({ notifier, deliveryRecords, logger, now: clock.now });

  beforeEach(() => {
    clock = new FakeClock();
    notifier = new RecordingNotifier();
    logger = new CapturingLogger();
    records = new InMemoryDeliveryRecords(clock.now);
  });

  it('sends one confirmation per event id and resolves for a repeat', async () => {
    const value = JSON.stringify(orderEvent('evt-1'));
    await handler()(message(value));
    await handler()(message(value));
    expect(notifier.sent.map((n) => n.eventId)).toEqual(['evt-1']);
  });

  it.each([
    ['text that is not JSON', 'not json', 'NOT_JSON'],
    [
      'a version this code was not written for',
      JSON.stringify({ ...orderEvent('e'), type: 'com.shopfront.order.created.v2' }),
      'UNKNOWN_EVENT_TYPE',
    ],
    [
      'an event without data.userEmail',
      JSON.stringify({ ...orderEvent('e'), data: { orderId: 'ord_e' } }),
      'INVALID_EVENT',
    ],
  ])('throws PoisonMessageError for %s, with the code, and sends nothing', async (_label, value, code) => {
    const error = await handler()(message(value)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(error).toMatchObject({ code });
    expect(notifier.sent).toEqual([]);
  });

  it('throws a retryable error when the notifier fails, and gives the claim back', async () => {
    notifier.failFor.add('evt-1');
    const value = JSON.stringify(orderEvent('evt-1'));
    const error = await handler()(message(value)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationNotDeliveredError);
    expect(error).not.toBeInstanceOf(PoisonMessageError);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED' });
    notifier.failFor.clear();
    await handler()(message(value));
    expect(notifier.sent.map((n) => n.eventId)).toEqual(['evt-1']);
  });

  it('throws a retryable error while another delivery holds a live claim, and takes over once it lapses', async () => {
    await records.claim('evt-1', new Date(clock.now().getTime() + LOCAL_LEASE_MS));
    const value = JSON.stringify(orderEvent('evt-1'));
    await expect(handler()(message(value))).rejects.toMatchObject({ code: 'DELIVERY_IN_PROGRESS' });
    clock.advance(LOCAL_LEASE_MS + 1);
    await handler()(message(value));
    expect(notifier.sent).toHaveLength(1);
  });

  it('retries for longer than a claim’s lease before dead-lettering', () => {
    const attempts = attemptsSpanning(LOCAL_LEASE_MS, () => 5000);
    expect(attempts).toBe(16); // 15 waits of 5 s = 75 s > 70 s
    expect(attemptsSpanning(LOCAL_LEASE_MS)).toBe(20); // the kit's backoff: 100 ms doubling to 5 s
  });
});

describe('notification-lambda on the local platform', () => {
  let database: TestDatabase;
  let dir: string;
  const running: { service: StartedService; bus: LocalEventLog }[] = [];

  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notification-local-'));
  });
  afterEach(async () => {
    for (const { service, bus } of running.splice(0)) {
      await service.stop();
      await bus.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** An empty schema of the file's database, as a Database the service is given (its delivery records). */
  const freshSchema = (): Database =>
    database.schema(`notifications_t${randomUUID().replaceAll('-', '').slice(0, 16)}`);

  /**
   * A LocalEventLog kept in `<dir>/bus` (a new instance reads what an earlier one wrote) and the service on it, with
   * its delivery records in the Database given, or in schema `notifications` of the PostgreSQL at a DATABASE_URL.
   */
  const launch = async (target: Database | { url: string }) => {
    const bus = new LocalEventLog({ partitions: { orders: 3 }, dataDir: join(dir, 'bus'), logger: silent });
    const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
    const service = await start(
      'url' in target
        ? { env: { ...env, DATABASE_URL: target.url }, eventBus: bus }
        : { env, eventBus: bus, database: target },
    );
    const entry = { service, bus };
    running.push(entry);
    const stop = async () => {
      running.splice(running.indexOf(entry), 1);
      await service.stop();
      await bus.close();
    };
    return { bus, service, stop };
  };

  const lines = async (): Promise<Record<string, unknown>[]> => {
    const file = join(dir, 'notifications.jsonl');
    if (!existsSync(file)) return [];
    const text = await readFile(file, 'utf8');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  const eventIds = async () => (await lines()).map((line) => line.eventId);
  const publishEvent = (bus: LocalEventLog, eventId: string, orderId = `ord_${eventId}`) =>
    bus.publish('orders', [{ key: orderId, value: JSON.stringify(orderEvent(eventId, orderId)) }]);

  it('creates its notifications file empty at start, before any order, so it can be followed', async () => {
    await launch(freshSchema());
    expect(await readFile(join(dir, 'notifications.jsonl'), 'utf8')).toBe('');
  });

  it('appends one JSON line per order event with the confirmation, and is ready while bus and database answer', async () => {
    const { bus, service } = await launch(freshSchema());
    await publishEvent(bus, 'evt-1');
    await until(async () => (await lines()).length === 1);
    const [line] = await lines();
    expect(line).toMatchObject({
      eventId: 'evt-1',
      eventType: 'com.shopfront.order.created.v1',
      orderId: 'ord_evt-1',
      recipient: 'ada@example.com',
      subject: 'Order confirmation',
      body: 'Thank you for your order ord_evt-1. Total: €74.48.',
    });
    expect(line?.messageId).toEqual(expect.any(String));
    const report = await service.health.report();
    expect(report.ready).toBe(true);
    expect(Object.keys(report.checks).sort()).toEqual(['event-bus', 'postgres']);
  });

  it('writes exactly one line for an event published twice (a redelivery)', async () => {
    const { bus } = await launch(freshSchema());
    await publishEvent(bus, 'evt-1', 'ord_same');
    await publishEvent(bus, 'evt-1', 'ord_same');
    // Same key, same partition, handled in order: once the marker is written, both copies were handled.
    await publishEvent(bus, 'evt-marker', 'ord_same');
    await until(async () => (await eventIds()).includes('evt-marker'));
    expect(await eventIds()).toEqual(['evt-1', 'evt-marker']);
  });

  it('adds no line after a restart on the same data folder and SQL store', async () => {
    const records = freshSchema();
    const first = await launch(records);
    await publishEvent(first.bus, 'evt-1', 'ord_1');
    await until(async () => (await lines()).length === 1);
    await first.stop();

    const second = await launch(records);
    await publishEvent(second.bus, 'evt-marker', 'ord_1');
    await until(async () => (await eventIds()).includes('evt-marker'));
    expect(await eventIds()).toEqual(['evt-1', 'evt-marker']);
  });

  it('adds no line when a restart redelivers an event whose offset was never committed', async () => {
    const records = freshSchema();
    const first = await launch(records);
    await publishEvent(first.bus, 'evt-1', 'ord_1');
    await until(async () => (await lines()).length === 1);
    await first.stop();
    // As if the process died after notifying and before committing: the group starts over.
    await rm(join(dir, 'bus', 'offsets.json'));

    const second = await launch(records);
    await publishEvent(second.bus, 'evt-marker', 'ord_1');
    await until(async () => (await eventIds()).includes('evt-marker'));
    expect(await eventIds()).toEqual(['evt-1', 'evt-marker']);
  });

  it('control: with the delivery records lost, the same lost-offset restart notifies again (why they are kept)', async () => {
    const first = await launch(freshSchema());
    await publishEvent(first.bus, 'evt-1', 'ord_1');
    await until(async () => (await lines()).length === 1);
    await first.stop();
    await rm(join(dir, 'bus', 'offsets.json'));

    const second = await launch(freshSchema());
    await publishEvent(second.bus, 'evt-marker', 'ord_1');
    await until(async () => (await eventIds()).includes('evt-marker'));
    expect(await eventIds()).toEqual(['evt-1', 'evt-1', 'evt-marker']);
  });

  it('given DATABASE_URL, keeps its delivery records in that PostgreSQL (schema notifications) across restarts', async () => {
    // A database of its own: the service opens its fixed schema `notifications` on it, as it does in production.
    const own = await freshDatabase();
    try {
      const first = await launch({ url: own.url });
      await publishEvent(first.bus, 'evt-1', 'ord_1');
      await until(async () => (await lines()).length === 1);
      await first.stop();
      await rm(join(dir, 'bus', 'offsets.json'));
      const kept = await own.query('SELECT event_id, status FROM notifications.delivery_records');
      expect(kept.rows).toEqual([{ event_id: 'evt-1', status: 'COMPLETED' }]);

      const second = await launch({ url: own.url });
      await publishEvent(second.bus, 'evt-marker', 'ord_1');
      await until(async () => (await eventIds()).includes('evt-marker'));
      expect(await eventIds()).toEqual(['evt-1', 'evt-marker']);
    } finally {
      // Stopped before their database is dropped.
      for (const { service, bus } of running.splice(0)) {
        await service.stop();
        await bus.close();
      }
      await own.drop();
    }
  });

  it('dead-letters bad records to orders.dlq with their code, and goes on notifying good ones', async () => {
    const { bus } = await launch(freshSchema());
    const wrongVersion = { ...orderEvent('evt-v2'), type: 'com.shopfront.order.created.v2' };
    const { userEmail: _dropped, ...dataWithoutEmail } = orderEvent('evt-x').data as Record<string, unknown>;
    const missingField = { ...orderEvent('evt-x'), data: dataWithoutEmail };
    await bus.publish('orders', [
      { key: 'ord_k', value: 'not json at all' },
      { key: 'ord_k', value: JSON.stringify(wrongVersion) },
      { key: 'ord_k', value: JSON.stringify(missingField) },
    ]);
    await publishEvent(bus, 'evt-good', 'ord_k');
    await until(async () => (await eventIds()).includes('evt-good') && bus.records('orders.dlq').length === 3);

    expect(await eventIds()).toEqual(['evt-good']);
    const source = (record: { headers: Record<string, string> }) => record.headers['x-dead-letter-source'] ?? '';
    const dead = bus.records('orders.dlq').sort((a, b) => source(a).localeCompare(source(b)));
    expect(dead.map((r) => r.headers['x-dead-letter-code'])).toEqual([
      'NOT_JSON',
      'UNKNOWN_EVENT_TYPE',
      'INVALID_EVENT',
    ]);
    expect(dead.map((r) => r.headers['x-dead-letter-attempts'])).toEqual(['1', '1', '1']);
    expect(dead.map((r) => r.headers['x-dead-letter-group'])).toEqual(Array(3).fill('notification-lambda.orders'));
    expect(dead[0]?.value).toBe('not json at all');
  });

  it('retries a record whose delivery store failed, notifying once and dead-lettering nothing', async () => {
    const database = new FlakyDatabase(
      freshSchema(),
      /INSERT INTO delivery_records AS r \(event_id, status, lease_expires_at/,
    );
    const { bus } = await launch(database);
    database.failures = 2;
    await publishEvent(bus, 'evt-1');
    await until(async () => (await lines()).length === 1);
    expect(database.failures).toBe(0);
    expect(await eventIds()).toEqual(['evt-1']);
    expect(bus.records('orders.dlq')).toEqual([]);
  });

  it('reports not ready once stopping', async () => {
    const { service, stop } = await launch(freshSchema());
    await stop();
    expect((await service.health.report()).ready).toBe(false);
  });

  it('refuses a bad LOG_LEVEL with a ConfigError naming it', async () => {
    const bus = new LocalEventLog({ partitions: { orders: 1 }, logger: silent });
    const env = { LOG_LEVEL: 'loud', DATABASE_URL: database.url };
    await expect(start({ env, eventBus: bus })).rejects.toBeInstanceOf(ConfigError);
    await expect(start({ env, eventBus: bus })).rejects.toThrow(/LOG_LEVEL/);
    await bus.close();
  });
});
