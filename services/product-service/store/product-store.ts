import { randomUUID } from 'node:crypto';
import type { Database, Queryable, QueryResult } from '../../../lib/runtime/db';
import type { ProductStore } from '../domain/catalog';
import {
  IdempotencyKeyReusedError,
  OutOfStockError,
  StockOutOfRangeError,
  UnknownProductError,
} from '../domain/errors';
import type { CursorPosition, NewProduct, Product, ProductChange } from '../domain/product';
import type { Reservation, ReservationRequest, ReservationStatus, ReservedLine } from '../domain/reservation';

interface ProductRow {
  id: string;
  name: string;
  description: string;
  price_amount: number | string;
  price_currency: string;
  stock: number;
  created_at_utc: string;
}

interface LineRow {
  product_id: string;
  quantity: number;
  unit_price_amount: number | string;
  unit_price_currency: string;
}

// created_at as text with microseconds: a JS Date would drop them, and a cursor built from a rounded
// timestamp would repeat or skip rows. (Aliased so ORDER BY created_at still means the column.)
const PRODUCT_COLUMNS = `id, name, description, price_amount, price_currency, stock,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_utc`;

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: { amount: Number(row.price_amount), currency: row.price_currency },
    stock: row.stock,
    createdAt: row.created_at_utc,
  };
}

function toLine(row: LineRow): ReservedLine {
  return {
    productId: row.product_id,
    quantity: row.quantity,
    unitPrice: { amount: Number(row.unit_price_amount), currency: row.unit_price_currency },
  };
}

interface TakenRow {
  line_index: number;
  product_id: string;
  quantity: number;
  price_amount: number | string;
  price_currency: string;
}

/** The domain error for `reserve_stock`'s SF001/SF002, whose DETAIL is the failing line's index. */
function lineError(error: unknown, request: ReservationRequest): Error | undefined {
  const { code, detail } = (error ?? {}) as { code?: string; detail?: string };
  if (code !== 'SF001' && code !== 'SF002') return undefined;
  const line = request.lines.find((l) => String(l.index) === detail);
  if (!line) return undefined;
  return code === 'SF001'
    ? new OutOfStockError(line.index, line.productId)
    : new UnknownProductError(line.index, line.productId);
}

/** Products and reservations in the service's schema, on any PostgreSQL (the embedded server or a managed one). */
export class PostgresProductStore implements ProductStore {
  constructor(private readonly db: Database) {}

