import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../../lib/runtime/db';
import { createLogger } from '../../../lib/runtime/logger';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import { type FailureField, type OrderFailure, type OrderRecord, orderRequestHash } from '../domain/order';
import type { Lease, NewOrder } from '../domain/ports';
import { MIGRATIONS_DIR } from '../main';
import { until } from '../test-support/service';
import { PostgresOrderStore } from './order-store';
import { PostgresOutboxStore } from './outbox-store';

/**
 * How a test file provides databases: a fresh database on the test run's PostgreSQL in `npm test`, the one at
 * TEST_DATABASE_URL in the integration tier.
 */
export interface DatabaseHarness {
  setup?(): Promise<void>;
  /**
   * A database over `schema` (which the contract migrates and, with the schema, closes): each call a separate pool,
   * whose connections really run at the same time, as replicas do.
   */
  open(schema: string): Database;
  teardown?(): Promise<void>;
}

const silent = createLogger({ service: 'order-service-test', level: 'silent' });
const migrations = loadMigrations(MIGRATIONS_DIR);

/**
 * What the order and outbox stores must do on every database they run on: one order per idempotency key
 * however many requests race, guarded saga transitions that write the outbox row in the same transaction,
 * leases the recoverer can take only when expired, newest-first pagination, and outbox claims that never
 * hand a row to two relays nor a key's later event before its earlier one.
 */
