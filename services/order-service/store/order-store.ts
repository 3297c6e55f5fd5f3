import type { Database, Queryable } from '../../../lib/runtime/db';
import { traceHeaders } from '../../../lib/runtime/tracing';
import type {
  ChargeState,
  CursorPosition,
  FailureField,
  OrderFailure,
  OrderItem,
  OrderRecord,
  OrderStatus,
  SagaStep,
  StockState,
} from '../domain/order';
import type { Lease, NewOrder, OrderStore } from '../domain/ports';

interface OrderRow {
  id: string;
  user_id: string;
  user_email: string;
  idempotency_key: string;
  request_hash: string;
  status: OrderStatus;
  saga_step: SagaStep;
  stock_state: StockState;
  charge_state: ChargeState;
  payment_token: string | null;
  total_amount: number | string | null;
  total_currency: string | null;
  payment_id: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  decline_code: string | null;
  failure_field: FailureField | null;
  failure_item_index: number | null;
  failure_peer: string | null;
  failure_peer_code: string | null;
  created_at_utc: string;
  updated_at_utc: string;
}

interface ItemRow {
  product_id: string;
  quantity: number;
  unit_price_amount: number | string | null;
  unit_price_currency: string | null;
}

// Timestamps as text with microseconds: a JS Date would drop them, and a cursor built from a rounded
// timestamp would repeat or skip rows. (Aliased so ORDER BY created_at still means the column.)
const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const ORDER_COLUMNS = `id, user_id, user_email, idempotency_key, request_hash, status, saga_step, stock_state,
  charge_state, payment_token, total_amount, total_currency, payment_id, failure_code, failure_reason, decline_code,
  failure_field, failure_item_index, failure_peer, failure_peer_code,
  ${utc('created_at')} AS created_at_utc, ${utc('updated_at')} AS updated_at_utc`;

/** A JSON array of items in position order from `source` (bigint prices stay below 2^53: MAX_UNIT_PRICE). */
const itemsJson = (source: string) => `(SELECT json_agg(json_build_object('product_id', i.product_id,
    'quantity', i.quantity, 'unit_price_amount', i.unit_price_amount, 'unit_price_currency', i.unit_price_currency)
    ORDER BY i.position) FROM ${source})`;

/** The items of order `o` as stored. */
const ITEMS_OF_ORDER = itemsJson('order_items i WHERE i.order_id = o.id');

const LEASE_UNTIL = `now() + $LEASE::integer * interval '1 millisecond'`;
const leaseUntil = (param: number) => LEASE_UNTIL.replace('$LEASE', `$${param}`);

function toItem(row: ItemRow): OrderItem {
  return {
    productId: row.product_id,
    quantity: row.quantity,
    ...(row.unit_price_amount === null || row.unit_price_currency === null
      ? {}
      : { unitPrice: { amount: Number(row.unit_price_amount), currency: row.unit_price_currency } }),
  };
}

function toFailure(row: OrderRow): OrderFailure | undefined {
  if (row.failure_code === null) return undefined;
  return {
    code: row.failure_code,
    reason: row.failure_reason ?? '',
    ...(row.decline_code === null ? {} : { declineCode: row.decline_code }),
    ...(row.failure_field === null ? {} : { field: row.failure_field }),
    ...(row.failure_item_index === null ? {} : { itemIndex: row.failure_item_index }),
    ...(row.failure_peer === null || row.failure_peer_code === null
      ? {}
      : { peer: { name: row.failure_peer, code: row.failure_peer_code } }),
  };
}

function toRecord(row: OrderRow, items: readonly OrderItem[]): OrderRecord {
  const failure = toFailure(row);
  return {
    id: row.id,
    userId: row.user_id,
    userEmail: row.user_email,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    status: row.status,
    step: row.saga_step,
    stock: row.stock_state,
    charge: row.charge_state,
    ...(row.payment_token === null ? {} : { paymentToken: row.payment_token }),
    items,
    ...(row.total_amount === null || row.total_currency === null
      ? {}
      : { total: { amount: Number(row.total_amount), currency: row.total_currency } }),
    ...(row.payment_id === null ? {} : { paymentId: row.payment_id }),
    ...(failure && { failure }),
    createdAt: row.created_at_utc,
    updatedAt: row.updated_at_utc,
  };
}

/** Orders (with the saga's bookkeeping) and the outbox rows written with them, in the service's PostgreSQL schema. */
export class PostgresOrderStore implements OrderStore {
  constructor(private readonly db: Database) {}

