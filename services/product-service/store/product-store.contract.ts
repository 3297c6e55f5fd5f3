import { randomUUID } from 'node:crypto';
import { TokenVerifier } from '../../../lib/runtime/auth';
import type { Database } from '../../../lib/runtime/db';
import { DomainError } from '../../../lib/runtime/errors';
import { createLogger } from '../../../lib/runtime/logger';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import { ProductCatalog } from '../domain/catalog';
import { OutOfStockError, UnknownProductError } from '../domain/errors';
import type { NewProduct, Product } from '../domain/product';
import { MIGRATIONS_DIR } from '../main';
import { loadDemoProducts } from '../seed/demo-products';
import { TEST_JWT_SECRET, tokenFor } from '../test-support/tokens';
import { PostgresProductStore } from './product-store';

/** How a test file provides databases: a fresh database of the test run's PostgreSQL, or TEST_DATABASE_URL's. */
export interface DatabaseHarness {
  setup?(): Promise<void>;
  /** A database over `schema` (which the contract migrates); each call may be a separate pool/connection. */
  open(schema: string): Database;
  teardown?(): Promise<void>;
}

const silent = createLogger({ service: 'product-service-test', level: 'silent' });
const migrations = loadMigrations(MIGRATIONS_DIR);

const newProduct = (overrides: Partial<NewProduct> = {}): NewProduct => ({
  name: 'Pour-over dripper',
  description: 'Ceramic, size 02',
  price: { amount: 2450, currency: 'EUR' },
  stock: 10,
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviour PostgresProductStore must show on every database it runs on: pagination that never skips
 * or repeats, atomic and idempotent reservations that never oversell under concurrency, releases that
 * return units once, and a seed that happens once however many replicas start together.
 */
export function describeProductStoreContract(name: string, harness: DatabaseHarness): void {
  describe(`product store on ${name}`, () => {
    const opened: Database[] = [];
    let db: Database;
    let store: PostgresProductStore;
    let catalog: ProductCatalog;

    const uniqueSchema = () => `products_t${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const openSchema = (schema: string) => {
      const database = harness.open(schema);
      opened.push(database);
      return database;
    };
    const create = (overrides: Partial<NewProduct> = {}) => store.create(randomUUID(), newProduct(overrides));
    const stockOf = async (id: string) => (await store.get(id))?.stock;
    const count = async (table: string) =>
      Number((await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`)).rows[0]?.n);

    /** Every page from the first, checking each page's size; returns the ids in the order served. */
    async function walk(limit: number): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 1000; pages += 1) {
        const page = await catalog.listProducts({ limit, cursor });
        ids.push(...page.items.map((p) => p.id));
        if (!page.nextCursor) return ids;
        expect(page.items).toHaveLength(limit);
        cursor = page.nextCursor;
      }
      throw new Error('pagination did not end');
    }

    /** Ids in the order the listing promises: (created_at, id), read straight from the table. */
    async function expectedOrder(): Promise<string[]> {
      const rows = await db.query<{ id: string }>('SELECT id FROM products ORDER BY created_at, id');
      return rows.rows.map((r) => r.id);
    }

    beforeAll(async () => {
      await harness.setup?.();
    });

    beforeEach(async () => {
      db = openSchema(uniqueSchema());
      await migrate(db, migrations, silent);
      store = new PostgresProductStore(db);
      catalog = new ProductCatalog(store, new TokenVerifier({ secret: TEST_JWT_SECRET }));
    });

    afterEach(async () => {
      const schemas = new Set(opened.map((d) => d.schema));
      for (const schema of schemas) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await Promise.all(opened.splice(0).map((d) => d.close()));
    });

    afterAll(async () => {
      await harness.teardown?.();
    });

    describe('products', () => {
      it('stores a product and reads it back with integer money and a microsecond RFC 3339 creation time', async () => {
        const created = await create({ price: { amount: 20_000_000, currency: 'JPY' }, stock: 1_000_000 });
        expect(created).toMatchObject({ ...newProduct(), price: { amount: 2e7, currency: 'JPY' }, stock: 1e6 });
        expect(created.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(await store.get(created.id)).toEqual(created);
        expect(await store.get(randomUUID())).toBeUndefined();
      });

      it('keeps the listing empty and without a cursor when there are no products', async () => {
        expect(await catalog.listProducts({})).toEqual({ items: [] });
      });

      it('walks every product exactly once, in (created_at, id) order, with no cursor on the last page', async () => {
        for (let i = 0; i < 23; i += 1) await create({ name: `Product ${i}` });
        const ids = await walk(5);
        expect(ids).toEqual(await expectedOrder());
        expect(new Set(ids).size).toBe(23);
      });

      it('stays stable when many products share one created_at (the id breaks ties)', async () => {
        for (let i = 0; i < 17; i += 1) await create({ name: `Product ${i}` });
        await db.query(
          `UPDATE products SET created_at = CASE WHEN name IN ('Product 3', 'Product 11')
             THEN '2025-11-26T09:00:00.5Z'::timestamptz ELSE '2025-11-26T09:00:00.123456Z'::timestamptz END`,
        );
        for (const limit of [1, 2, 3, 4, 16, 17, 100]) {
          const ids = await walk(limit);
          expect(ids).toEqual(await expectedOrder());
          expect(new Set(ids).size).toBe(17);
        }
      });

      it('keeps microseconds in the cursor, so rows a millisecond apart are neither skipped nor repeated', async () => {
        const products: Product[] = [];
        for (let i = 0; i < 6; i += 1) products.push(await create({ name: `Product ${i}` }));
        // Two timestamps within the same millisecond, alternating, so a millisecond cursor would repeat rows.
        for (const [i, product] of products.entries()) {
          await db.query('UPDATE products SET created_at = $2::timestamptz WHERE id = $1', [
            product.id,
            i % 2 === 0 ? '2025-11-26T09:00:00.100001Z' : '2025-11-26T09:00:00.100900Z',
          ]);
        }
        const ids = await walk(2);
        expect(ids).toEqual(await expectedOrder());
        expect(new Set(ids).size).toBe(6);
      });

      it('ends exactly when the last page is full (no empty trailing page)', async () => {
        for (let i = 0; i < 4; i += 1) await create();
        const page = await catalog.listProducts({ limit: 4 });
        expect(page.items).toHaveLength(4);
        expect(page.nextCursor).toBeUndefined();
      });

      it('does not skip or repeat earlier products when products are added during the walk', async () => {
        for (let i = 0; i < 6; i += 1) await create();
        const before = await expectedOrder();
        const first = await catalog.listProducts({ limit: 4 });
        await create({ name: 'Added while walking' });
        const second = await catalog.listProducts({ limit: 4, cursor: first.nextCursor });
        const seen = [...first.items, ...second.items].map((p) => p.id);
        expect(seen.slice(0, 6)).toEqual(before);
        expect(new Set(seen).size).toBe(seen.length);
      });
    });

    describe('reservations', () => {
      it('reserves all lines, taking stock and recording the unit price, lines in request order', async () => {
        const kettle = await create({ price: { amount: 7990, currency: 'EUR' }, stock: 3 });
        const filters = await create({ price: { amount: 590, currency: 'EUR' }, stock: 100 });
        const reservation = await catalog.reserveStock({
          reservationId: 'order-1',
          lines: [
            { productId: kettle.id, quantity: 3 },
            { productId: filters.id, quantity: 10 },
          ],
        });
        expect(reservation).toEqual({
          reservationId: 'order-1',
          status: 'RESERVED',
          lines: [
            { productId: kettle.id, quantity: 3, unitPrice: { amount: 7990, currency: 'EUR' } },
            { productId: filters.id, quantity: 10, unitPrice: { amount: 590, currency: 'EUR' } },
          ],
        });
        expect(await stockOf(kettle.id)).toBe(0);
        expect(await stockOf(filters.id)).toBe(90);
      });

      it('reserves nothing when one line lacks stock: FAILED_PRECONDITION OUT_OF_STOCK on that line', async () => {
        const plenty = await create({ stock: 50 });
        const scarce = await create({ stock: 1 });
        const error = await rejection(
          catalog.reserveStock({
            reservationId: 'order-2',
            lines: [
              { productId: plenty.id, quantity: 5 },
              { productId: scarce.id, quantity: 2 },
            ],
          }),
        );
        expect(error).toBeInstanceOf(OutOfStockError);
        expect(error).toMatchObject({
          code: 'FAILED_PRECONDITION',
          reason: 'OUT_OF_STOCK',
          field: 'lines[1].quantity',
          lineIndex: 1,
        });
        expect(await stockOf(plenty.id)).toBe(50);
        expect(await stockOf(scarce.id)).toBe(1);
        expect(await count('reservations')).toBe(0);
        expect(await count('reservation_lines')).toBe(0);
      });

      it('answers NOT_FOUND on the line of an unknown product and reserves nothing', async () => {
        const known = await create({ stock: 5 });
        const error = await rejection(
          catalog.reserveStock({
            reservationId: 'order-3',
            lines: [
              { productId: known.id, quantity: 1 },
              { productId: randomUUID(), quantity: 1 },
            ],
          }),
        );
        expect(error).toBeInstanceOf(UnknownProductError);
        expect(error).toMatchObject({ code: 'NOT_FOUND', field: 'lines[1].productId', lineIndex: 1 });
        expect(await stockOf(known.id)).toBe(5);
        expect(await count('reservations')).toBe(0);
      });

      it('keeps malformed reservation ids out at the schema: empty, over 100 characters, outside A-Z a-z 0-9 . _ : -', async () => {
        const reserve = (id: string) =>
          db.query(`SELECT * FROM reserve_stock($1, 'hash', ARRAY[]::uuid[], ARRAY[]::integer[], ARRAY[]::integer[])`, [
            id,
          ]);
        for (const id of ['', 'r'.repeat(101), 'with space', 'ключ']) {
          await expect(reserve(id)).rejects.toThrow(/reservations_id_check/);
        }
        for (const id of ['r'.repeat(100), 'A-z_0.9:x']) await expect(reserve(id)).resolves.toBeDefined();
        const kept = await db.query<{ id: string }>(`SELECT id FROM reservations WHERE id IN ($1, 'A-z_0.9:x')`, [
          'r'.repeat(100),
        ]);
        expect(kept.rows).toHaveLength(2);
      });

      it('lets a failed reservation id be retried (nothing of the failure was kept)', async () => {
        const product = await create({ stock: 1 });
        await rejection(
          catalog.reserveStock({ reservationId: 'retry', lines: [{ productId: product.id, quantity: 2 }] }),
        );
        const retried = await catalog.reserveStock({
          reservationId: 'retry',
          lines: [{ productId: product.id, quantity: 1 }],
        });
        expect(retried.status).toBe('RESERVED');
        expect(await stockOf(product.id)).toBe(0);
      });

      it('replays a repeated request (lines in any order) without reserving again, with the original prices', async () => {
        const a = await create({ stock: 10, price: { amount: 100, currency: 'EUR' } });
        const b = await create({ stock: 10, price: { amount: 200, currency: 'EUR' } });
        const lines = [
          { productId: a.id, quantity: 2 },
          { productId: b.id, quantity: 3 },
        ];
        const first = await catalog.reserveStock({ reservationId: 'order-4', lines });
        await db.query('UPDATE products SET price_amount = price_amount * 2');
        const again = await catalog.reserveStock({ reservationId: 'order-4', lines });
        const reordered = await catalog.reserveStock({ reservationId: 'order-4', lines: [...lines].reverse() });
        expect(again).toEqual(first);
        expect(reordered).toEqual(first);
        expect(first.lines.map((l) => l.unitPrice.amount)).toEqual([100, 200]);
        expect(await stockOf(a.id)).toBe(8);
        expect(await stockOf(b.id)).toBe(7);
      });

      it('refuses the same reservation id for other lines with IDEMPOTENCY_KEY_REUSED on reservationId', async () => {
        const product = await create({ stock: 10 });
        await catalog.reserveStock({ reservationId: 'order-5', lines: [{ productId: product.id, quantity: 1 }] });
        const error = await rejection(
          catalog.reserveStock({ reservationId: 'order-5', lines: [{ productId: product.id, quantity: 2 }] }),
        );
        expect(error).toMatchObject({
          code: 'INVALID_ARGUMENT',
          field: 'reservationId',
          reason: 'IDEMPOTENCY_KEY_REUSED',
        });
        expect(await stockOf(product.id)).toBe(9);
      });

      it('releases once: units return on the first call, the second and an unknown id change nothing', async () => {
        const product = await create({ stock: 10 });
        await catalog.reserveStock({ reservationId: 'order-6', lines: [{ productId: product.id, quantity: 4 }] });
        expect(await stockOf(product.id)).toBe(6);
        expect(await catalog.releaseStock('order-6')).toBe(true);
        expect(await stockOf(product.id)).toBe(10);
        expect(await catalog.releaseStock('order-6')).toBe(false);
        expect(await catalog.releaseStock('never-reserved')).toBe(false);
        expect(await stockOf(product.id)).toBe(10);
      });

      it('replays a released reservation as RELEASED and does not take its units again', async () => {
        const product = await create({ stock: 10 });
        const lines = [{ productId: product.id, quantity: 4 }];
        await catalog.reserveStock({ reservationId: 'order-7', lines });
        await catalog.releaseStock('order-7');
        const replay = await catalog.reserveStock({ reservationId: 'order-7', lines });
        expect(replay.status).toBe('RELEASED');
        expect(await stockOf(product.id)).toBe(10);
      });

      it('takes nothing for a reservation that arrives after its release (the caller had given up on it)', async () => {
        const product = await create({ stock: 10 });
        expect(await catalog.releaseStock('order-late')).toBe(false);
        const late = await catalog.reserveStock({
          reservationId: 'order-late',
          lines: [{ productId: product.id, quantity: 4 }],
        });
        expect(late).toMatchObject({ reservationId: 'order-late', status: 'RELEASED', lines: [] });
        expect(await stockOf(product.id)).toBe(10);
        expect(await catalog.releaseStock('order-late')).toBe(false);
        expect(await stockOf(product.id)).toBe(10);
      });

      it('a release racing its reservation returns the units exactly once, whichever comes first', async () => {
        const product = await create({ stock: 10 });
        const lines = [{ productId: product.id, quantity: 3 }];
        for (let i = 0; i < 10; i++) {
          const id = `order-race-${i}`;
          await Promise.allSettled([catalog.reserveStock({ reservationId: id, lines }), catalog.releaseStock(id)]);
          expect(await stockOf(product.id)).toBe(10);
        }
      });
    });

    describe('operator changes', () => {
      it('sets the price and adjusts the stock, keeping name, description and creation time', async () => {
        const product = await create({ stock: 10 });
        const admin = await tokenFor('admin');
        const changed = await catalog.updateProduct(admin, product.id, {
          price: { amount: 1999, currency: 'EUR' },
          stockDelta: -4,
        });
        expect(changed).toEqual({ ...product, price: { amount: 1999, currency: 'EUR' }, stock: 6 });
        expect(await store.get(product.id)).toEqual(changed);
        expect(await catalog.updateProduct(admin, product.id, { stockDelta: 5 })).toMatchObject({
          price: { amount: 1999, currency: 'EUR' },
          stock: 11,
        });
      });

      it('refuses a stock below 0 or above the limit with STOCK_OUT_OF_RANGE on stockDelta, changing nothing', async () => {
        const product = await create({ stock: 3 });
        const admin = await tokenFor('admin');
        const below = await rejection(
          catalog.updateProduct(admin, product.id, { price: { amount: 100, currency: 'EUR' }, stockDelta: -4 }),
        );
        expect(below).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'STOCK_OUT_OF_RANGE', field: 'stockDelta' });
        expect(below.message).toContain('the stock is 3');
        const above = await rejection(catalog.updateProduct(admin, product.id, { stockDelta: 1_000_000 }));
        expect(above).toMatchObject({ code: 'FAILED_PRECONDITION', field: 'stockDelta' });
        expect(await store.get(product.id)).toEqual(product);
      });

      it('answers NOT_FOUND on id for an unknown product', async () => {
        const error = await rejection(catalog.updateProduct(await tokenFor('admin'), randomUUID(), { stockDelta: 1 }));
        expect(error).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
      });

      it('loses no reservation: adjustments racing 20 reservations land on the stock as it is', async () => {
        const product = await create({ stock: 100 });
        const admin = await tokenFor('admin');
        await Promise.all([
          ...Array.from({ length: 20 }, (_, i) =>
            catalog.reserveStock({ reservationId: `mix-${i}`, lines: [{ productId: product.id, quantity: 2 }] }),
          ),
          ...Array.from({ length: 10 }, () => catalog.updateProduct(admin, product.id, { stockDelta: 3 })),
        ]);
        expect(await stockOf(product.id)).toBe(100 - 40 + 30);
      });
    });

    describe('under concurrency', () => {
      it('never oversells: 40 parallel single-unit reservations of a product with stock 5 -> exactly 5 succeed', async () => {
        const product = await create({ stock: 5 });
        const results = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) =>
            catalog.reserveStock({ reservationId: `race-${i}`, lines: [{ productId: product.id, quantity: 1 }] }),
          ),
        );
        const succeeded = results.filter((r) => r.status === 'fulfilled');
        const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        expect(succeeded).toHaveLength(5);
        expect(failed).toHaveLength(35);
        for (const error of failed) {
          expect(error).toBeInstanceOf(DomainError);
          expect(error).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'OUT_OF_STOCK' });
        }
        expect(await stockOf(product.id)).toBe(0);
        expect(await count('reservations')).toBe(5);
      });

      it('reserves once when the same reservation is sent 10 times in parallel', async () => {
        const product = await create({ stock: 100 });
        const request = { reservationId: 'twin', lines: [{ productId: product.id, quantity: 7 }] };
        const results = await Promise.all(Array.from({ length: 10 }, () => catalog.reserveStock(request)));
        for (const result of results) expect(result).toEqual(results[0]);
        expect(results[0]?.status).toBe('RESERVED');
        expect(await stockOf(product.id)).toBe(93);
        expect(await count('reservations')).toBe(1);
        expect(await count('reservation_lines')).toBe(1);
      });

      it('returns units once when the same reservation is released twice in parallel', async () => {
        const product = await create({ stock: 10 });
        await catalog.reserveStock({ reservationId: 'order-8', lines: [{ productId: product.id, quantity: 6 }] });
        const released = await Promise.all([catalog.releaseStock('order-8'), catalog.releaseStock('order-8')]);
        expect(released.filter(Boolean)).toHaveLength(1);
        expect(await stockOf(product.id)).toBe(10);
      });

      it('neither deadlocks nor oversells when multi-line reservations name products in opposite orders', async () => {
        const x = await create({ stock: 10 });
        const y = await create({ stock: 10 });
        const results = await Promise.allSettled(
          Array.from({ length: 24 }, (_, i) =>
            catalog.reserveStock({
              reservationId: `cross-${i}`,
              lines:
                i % 2 === 0
                  ? [
                      { productId: x.id, quantity: 1 },
                      { productId: y.id, quantity: 1 },
                    ]
                  : [
                      { productId: y.id, quantity: 1 },
                      { productId: x.id, quantity: 1 },
                    ],
            }),
          ),
        );
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
        for (const error of failures) expect(error).toMatchObject({ reason: 'OUT_OF_STOCK' });
        expect(await stockOf(x.id)).toBe(0);
        expect(await stockOf(y.id)).toBe(0);
      });
    });

    describe('demo seed', () => {
      it('inserts the demo catalogue into an empty table once; a second run inserts nothing', async () => {
        const demo = loadDemoProducts();
        expect(await store.seedIfEmpty(demo)).toBe(demo.length);
        expect(await store.seedIfEmpty(demo)).toBe(0);
        expect(await count('products')).toBe(20);
        // Listed in the order of the file.
        const listed = await catalog.listProducts({ limit: 100 });
        expect(listed.items.map((p) => p.name)).toEqual(demo.map((p) => p.name));
      });

      it('does not seed a table that already has products', async () => {
        await create();
        expect(await store.seedIfEmpty(loadDemoProducts())).toBe(0);
        expect(await count('products')).toBe(1);
      });

      it('seeds once when two replicas migrate and seed the same schema at the same time', async () => {
        const replicaA = openSchema(db.schema);
        const replicaB = openSchema(db.schema);
        await Promise.all([migrate(replicaA, migrations, silent), migrate(replicaB, migrations, silent)]);
        const demo = loadDemoProducts();
        const inserted = await Promise.all([
          new PostgresProductStore(replicaA).seedIfEmpty(demo),
          new PostgresProductStore(replicaB).seedIfEmpty(demo),
        ]);
        expect([...inserted].sort((a, b) => a - b)).toEqual([0, 20]);
        expect(await count('products')).toBe(20);
      });
    });
  });
}
