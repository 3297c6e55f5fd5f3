import { randomUUID } from 'node:crypto';
import type { Database } from '../../../lib/runtime/db';
import { createLogger } from '../../../lib/runtime/logger';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import type { ClaimOutcome, DeliveryRecords } from '../domain/ports';
import { FakeClock } from '../test-support/clock';
import { describeDeliveryRecordsContract } from './delivery-records.contract';
import { NOTIFICATION_MIGRATIONS_DIR, PostgresDeliveryRecords } from './postgres-delivery-records';

/**
 * How a test file provides databases: the test run's embedded PostgreSQL in `npm test`, the PostgreSQL of
 * TEST_DATABASE_URL in the integration tier.
 */
export interface DatabaseHarness {
  setup?(): Promise<void>;
  /** A database over `schema`; each call may be its own pool or connection. */
  open(schema: string): Database;
  teardown?(): Promise<void>;
}

const silent = createLogger({ service: 'notification-lambda-test', level: 'silent' });
const migrations = loadMigrations(NOTIFICATION_MIGRATIONS_DIR);
const MINUTE = 60_000;

/**
 * The shared contract is synchronous in its factory while a fresh schema must first be migrated: each call
 * waits for the migration before it reaches the store.
 */
class MigratedFirst implements DeliveryRecords {
  constructor(private readonly ready: Promise<DeliveryRecords>) {}
  async claim(eventId: string, leaseExpiresAt: Date): Promise<ClaimOutcome> {
    return (await this.ready).claim(eventId, leaseExpiresAt);
  }
  async complete(eventId: string, messageId: string): Promise<void> {
    return (await this.ready).complete(eventId, messageId);
  }
  async release(eventId: string): Promise<void> {
    return (await this.ready).release(eventId);
  }
}

/**
 * PostgresDeliveryRecords on one kind of database: the delivery records contract every adapter honours (the same
 * tests the in-memory and DynamoDB adapters pass), plus what only a shared database can show: concurrent
 * claims race on real connections, and records outlive the process that wrote them.
 */
export function describePostgresDeliveryRecords(name: string, harness: DatabaseHarness): void {
  describe(`PostgresDeliveryRecords on ${name}`, () => {
    const opened: Database[] = [];
    const uniqueSchema = () => `notifications_t${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const open = (schema: string): Database => {
      const db = harness.open(schema);
      opened.push(db);
      return db;
    };
    const migrated = async (schema = uniqueSchema()): Promise<Database> => {
      const db = open(schema);
      await migrate(db, migrations, silent);
      return db;
    };

    beforeAll(async () => {
      await harness.setup?.();
    });
    afterAll(async () => {
      await Promise.all(opened.map((db) => db.close()));
      await harness.teardown?.();
    });

    describeDeliveryRecordsContract(
      'PostgresDeliveryRecords',
      (clock) => new MigratedFirst(migrated().then((db) => new PostgresDeliveryRecords(db, { now: clock.now }))),
    );

    it('lets exactly one of many concurrent claims on an event win', async () => {
      const clock = new FakeClock();
      const schema = uniqueSchema();
      await migrated(schema);
      // A store per connection, as separate processes would have.
      const stores = Array.from({ length: 8 }, () => new PostgresDeliveryRecords(open(schema), { now: clock.now }));
      const lease = new Date(clock.now().getTime() + 5 * MINUTE);
      const outcomes = await Promise.all(stores.map((store) => store.claim('evt-race', lease)));
      expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'in-progress')).toHaveLength(7);
    });

    it('keeps a completed record for a new store on a new connection (a restarted process)', async () => {
      const clock = new FakeClock();
      const schema = uniqueSchema();
      const first = new PostgresDeliveryRecords(await migrated(schema), { now: clock.now });
      await first.claim('evt-1', new Date(clock.now().getTime() + MINUTE));
      await first.complete('evt-1', 'msg-1');
      const afterRestart = new PostgresDeliveryRecords(open(schema), { now: clock.now });
      expect(await afterRestart.claim('evt-1', new Date(clock.now().getTime() + MINUTE))).toBe('completed');
    });

    it('stores what it was told: the message id on completion, no lease left behind', async () => {
      const clock = new FakeClock();
      const db = await migrated();
      const store = new PostgresDeliveryRecords(db, { now: clock.now });
      await store.claim('evt-1', new Date(clock.now().getTime() + MINUTE));
      const claimed = await db.query<{ status: string; lease: string | null }>(
        `SELECT status, to_char(lease_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS lease
           FROM delivery_records WHERE event_id = 'evt-1'`,
      );
      expect(claimed.rows).toEqual([{ status: 'IN_PROGRESS', lease: '2025-11-26T09:01:00.000' }]);
      await store.complete('evt-1', 'msg-1');
      const completed = await db.query('SELECT status, lease_expires_at, message_id FROM delivery_records');
      expect(completed.rows).toEqual([{ status: 'COMPLETED', lease_expires_at: null, message_id: 'msg-1' }]);
    });

    it('claims many ids in one call with the outcome each would get alone, and completes them together', async () => {
      const clock = new FakeClock();
      const store = new PostgresDeliveryRecords(await migrated(), { now: clock.now });
      const lease = new Date(clock.now().getTime() + MINUTE);
      await store.claim('done', lease);
      await store.complete('done', 'msg-0');
      await store.claim('live', lease);
      await store.claim('lapsed', new Date(clock.now().getTime() - 1));
      const outcomes = await store.claimAll(['new', 'done', 'live', 'lapsed', 'new'], lease);
      expect(Object.fromEntries(outcomes)).toEqual({
        new: 'claimed',
        done: 'completed',
        live: 'in-progress',
        lapsed: 'claimed',
      });
      await store.completeAll([
        { eventId: 'new', messageId: 'msg-1' },
        { eventId: 'lapsed', messageId: 'msg-2' },
      ]);
      const again = await store.claimAll(['new', 'lapsed', 'done'], lease);
      expect([...again.values()]).toEqual(['completed', 'completed', 'completed']);
      expect(await store.claimAll([], lease)).toEqual(new Map());
    });

    it('lets exactly one of many concurrent batch claims take each id', async () => {
      const clock = new FakeClock();
      const schema = uniqueSchema();
      await migrated(schema);
      const stores = Array.from({ length: 6 }, () => new PostgresDeliveryRecords(open(schema), { now: clock.now }));
      const lease = new Date(clock.now().getTime() + 5 * MINUTE);
      const ids = Array.from({ length: 20 }, (_, i) => `evt-${i}`);
      // Each store asks in its own order, so a claim in request order would deadlock.
      const results = await Promise.all(
        stores.map((store, i) => store.claimAll(i % 2 ? [...ids].reverse() : ids, lease)),
      );
      for (const id of ids) {
        expect(results.filter((r) => r.get(id) === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.get(id) === 'in-progress')).toHaveLength(5);
      }
    });

    it('refuses a blank event id at the table, whatever the caller does', async () => {
      const clock = new FakeClock();
      const store = new PostgresDeliveryRecords(await migrated(), { now: clock.now });
      await expect(store.claim('', new Date(clock.now().getTime() + MINUTE))).rejects.toThrow(/event_id_not_blank/);
    });
  });
}