  /** Orders with their items, in one statement (so from one snapshot, and one round trip). */
  /**
   * Orders with their items in one statement: one snapshot (a transition pricing the items cannot commit
   * between reading an order and its items) and one round trip. `where` and `tail` use `o` for orders.
   */
  private async select(q: Queryable, where: string, params: readonly unknown[], tail = ''): Promise<OrderRecord[]> {
    const orders = await q.query<OrderRow & { items: ItemRow[] | null }>(
      `SELECT ${ORDER_COLUMNS}, ${ITEMS_OF_ORDER} AS items FROM orders o WHERE ${where} ${tail}`,
      params,
    );
    return orders.rows.map((row) => toRecord(row, (row.items ?? []).map(toItem)));
  }

  private async loadOne(q: Queryable, id: string): Promise<OrderRecord | undefined> {
    const [order] = await this.select(q, 'o.id = $1', [id]);
    return order;
  }

  /**
   * One statement: the order and its items are inserted and read back together (a data-modifying WITH is atomic
   * on its own), so creating an order is one round trip. A concurrent twin of this request waits on the unique
   * key until the first commits, inserts nothing, and finds the committed order instead of creating a second.
   */
  async insertOrFind(order: NewOrder): Promise<{ created: boolean; order: OrderRecord }> {
    const items = order.request.items;
    const inserted = await this.db.query<OrderRow & { items: ItemRow[] | null }>(
      `WITH o AS (
         INSERT INTO orders (id, user_id, user_email, idempotency_key, request_hash, status, saga_step,
           stock_state, charge_state, payment_token, lease_owner, lease_until)
         VALUES ($1, $2, $3, $4, $5, 'PENDING', 'RESERVING', 'NONE', 'NONE', $6, $7, ${leaseUntil(8)})
         ON CONFLICT (user_id, idempotency_key) DO NOTHING
         RETURNING *
       ), i AS (
         INSERT INTO order_items (order_id, position, product_id, quantity)
         SELECT o.id, l.position, l.product_id, l.quantity
         FROM o, unnest($9::integer[], $10::uuid[], $11::integer[]) AS l(position, product_id, quantity)
         RETURNING *
       )
       SELECT ${ORDER_COLUMNS}, ${itemsJson('i')} AS items FROM o`,
      [
        order.id,
        order.userId,
        order.userEmail,
        order.request.idempotencyKey,
        order.request.requestHash,
        order.request.paymentToken,
        order.lease.owner,
        order.lease.ms,
        items.map((_, position) => position),
        items.map((item) => item.productId),
        items.map((item) => item.quantity),
      ],
    );
    const row = inserted.rows[0];
    if (row) return { created: true, order: toRecord(row, (row.items ?? []).map(toItem)) };
    const [found] = await this.select(this.db, 'o.user_id = $1 AND o.idempotency_key = $2', [
      order.userId,
      order.request.idempotencyKey,
    ]);
    if (!found) throw new Error('an order idempotency key conflicted but its order cannot be read');
    return { created: false, order: found };
  }

  async get(id: string): Promise<OrderRecord | undefined> {
    return this.loadOne(this.db, id);
  }

  async listByUser(userId: string, after: CursorPosition | undefined, limit: number): Promise<OrderRecord[]> {
    const newestFirst = `ORDER BY o.created_at DESC, o.id DESC LIMIT ${after ? '$4' : '$2'}`;
    return after
      ? this.select(
          this.db,
          'o.user_id = $1 AND (o.created_at, o.id) < ($2::timestamptz, $3::uuid)',
          [userId, after.createdAt, after.id, limit],
          newestFirst,
        )
      : this.select(this.db, 'o.user_id = $1', [userId, limit], newestFirst);
  }

  async listAll(after: CursorPosition | undefined, limit: number): Promise<OrderRecord[]> {
    const newestFirst = `ORDER BY o.created_at DESC, o.id DESC LIMIT ${after ? '$3' : '$1'}`;
    return after
      ? this.select(
          this.db,
          '(o.created_at, o.id) < ($1::timestamptz, $2::uuid)',
          [after.createdAt, after.id, limit],
          newestFirst,
        )
      : this.select(this.db, 'true', [limit], newestFirst);
  }