export function describeStoreContract(name: string, harness: DatabaseHarness): void {
  describe(`order-service stores on ${name}`, () => {
    const opened: Database[] = [];
    let db: Database;
    let orders: PostgresOrderStore;
    let outbox: PostgresOutboxStore;

    const uniqueSchema = () => `orders_t${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const openSchema = (schema: string) => {
      const database = harness.open(schema);
      opened.push(database);
      return database;
    };
    const lease = (ms = 60_000): Lease => ({ owner: randomUUID(), ms });
    const newOrder = (overrides: Partial<NewOrder> & { userId?: string; key?: string } = {}): NewOrder => {
      const items = [
        { productId: randomUUID(), quantity: 2 },
        { productId: randomUUID(), quantity: 1 },
      ];
      return {
        id: randomUUID(),
        userId: overrides.userId ?? 'user-1',
        userEmail: 'ada@example.com',
        request: {
          idempotencyKey: overrides.key ?? `key-${randomUUID()}`,
          items,
          paymentToken: 'tok_visa',
          requestHash: orderRequestHash(items, 'tok_visa'),
        },
        lease: lease(),
        ...overrides,
      };
    };
    const expireLease = (id: string) =>
      db.query(`UPDATE orders SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    const count = async (sql: string, params: unknown[] = []) =>
      Number((await db.query<{ n: number }>(sql, params)).rows[0]?.n);

    /**
     * Runs `runs` at the same moment: they are held at a table lock until every one of them waits on it, then let
     * go together, so their statements really overlap (connection setup would otherwise spread them out).
     */
    async function together<T>(table: string, runs: readonly (() => Promise<T>)[]): Promise<T[]> {
      const blocker = openSchema(db.schema);
      let locked: () => void = () => undefined;
      let release: () => void = () => undefined;
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const holding = blocker.transaction(async (tx) => {
        await tx.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
        locked();
        await gate;
      });
      await isLocked;
      const results = Promise.all(runs.map((run) => run()));
      await until(
        async () =>
          (await count(
            `SELECT count(*)::integer AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE NOT l.granted AND c.relname = $1 AND s.nspname = $2`,
            [table, db.schema],
          )) >= runs.length,
      );
      release();
      await holding;
      return results;
    }

    /**
     * `base`, which runs `between` (to its end) right after its first statement matching `after`, in a
     * transaction or not: another connection's commit lands between two statements of one read.
     */
    function interleaved(base: Database, after: RegExp, between: () => Promise<unknown>): Database {
      let done = false;
      const hooked = (tx: Queryable): Queryable => ({
        query: async <T>(sql: string, params?: readonly unknown[]) => {
          const result = await tx.query<T>(sql, params);
          if (!done && after.test(sql)) {
            done = true;
            await between();
          }
          return result;
        },
        exec: (sql) => tx.exec(sql),
      });
      return Object.assign(Object.create(base) as Database, {
        query: hooked(base).query,
        transaction: <T>(work: (tx: Queryable) => Promise<T>) => base.transaction((tx) => work(hooked(tx))),
      });
    }

    beforeAll(async () => {
      await harness.setup?.();
    });

    beforeEach(async () => {
      const schema = uniqueSchema();
      db = openSchema(schema);
      await migrate(db, migrations, silent);
      orders = new PostgresOrderStore(db);
      outbox = new PostgresOutboxStore(db);
    });

    afterAll(async () => {
      for (const database of opened) {
        await database.query(`DROP SCHEMA IF EXISTS ${database.schema} CASCADE`).catch(() => undefined);
        await database.close();
      }
      await harness.teardown?.();
    });

    describe('orders', () => {
      it('creates a PENDING order at RESERVING with unpriced items in request order', async () => {
        const draft = newOrder();
        const { created, order } = await orders.insertOrFind(draft);
        expect(created).toBe(true);
        expect(order).toMatchObject({
          id: draft.id,
          userId: 'user-1',
          userEmail: 'ada@example.com',
          status: 'PENDING',
          step: 'RESERVING',
          stock: 'NONE',
          charge: 'NONE',
          paymentToken: 'tok_visa',
          requestHash: draft.request.requestHash,
          items: draft.request.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
        });
        expect(order.items[0]?.unitPrice).toBeUndefined();
        expect(order.total).toBeUndefined();
        expect(order.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(await orders.get(draft.id)).toEqual(order);
      });

      it('finds the order a user idempotency key names instead of creating another; keys are per user', async () => {
        const first = await orders.insertOrFind(newOrder({ key: 'same-key' }));
        const again = await orders.insertOrFind(newOrder({ key: 'same-key' }));
        expect(again.created).toBe(false);
        expect(again.order.id).toBe(first.order.id);
        const otherUser = await orders.insertOrFind(newOrder({ key: 'same-key', userId: 'user-2' }));
        expect(otherUser.created).toBe(true);
        expect(await count('SELECT count(*)::integer AS n FROM orders')).toBe(2);
        expect(await count('SELECT count(*)::integer AS n FROM order_items')).toBe(4);
      });

      it('creates one order when ten requests with the same key race (separate connections)', async () => {
        const schema = db.schema;
        const racers = Array.from({ length: 10 }, () => new PostgresOrderStore(openSchema(schema)));
        const results = await together(
          'orders',
          racers.map((store) => () => store.insertOrFind(newOrder({ key: 'raced' }))),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
        expect(await count('SELECT count(*)::integer AS n FROM orders')).toBe(1);
      });

      it('advances under the lease from the expected step: prices, total, step, renewed lease', async () => {
        const draft = newOrder();
        await orders.insertOrFind(draft);
        const next = await orders.advance(draft.id, draft.lease, 'RESERVING', {
          step: 'CHARGING',
          stock: 'RESERVED',
          charge: 'UNKNOWN',
          unitPrices: [
            { amount: 1999, currency: 'EUR' },
            { amount: 3450, currency: 'EUR' },
          ],
          total: { amount: 7448, currency: 'EUR' },
        });
        expect(next).toMatchObject({
          status: 'PENDING',
          step: 'CHARGING',
          stock: 'RESERVED',
          charge: 'UNKNOWN',
          total: { amount: 7448, currency: 'EUR' },
        });
        expect(next?.items.map((i) => i.unitPrice)).toEqual([
          { amount: 1999, currency: 'EUR' },
          { amount: 3450, currency: 'EUR' },
        ]);
      });

      it.each<[string, (store: PostgresOrderStore, order: NewOrder) => Promise<OrderRecord | undefined>]>([
        ['get', (store, order) => store.get(order.id)],
        ['listByUser', async (store, order) => (await store.listByUser(order.userId, undefined, 10))[0]],
      ])(
        '%s reads an order and its items at one moment, though a transition commits between its reads',
        async (_case, read) => {
          const draft = newOrder();
          await orders.insertOrFind(draft);
          const prices = [
            { amount: 1999, currency: 'EUR' },
            { amount: 3450, currency: 'EUR' },
          ];
          const writer = new PostgresOrderStore(openSchema(db.schema));
          const price = () =>
            writer.advance(draft.id, draft.lease, 'RESERVING', {
              step: 'CHARGING',
              unitPrices: prices,
              total: { amount: 7448, currency: 'EUR' },
            });
          // The writer prices the items and sets the total after the reader read the order row, before its items.
          const reader = new PostgresOrderStore(interleaved(openSchema(db.schema), /FROM orders o WHERE/, price));
          const seen = await read(reader, draft);
          expect(await orders.get(draft.id)).toMatchObject({ step: 'CHARGING', total: { amount: 7448 } });
          expect(seen).toMatchObject({ id: draft.id, step: 'RESERVING' });
          expect(seen?.total).toBeUndefined();
          expect(seen?.items.map((i) => i.unitPrice)).toEqual([undefined, undefined]);
        },
      );

      it('refuses a transition by another lease owner or from another step, changing nothing', async () => {
        const draft = newOrder();
        const { order } = await orders.insertOrFind(draft);
        expect(await orders.advance(draft.id, lease(), 'RESERVING', { step: 'CHARGING' })).toBeUndefined();
        expect(await orders.advance(draft.id, draft.lease, 'CHARGING', { step: 'DONE' })).toBeUndefined();
        expect(await orders.get(draft.id)).toEqual(order);
      });

      it('confirms with the outbox row in one transaction, and writes neither when the row fails', async () => {
        const draft = newOrder();
        await orders.insertOrFind(draft);
        await orders.advance(draft.id, draft.lease, 'RESERVING', {
          step: 'CHARGING',
          unitPrices: [
            { amount: 1, currency: 'EUR' },
            { amount: 1, currency: 'EUR' },
          ],
          total: { amount: 3, currency: 'EUR' },
        });
        const event = { id: randomUUID(), key: draft.id, type: 'com.shopfront.order.created.v1', payload: '{}' };
        const confirm = {
          status: 'CONFIRMED',
          step: 'DONE',
          charge: 'SUCCEEDED',
          paymentId: 'ch_1',
          erasePaymentToken: true,
        } as const;

        // The same event id twice violates the outbox's unique id: the whole transaction rolls back.
        await db.query('INSERT INTO outbox (id, message_key, event_type, payload) VALUES ($1, $2, $3, $4)', [
          event.id,
          'other',
          event.type,
          '{}',
        ]);
        await expect(orders.advance(draft.id, draft.lease, 'CHARGING', confirm, event)).rejects.toThrow();
        expect(await orders.get(draft.id)).toMatchObject({ status: 'PENDING', step: 'CHARGING' });

        const fresh = { ...event, id: randomUUID() };
        const confirmed = await orders.advance(draft.id, draft.lease, 'CHARGING', confirm, fresh);
        expect(confirmed).toMatchObject({ status: 'CONFIRMED', step: 'DONE', paymentId: 'ch_1' });
        expect(confirmed?.paymentToken).toBeUndefined();
        const rows = await db.query<{ message_key: string }>('SELECT message_key FROM outbox WHERE id = $1', [
          fresh.id,
        ]);
        expect(rows.rows).toEqual([{ message_key: draft.id }]);
      });

      it('keeps impossible states out at the schema: CONFIRMED without a payment, FAILED without a code', async () => {
        const draft = newOrder();
        await orders.insertOrFind(draft);
        await expect(
          orders.advance(draft.id, draft.lease, 'RESERVING', {
            status: 'CONFIRMED',
            step: 'DONE',
            erasePaymentToken: true,
          }),
        ).rejects.toThrow();
        await expect(
          orders.advance(draft.id, draft.lease, 'RESERVING', { status: 'FAILED', step: 'COMPENSATING' }),
        ).rejects.toThrow();
        await expect(orders.advance(draft.id, draft.lease, 'RESERVING', { step: 'DONE' })).rejects.toThrow();
      });

      it('keeps malformed idempotency keys out at the schema: empty, over 255 characters, outside A-Z a-z 0-9 . _ : -', async () => {
        for (const key of ['', 'k'.repeat(256), 'with space', 'ключ', 'a\nb']) {
          await expect(orders.insertOrFind(newOrder({ key }))).rejects.toThrow(/orders_idempotency_key_check/);
        }
        for (const key of ['k'.repeat(255), 'A-z_0.9:x']) {
          expect((await orders.insertOrFind(newOrder({ key }))).created).toBe(true);
        }
      });

      it('keeps the structured failure: the input at fault, the item position, the peer and its status', async () => {
        const draft = newOrder();
        await orders.insertOrFind(draft);
        const failure = {
          code: 'OUT_OF_STOCK',
          reason: 'not enough stock',
          field: 'ITEM_QUANTITY',
          itemIndex: 0,
          peer: { name: 'product-service', code: 'FAILED_PRECONDITION' },
        } as const;
        await orders.advance(draft.id, draft.lease, 'RESERVING', { status: 'FAILED', step: 'COMPENSATING', failure });
        expect((await orders.get(draft.id))?.failure).toEqual(failure);
      });

      it.each<[string, OrderFailure]>([
        ['an item field without the item', { code: 'X', reason: 'x', field: 'ITEM_QUANTITY' }],
        ['an item position without an item field', { code: 'X', reason: 'x', field: 'PAYMENT_TOKEN', itemIndex: 0 }],
        ['a negative item position', { code: 'X', reason: 'x', field: 'ITEM_PRODUCT_ID', itemIndex: -1 }],
        ['a field this schema does not know', { code: 'X', reason: 'x', field: 'CARD' as FailureField }],
      ])('refuses a failure with %s at the schema', async (_case, failure) => {
        const draft = newOrder();
        await orders.insertOrFind(draft);
        await expect(
          orders.advance(draft.id, draft.lease, 'RESERVING', { status: 'FAILED', step: 'COMPENSATING', failure }),
        ).rejects.toThrow();
      });

      it('lets a lease be taken only once it expired, and never for a finished order', async () => {
        const draft = newOrder();
        await orders.insertOrFind(draft);
        expect(await orders.takeLease(draft.id, lease())).toBeUndefined();
        await expireLease(draft.id);
        const taker = lease();
        expect(await orders.takeLease(draft.id, taker)).toMatchObject({ id: draft.id, step: 'RESERVING' });
        // The first runner lost it: its next transition is refused.
        expect(await orders.advance(draft.id, draft.lease, 'RESERVING', { step: 'CHARGING' })).toBeUndefined();
        expect(
          await orders.advance(draft.id, taker, 'RESERVING', {
            status: 'FAILED',
            step: 'COMPENSATING',
            failure: { code: 'X', reason: 'x' },
          }),
        ).toBeDefined();
        await orders.advance(draft.id, taker, 'COMPENSATING', { step: 'DONE', erasePaymentToken: true });
        await expireLease(draft.id);
        expect(await orders.takeLease(draft.id, lease())).toBeUndefined();
      });

      it('hands stale unfinished orders to the recoverer, each to one taker, except the excluded', async () => {
        const stale = await Promise.all(Array.from({ length: 6 }, () => orders.insertOrFind(newOrder())));
        const fresh = await orders.insertOrFind(newOrder());
        for (const { order } of stale) await expireLease(order.id);
        const excluded = stale[0]?.order.id ?? '';
        const schema = db.schema;
        const takers = Array.from({ length: 3 }, () => new PostgresOrderStore(openSchema(schema)));
        const taken = await together(
          'orders',
          takers.map((store) => () => store.takeStaleLeases(lease(), 10, [excluded])),
        );
        const all = taken.flat();
        expect(new Set(all).size).toBe(all.length);
        expect(all.sort()).toEqual(
          stale
            .map((s) => s.order.id)
            .filter((id) => id !== excluded)
            .sort(),
        );
        expect(all).not.toContain(fresh.order.id);
        expect(await orders.takeStaleLeases(lease(), 10, [])).toEqual([excluded]);
      });

      it("lists a user's orders newest first, page by page, never another user's", async () => {
        const mine: string[] = [];
        for (let i = 0; i < 7; i++) {
          mine.push((await orders.insertOrFind(newOrder({ userId: 'lister' }))).order.id);
          await orders.insertOrFind(newOrder({ userId: 'someone-else' }));
        }
        const expected = (
          await db.query<{ id: string }>(
            `SELECT id FROM orders WHERE user_id = 'lister' ORDER BY created_at DESC, id DESC`,
          )
        ).rows.map((r) => r.id);
        expect([...expected].sort()).toEqual([...mine].sort());
        const seen: string[] = [];
        let after: { createdAt: string; id: string } | undefined;
        for (;;) {
          const page = await orders.listByUser('lister', after, 3);
          seen.push(...page.map((o) => o.id));
          const last = page[page.length - 1];
          if (page.length < 3 || !last) break;
          after = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen).toEqual(expected);
      });

      it("lists every user's orders newest first, page by page, in their current state", async () => {
        const placed: string[] = [];
        for (let i = 0; i < 5; i++) {
          placed.push((await orders.insertOrFind(newOrder({ userId: `shopper-${i % 2}` }))).order.id);
        }
        const failing = newOrder({ userId: 'shopper-0' });
        await orders.insertOrFind(failing);
        await orders.advance(failing.id, failing.lease, 'RESERVING', {
          status: 'FAILED',
          step: 'COMPENSATING',
          failure: { code: 'OUT_OF_STOCK', reason: 'not enough stock' },
        });
        placed.push(failing.id);
        const expected = (
          await db.query<{ id: string }>('SELECT id FROM orders ORDER BY created_at DESC, id DESC')
        ).rows.map((r) => r.id);
        expect([...expected].sort()).toEqual([...placed].sort());
        const seen: OrderRecord[] = [];
        let after: { createdAt: string; id: string } | undefined;
        for (;;) {
          const page = await orders.listAll(after, 4);
          seen.push(...page);
          const last = page[page.length - 1];
          if (page.length < 4 || !last) break;
          after = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen.map((o) => o.id)).toEqual(expected);
        expect(new Set(seen.map((o) => o.userId))).toEqual(new Set(['shopper-0', 'shopper-1']));
        expect(seen.find((o) => o.id === failing.id)?.status).toBe('FAILED');
      });
    });

    describe('outbox', () => {
      const addEvent = async (key: string) => {
        const id = randomUUID();
        await db.query('INSERT INTO outbox (id, message_key, event_type, payload) VALUES ($1, $2, $3, $4)', [
          id,
          key,
          'com.shopfront.order.created.v1',
          JSON.stringify({ key }),
        ]);
        return id;
      };

      it('claims unpublished rows oldest first, keeps them from others, and marks them published', async () => {
        const ids = [];
        for (let i = 0; i < 5; i++) ids.push(await addEvent(`order-${i}`));
        const a = randomUUID();
        const first = await outbox.claim(a, 3, 60_000);
        expect(first.map((r) => r.id)).toEqual(ids.slice(0, 3));
        expect(first.map((r) => r.key)).toEqual(['order-0', 'order-1', 'order-2']);
        expect(first[0]?.payload).toBe(JSON.stringify({ key: 'order-0' }));
        const second = await outbox.claim(randomUUID(), 10, 60_000);
        expect(second.map((r) => r.id)).toEqual(ids.slice(3));
        await outbox.markPublished(
          a,
          first.map((r) => r.id),
        );
        expect(await outbox.claim(randomUUID(), 10, 60_000)).toEqual([]);
        expect(await count('SELECT count(*)::integer AS n FROM outbox WHERE published_at IS NOT NULL')).toBe(3);
      });

      it('gives released rows back with the error, and takes expired claims again', async () => {
        const id = await addEvent('order-x');
        const a = randomUUID();
        await outbox.claim(a, 10, 60_000);
        await outbox.release(a, [id], 'broker unavailable');
        const again = await outbox.claim(randomUUID(), 10, 60_000);
        expect(again.map((r) => r.id)).toEqual([id]);
        const row = await db.query<{ attempts: number; last_error: string }>(
          'SELECT attempts, last_error FROM outbox WHERE id = $1',
          [id],
        );
        expect(row.rows[0]).toEqual({ attempts: 2, last_error: 'broker unavailable' });
        await db.query(`UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE id = $1`, [id]);
        expect((await outbox.claim(randomUUID(), 10, 60_000)).map((r) => r.id)).toEqual([id]);
      });

      it("never claims a key's later event before its earlier one is published", async () => {
        const first = await addEvent('order-k');
        const other = await addEvent('order-j');
        const second = await addEvent('order-k');
        const a = randomUUID();
        expect((await outbox.claim(a, 10, 60_000)).map((r) => r.id)).toEqual([first, other]);
        expect(await outbox.claim(randomUUID(), 10, 60_000)).toEqual([]);
        await outbox.markPublished(a, [first, other]);
        expect((await outbox.claim(randomUUID(), 10, 60_000)).map((r) => r.id)).toEqual([second]);
      });

      it('never hands a row to two relays claiming at the same moment', async () => {
        await db.query(
          `INSERT INTO outbox (id, message_key, event_type, payload)
           SELECT gen_random_uuid(), 'order-' || g, 'com.shopfront.order.created.v1', '{}'
           FROM generate_series(1, 400) AS g`,
        );
        const schema = db.schema;
        const relays = Array.from({ length: 4 }, () => new PostgresOutboxStore(openSchema(schema)));
        const claims = await together(
          'outbox',
          relays.map((store) => () => store.claim(randomUUID(), 150, 60_000)),
        );
        const all = claims.flat().map((r) => r.id);
        expect(new Set(all).size).toBe(all.length);
        expect(all).toHaveLength(400);
      });

      it('reports the lag: unpublished rows and the age of the oldest', async () => {
        expect(await outbox.stats()).toEqual({ unpublished: 0, oldestAgeSeconds: 0 });
        await addEvent('a');
        await addEvent('b');
        await db.query(`UPDATE outbox SET created_at = now() - interval '90 seconds' WHERE message_key = 'a'`);
        const stats = await outbox.stats();
        expect(stats.unpublished).toBe(2);
        expect(stats.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
      });

      it('purges only rows published longer ago than the retention', async () => {
        const old = await addEvent('old');
        const recent = await addEvent('recent');
        await addEvent('unpublished');
        const owner = randomUUID();
        await outbox.claim(owner, 2, 60_000);
        await outbox.markPublished(owner, [old, recent]);
        await db.query(`UPDATE outbox SET published_at = now() - interval '8 days' WHERE id = $1`, [old]);
        expect(await outbox.purgePublished(168)).toBe(1);
        expect(await count('SELECT count(*)::integer AS n FROM outbox')).toBe(2);
      });
    });
  });
}