  async list(after: CursorPosition | undefined, limit: number): Promise<Product[]> {
    const result = after
      ? await this.db.query<ProductRow>(
          `SELECT ${PRODUCT_COLUMNS} FROM products
           WHERE (created_at, id) > ($1::timestamptz, $2::uuid)
           ORDER BY created_at, id LIMIT $3`,
          [after.createdAt, after.id, limit],
        )
      : await this.db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products ORDER BY created_at, id LIMIT $1`, [
          limit,
        ]);
    return result.rows.map(toProduct);
  }

  async get(id: string): Promise<Product | undefined> {
    const result = await this.db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? toProduct(row) : undefined;
  }

  async create(id: string, product: NewProduct): Promise<Product> {
    const result = await this.db.query<ProductRow>(
      `INSERT INTO products (id, name, description, price_amount, price_currency, stock)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${PRODUCT_COLUMNS}`,
      [id, product.name, product.description, product.price.amount, product.price.currency, product.stock],
    );
    const row = result.rows[0];
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return toProduct(row);
  }

  /**
   * One UPDATE, so the row lock is held only inside the server and a concurrent reservation's decrement is never lost:
   * the stock moves by `stockDelta` from whatever it is when the statement runs, and only within 0..maxStock.
   */
  async update(id: string, change: ProductChange, maxStock: number): Promise<Product | undefined> {
    const delta = change.stockDelta ?? null;
    const updated = await this.db.query<ProductRow>(
      `UPDATE products SET
         price_amount = coalesce($2::bigint, price_amount),
         price_currency = coalesce($3::text, price_currency),
         stock = stock + coalesce($4::integer, 0),
         updated_at = now()
       WHERE id = $1 AND ($4::integer IS NULL OR stock + $4::integer BETWEEN 0 AND $5::integer)
       RETURNING ${PRODUCT_COLUMNS}`,
      [id, change.price?.amount ?? null, change.price?.currency ?? null, delta, maxStock],
    );
    const row = updated.rows[0];
    if (row) return toProduct(row);
    const current = await this.get(id);
    if (!current) return undefined;
    throw new StockOutOfRangeError(current.stock, delta ?? 0, maxStock);
  }

  /**
   * One statement (migration 0006's `reserve_stock`), so a product's row is locked only inside the server and
   * never across a round trip: a product that many orders buy at once is not serialized on this service's latency.
   */
  async reserve(request: ReservationRequest): Promise<Reservation> {
    let taken: QueryResult<TakenRow>;
    try {
      taken = await this.db.query<TakenRow>(
        `SELECT line_index, product_id, quantity, price_amount, price_currency
         FROM reserve_stock($1, $2, $3::uuid[], $4::integer[], $5::integer[])`,
        [
          request.reservationId,
          request.requestHash,
          request.lines.map((l) => l.productId),
          request.lines.map((l) => l.quantity),
          request.lines.map((l) => l.index),
        ],
      );
    } catch (error) {
      throw lineError(error, request) ?? error;
    }
    // No row: the id is known already (a replay, a twin that won, or a release that came first).
    if (taken.rows.length === 0) return this.db.transaction((tx) => this.replay(tx, request));
    const byIndex = new Map(taken.rows.map((row) => [row.line_index, row]));
    const lines = request.lines.map((line): ReservedLine => {
      const row = byIndex.get(line.index);
      if (!row) throw new Error(`line ${line.index} was not reserved`);
      return {
        productId: row.product_id,
        quantity: row.quantity,
        unitPrice: { amount: Number(row.price_amount), currency: row.price_currency },
      };
    });
    return { reservationId: request.reservationId, lines, status: 'RESERVED' };
  }

  private async replay(tx: Queryable, request: ReservationRequest): Promise<Reservation> {
    const existing = await tx.query<{ request_hash: string | null; status: ReservationStatus }>(
      'SELECT request_hash, status FROM reservations WHERE id = $1',
      [request.reservationId],
    );
    const row = existing.rows[0];
    if (!row) throw new Error(`reservation ${request.reservationId} conflicted but cannot be read`);
    // Released before it was reserved: nothing is taken, whatever the lines.
    if (row.request_hash === null) return { reservationId: request.reservationId, lines: [], status: 'RELEASED' };
    if (row.request_hash !== request.requestHash) throw new IdempotencyKeyReusedError();
    const lines = await tx.query<LineRow>(
      `SELECT product_id, quantity, unit_price_amount, unit_price_currency
       FROM reservation_lines WHERE reservation_id = $1 ORDER BY position`,
      [request.reservationId],
    );
    return { reservationId: request.reservationId, lines: lines.rows.map(toLine), status: row.status };
  }

  /**
   * Returns the units of a reservation once. An id never reserved is recorded as released, so a ReserveStock
   * that arrives after its release (its caller gave up waiting for it) takes nothing.
   */
  release(reservationId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // A reserve of the same id in flight holds its row: this waits for it, then finds it and releases it.
      const tombstone = await tx.query(
        `INSERT INTO reservations (id, request_hash, status, released_at) VALUES ($1, NULL, 'RELEASED', now())
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [reservationId],
      );
      if (tombstone.rows.length > 0) return false;
      // The status guard makes the release happen once, however many callers race.
      const released = await tx.query(
        `UPDATE reservations SET status = 'RELEASED', released_at = now()
         WHERE id = $1 AND status = 'RESERVED' RETURNING id`,
        [reservationId],
      );
      if (released.rows.length === 0) return false;
      const lines = await tx.query<{ product_id: string; quantity: number }>(
        'SELECT product_id, quantity FROM reservation_lines WHERE reservation_id = $1 ORDER BY product_id',
        [reservationId],
      );
      for (const line of lines.rows) {
        await tx.query('UPDATE products SET stock = stock + $2 WHERE id = $1', [line.product_id, line.quantity]);
      }
      return true;
    });
  }

  /**
   * Inserts `products` when the table is empty, in one transaction under an advisory lock, so replicas
   * starting together seed once. Creation times follow the list order, one millisecond apart.
   * Returns how many were inserted (0 when the table already had products).
   */
  seedIfEmpty(products: readonly NewProduct[], newId: () => string = randomUUID): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`shopfront:seed:${this.db.schema}.products`]);
      const any = await tx.query('SELECT 1 FROM products LIMIT 1');
      if (any.rows.length > 0) return 0;
      for (const [position, product] of products.entries()) {
        await tx.query(
          `INSERT INTO products (id, name, description, price_amount, price_currency, stock, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() + $7::integer * interval '1 millisecond')`,
          [
            newId(),
            product.name,
            product.description,
            product.price.amount,
            product.price.currency,
            product.stock,
            position,
          ],
        );
      }
      return products.length;
    });
  }
}