  takeLease(id: string, lease: Lease): Promise<OrderRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const taken = await tx.query(
        `UPDATE orders SET lease_owner = $2, lease_until = ${leaseUntil(3)}
         WHERE id = $1 AND saga_step <> 'DONE' AND lease_until < now() RETURNING id`,
        [id, lease.owner, lease.ms],
      );
      return taken.rows.length === 0 ? undefined : this.loadOne(tx, id);
    });
  }

  async takeStaleLeases(lease: Lease, limit: number, excluding: readonly string[]): Promise<string[]> {
    // SKIP LOCKED: replicas recovering at the same moment take different orders.
    const taken = await this.db.query<{ id: string }>(
      `UPDATE orders SET lease_owner = $1, lease_until = ${leaseUntil(2)}, recoveries = recoveries + 1
       WHERE id IN (
         SELECT id FROM orders
         WHERE saga_step <> 'DONE' AND lease_until < now() AND NOT (id = ANY($3::uuid[]))
         ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [lease.owner, lease.ms, [...excluding], limit],
    );
    return taken.rows.map((r) => r.id);
  }

  /**
   * One statement: the guarded update, the unit prices, the outbox row and the read back (a data-modifying WITH
   * is atomic on its own), so a saga step is one round trip. Nothing changes unless this lease still holds the
   * order at step `from`. Typed by the port it implements, so the signature is written once.
   */
  readonly advance: OrderStore['advance'] = async (id, lease, from, patch, event) => {
    const prices = patch.unitPrices ?? [];
    const params: unknown[] = [
      id,
      lease.owner,
      from,
      patch.status ?? null,
      patch.step ?? null,
      patch.stock ?? null,
      patch.charge ?? null,
      patch.total?.amount ?? null,
      patch.total?.currency ?? null,
      patch.paymentId ?? null,
      patch.failure?.code ?? null,
      patch.failure?.reason ?? null,
      patch.failure?.declineCode ?? null,
      patch.erasePaymentToken === true,
      patch.leaseMs ?? lease.ms,
      patch.failure?.field ?? null,
      patch.failure?.itemIndex ?? null,
      patch.failure?.peer?.name ?? null,
      patch.failure?.peer?.code ?? null,
    ];
    const parts = [
      `o AS (
         UPDATE orders SET
           status = COALESCE($4, status),
           saga_step = COALESCE($5, saga_step),
           stock_state = COALESCE($6, stock_state),
           charge_state = COALESCE($7, charge_state),
           total_amount = COALESCE($8::bigint, total_amount),
           total_currency = COALESCE($9, total_currency),
           payment_id = COALESCE($10, payment_id),
           failure_code = COALESCE($11, failure_code),
           failure_reason = COALESCE($12, failure_reason),
           decline_code = COALESCE($13, decline_code),
           payment_token = CASE WHEN $14::boolean THEN NULL ELSE payment_token END,
           lease_until = ${leaseUntil(15)},
           failure_field = COALESCE($16, failure_field),
           failure_item_index = COALESCE($17::integer, failure_item_index),
           failure_peer = COALESCE($18, failure_peer),
           failure_peer_code = COALESCE($19, failure_peer_code),
           updated_at = now()
         WHERE id = $1 AND lease_owner = $2 AND saga_step = $3
         RETURNING *)`,
    ];
    // The main query reads order_items from the statement's snapshot, before this statement's own price
    // update: the updated lines come from that update's RETURNING instead.
    let items = ITEMS_OF_ORDER;
    if (prices.length > 0) {
      const at = params.length;
      params.push(
        prices.map((_, position) => position),
        prices.map((p) => p.amount),
        prices.map((p) => p.currency),
      );
      parts.push(`priced AS (
         UPDATE order_items SET unit_price_amount = p.amount, unit_price_currency = p.currency
         FROM o, unnest($${at + 1}::integer[], $${at + 2}::bigint[], $${at + 3}::text[]) AS p(position, amount, currency)
         WHERE order_items.order_id = o.id AND order_items.position = p.position
         RETURNING order_items.position, order_items.unit_price_amount, order_items.unit_price_currency)`);
      items = itemsJson(`(SELECT s.position, s.product_id, s.quantity,
           COALESCE(p.unit_price_amount, s.unit_price_amount) AS unit_price_amount,
           COALESCE(p.unit_price_currency, s.unit_price_currency) AS unit_price_currency
         FROM order_items s LEFT JOIN priced p ON p.position = s.position WHERE s.order_id = o.id) i`);
    }
    if (event) {
      const at = params.length;
      // The trace the event is written in (the CreateOrder call) goes with it, for the relay to continue.
      const traced = traceHeaders();
      params.push(
        event.id,
        event.key,
        event.type,
        event.payload,
        traced.traceparent ?? null,
        traced.tracestate ?? null,
      );
      parts.push(`published AS (
         INSERT INTO outbox (id, message_key, event_type, payload, traceparent, tracestate)
         SELECT $${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6} FROM o
         RETURNING id)`);
    }
    const updated = await this.db.query<OrderRow & { items: ItemRow[] | null }>(
      `WITH ${parts.join(',\n')}
       SELECT ${ORDER_COLUMNS}, ${items} AS items FROM o`,
      params,
    );
    const row = updated.rows[0];
    return row ? toRecord(row, (row.items ?? []).map(toItem)) : undefined;
  };
}
