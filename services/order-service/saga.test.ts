import { randomUUID } from 'node:crypto';
import { ChargeStatus } from '../../lib/contracts/gen/shopfront/payment/v1/payment';
import { RejectionReason, StockLineField } from '../../lib/contracts/gen/shopfront/product/v1/product';
import { parseOrderEvent } from '../../lib/events';
import { TokenVerifier } from '../../lib/runtime/auth';
import { type Database, PostgresDatabase, type Queryable } from '../../lib/runtime/db';
import { DomainError } from '../../lib/runtime/errors';
import { LocalEventLog } from '../../lib/runtime/events';
import { loadMigrations, migrate } from '../../lib/runtime/migrate';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { GrpcPaymentPort, GrpcStockPort } from './adapters/peers';
import { createOrderApp, type OrderApp } from './app';
import type { OrderRecord } from './domain/order';
import { chargeKeyOf, type SagaHooks } from './domain/saga';
import { MIGRATIONS_DIR } from './main';
import { FakePaymentService, FakeProductService } from './test-support/fake-peers';
import { silentLogger } from './test-support/service';
import { newUser, TEST_JWT_SECRET, type TestUser, tokenOf } from './test-support/tokens';

const logger = silentLogger();
const migrations = loadMigrations(MIGRATIONS_DIR);
const ctx = { requestId: 'saga-test', log: logger };
const EUR = (amount: number) => ({ amount, currency: 'EUR' });

/** A promise with its resolve handle: a gate a test opens when it chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open: () => open() };
}

/** Waits (without asserting any duration) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('the condition never held');
}

/** A database whose statements fail when they write the outbox (the confirming write fails after the charge). */
function failingOutbox(db: Database): Database {
  const writesOutbox = (sql: string) => /INSERT INTO outbox/i.test(sql);
  const guard = (q: Queryable): Queryable => ({
    query: (sql, params) => (writesOutbox(sql) ? Promise.reject(new Error('disk full (test)')) : q.query(sql, params)),
    exec: (sql) => q.exec(sql),
  });
  return Object.assign(Object.create(db) as Database, {
    query: guard(db).query,
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => db.transaction((tx) => work(guard(tx))),
  });
}

interface World {
  readonly db: Database;
  readonly app: OrderApp;
  readonly bus: LocalEventLog;
  readonly product: FakeProductService;
  readonly payment: FakePaymentService;
  /** The service's own payment-service client (to play a late first attempt of a charge). */
  readonly paymentPort: GrpcPaymentPort;
  readonly user: TestUser;
  readonly token: string;
  /** Two EUR products with stock 10: 19.99 and 34.50. */
  readonly mug: string;
  readonly kettle: string;
}

describe("the order saga against fake product and payment services (gRPC), on the test run's PostgreSQL", () => {
  let database: TestDatabase;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    database = await freshDatabase();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await database.drop();
  });

  async function world(
    options: {
      hooks?: SagaHooks;
      timeoutMs?: number;
      wrapDb?: (db: Database) => Database;
      /** How long one run retries a peer that is away. */
      deadlineMs?: number;
      /** How old an order may get waiting for a peer; 0: a peer that is away fails the order at once. */
      pendingLimitMs?: number;
    } = {},
  ): Promise<World> {
    // A schema of its own per test, on a pool of its own (closed after the test), as the service opens it.
    const db = new PostgresDatabase(database.url, `orders_s${randomUUID().replaceAll('-', '').slice(0, 16)}`);
    cleanups.push(() => db.close());
    await migrate(db, migrations, logger);
    const product = await new FakeProductService().start();
    const payment = await new FakePaymentService().start();
    const settings = {
      timeoutMs: options.timeoutMs ?? 2000,
      retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 },
    };
    const stock = new GrpcStockPort(product.address, settings);
    const payments = new GrpcPaymentPort(payment.address, settings);
    const bus = new LocalEventLog({ partitions: { orders: 3 }, logger });
    const app = createOrderApp({
      db: options.wrapDb ? options.wrapDb(db) : db,
      bus,
      topic: 'orders',
      logger,
      tokens: new TokenVerifier({ secret: TEST_JWT_SECRET }),
      stock,
      payment: payments,
      leaseMs: 60_000,
      deadlineMs: options.deadlineMs ?? 1500,
      pendingLimitMs: options.pendingLimitMs,
      outboxPollMs: 10,
      recoveryPollMs: 60_000,
      hooks: options.hooks,
    });
    cleanups.push(
      () => product.close(),
      () => payment.close(),
      () => stock.close(),
      () => payments.close(),
      () => bus.close(),
    );
    const user = newUser();
    return {
      db,
      app,
      bus,
      product,
      payment,
      paymentPort: payments,
      user,
      token: await tokenOf(user),
      mug: product.addProduct(EUR(1999), 10),
      kettle: product.addProduct(EUR(3450), 10),
    };
  }

  const cart = (w: World, overrides: Record<string, unknown> = {}) => ({
    idempotencyKey: `checkout-${randomUUID()}`,
    items: [
      { productId: w.mug, quantity: 2 },
      { productId: w.kettle, quantity: 1 },
    ],
    paymentToken: 'tok_visa',
    ...overrides,
  });

  const outboxRows = async (w: World) =>
    (await w.db.query<{ id: string; message_key: string }>('SELECT id, message_key FROM outbox ORDER BY seq')).rows;
  const expireLease = (w: World, id: string) =>
    w.db.query(`UPDATE orders SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
  const stored = async (w: World, id: string): Promise<OrderRecord> => {
    const order = await w.app.store.get(id);
    if (!order) throw new Error(`order ${id} is not stored`);
    return order;
  };

  it('confirms an order: stock reserved, charged once by order key, order.created in the outbox and published', async () => {
    const w = await world();
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);

    expect(order).toMatchObject({
      status: 'CONFIRMED',
      step: 'DONE',
      userId: w.user.id,
      total: EUR(2 * 1999 + 3450),
      items: [
        { productId: w.mug, quantity: 2, unitPrice: EUR(1999) },
        { productId: w.kettle, quantity: 1, unitPrice: EUR(3450) },
      ],
    });
    expect(order.paymentToken).toBeUndefined();
    expect(w.product.stockOf(w.mug)).toBe(8);
    expect(w.product.stockOf(w.kettle)).toBe(9);
    expect(w.product.reservations.get(order.id)?.status).toBe('RESERVED');
    const charge = w.payment.chargeFor(order.id);
    expect(charge).toMatchObject({ idempotencyKey: `order:${order.id}`, amount: EUR(7448) });
    expect(order.paymentId).toBe(charge?.id);
    expect(w.payment.callsOf('Charge')).toHaveLength(1);

    const rows = await outboxRows(w);
    expect(rows).toEqual([{ id: expect.any(String), message_key: order.id }]);
    expect(await w.app.relay.relayOnce()).toBe(1);
    const records = w.bus.records('orders');
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record?.key).toBe(order.id);
    expect(record?.headers).toMatchObject({ 'ce-id': rows[0]?.id, 'ce-type': 'com.shopfront.order.created.v1' });
    const parsed = parseOrderEvent(record?.value);
    if (!parsed.ok) throw new Error(`the published event does not parse: ${parsed.error.message}`);
    expect(parsed.event).toEqual({
      specversion: '1.0',
      id: rows[0]?.id,
      source: '/services/order-service',
      type: 'com.shopfront.order.created.v1',
      time: expect.any(String),
      subject: order.id,
      datacontenttype: 'application/json',
      data: {
        orderId: order.id,
        userId: w.user.id,
        userEmail: w.user.email,
        items: [
          { productId: w.mug, quantity: 2, unitPrice: EUR(1999) },
          { productId: w.kettle, quantity: 1, unitPrice: EUR(3450) },
        ],
        total: EUR(7448),
        createdAt: order.createdAt,
      },
    });
    expect(await w.app.relay.relayOnce()).toBe(0);
  });

  it('fails a declined payment with its decline code and releases the stock; no event', async () => {
    const w = await world();
    const order = await w.app.orders.createOrder(
      w.token,
      cart(w, { paymentToken: 'tok_chargeDeclinedInsufficientFunds' }),
      ctx,
    );
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      stock: 'RELEASED',
      charge: 'DECLINED',
      failure: { code: 'PAYMENT_DECLINED', declineCode: 'insufficient_funds' },
    });
    expect(order.paymentToken).toBeUndefined();
    expect(w.product.stockOf(w.mug)).toBe(10);
    expect(w.product.stockOf(w.kettle)).toBe(10);
    expect(w.product.reservations.get(order.id)?.status).toBe('RELEASED');
    expect(w.payment.callsOf('Refund')).toHaveLength(0);
    expect(await outboxRows(w)).toEqual([]);
  });

  it('fails an order that lacks stock, naming the item, and never charges', async () => {
    const w = await world();
    const order = await w.app.orders.createOrder(
      w.token,
      cart(w, {
        items: [
          { productId: w.mug, quantity: 1 },
          { productId: w.kettle, quantity: 11 },
        ],
      }),
      ctx,
    );
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      stock: 'NONE',
      failure: { code: 'OUT_OF_STOCK', field: 'ITEM_QUANTITY', itemIndex: 1 },
    });
    expect(order.failure?.peer).toBeUndefined();
    expect(order.failure?.reason).toContain(w.kettle);
    expect(await stored(w, order.id)).toMatchObject({ failure: order.failure });
    expect(w.payment.calls).toEqual([]);
    expect(w.product.stockOf(w.mug)).toBe(10);
    expect(await outboxRows(w)).toEqual([]);
  });

  it('fails an order for an unknown product, naming the item, and never charges', async () => {
    const w = await world();
    const missing = randomUUID();
    const order = await w.app.orders.createOrder(
      w.token,
      cart(w, {
        items: [
          { productId: w.mug, quantity: 1 },
          { productId: missing, quantity: 1 },
        ],
      }),
      ctx,
    );
    expect(order).toMatchObject({
      status: 'FAILED',
      failure: { code: 'PRODUCT_NOT_FOUND', field: 'ITEM_PRODUCT_ID', itemIndex: 1 },
    });
    expect(order.failure?.reason).toContain(missing);
    expect(w.payment.calls).toEqual([]);
  });

  it('fails a rejection whose reason it does not know as STOCK_NOT_RESERVED, still naming the item', async () => {
    const w = await world();
    w.product.nextRejection = {
      reason: 99 as RejectionReason,
      lineIndex: 0,
      field: StockLineField.STOCK_LINE_FIELD_QUANTITY,
    };
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      stock: 'NONE',
      failure: { code: 'STOCK_NOT_RESERVED', field: 'ITEM_QUANTITY', itemIndex: 0 },
    });
    expect(w.payment.calls).toEqual([]);
  });

  it('fails a rejection that names no member of the line without naming an item', async () => {
    const w = await world();
    w.product.nextRejection = {
      reason: RejectionReason.REJECTION_REASON_OUT_OF_STOCK,
      lineIndex: 1,
      field: StockLineField.STOCK_LINE_FIELD_UNSPECIFIED,
    };
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({ status: 'FAILED', step: 'DONE', failure: { code: 'OUT_OF_STOCK' } });
    expect(order.failure?.field).toBeUndefined();
    expect(order.failure?.itemIndex).toBeUndefined();
  });

  it.each([-1, 2, 50])(
    'fails a rejection of line %i, which the order does not have, without naming an item',
    async (line) => {
      const w = await world();
      w.product.nextRejection = {
        reason: RejectionReason.REJECTION_REASON_OUT_OF_STOCK,
        lineIndex: line,
        field: StockLineField.STOCK_LINE_FIELD_QUANTITY,
      };
      const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
      expect(order).toMatchObject({ status: 'FAILED', failure: { code: 'STOCK_NOT_RESERVED' } });
      expect(order.failure?.field).toBeUndefined();
      expect(order.failure?.itemIndex).toBeUndefined();
    },
  );

  it('records the peer and its status when product-service refuses the reservation', async () => {
    const w = await world();
    w.product.script.failNext('ReserveStock', 'INVALID_ARGUMENT');
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      stock: 'NONE',
      failure: { code: 'STOCK_NOT_RESERVED', peer: { name: 'product-service', code: 'INVALID_ARGUMENT' } },
    });
    expect(order.failure?.field).toBeUndefined();
    expect(order.failure?.reason).toBe('the stock could not be reserved; nothing was charged');
  });

  it('fails an order priced in two currencies after releasing its stock, and never charges', async () => {
    const w = await world();
    const dollarMug = w.product.addProduct({ amount: 1500, currency: 'USD' }, 5);
    const order = await w.app.orders.createOrder(
      w.token,
      cart(w, {
        items: [
          { productId: w.mug, quantity: 1 },
          { productId: dollarMug, quantity: 1 },
        ],
      }),
      ctx,
    );
    expect(order).toMatchObject({ status: 'FAILED', step: 'DONE', failure: { code: 'MIXED_CURRENCY' } });
    expect(w.product.reservations.get(order.id)?.status).toBe('RELEASED');
    expect(w.product.stockOf(dollarMug)).toBe(5);
    expect(w.payment.calls).toEqual([]);
  });

  it('returns the same order for the same key and request, reserving and charging once', async () => {
    const w = await world();
    const request = cart(w);
    const first = await w.app.orders.createOrder(w.token, request, ctx);
    const again = await w.app.orders.createOrder(w.token, { ...request, items: [...request.items].reverse() }, ctx);
    expect(again.id).toBe(first.id);
    expect(again.status).toBe('CONFIRMED');
    expect(w.product.callsOf('ReserveStock')).toHaveLength(1);
    expect(w.payment.callsOf('Charge')).toHaveLength(1);
    expect(await outboxRows(w)).toHaveLength(1);
  });

  it('creates one order, one reservation and one charge for ten concurrent requests with one key', async () => {
    const w = await world();
    const request = cart(w);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => w.app.orders.createOrder(w.token, request, ctx)),
    );
    expect(new Set(results.map((o) => o.id)).size).toBe(1);
    expect(results.map((o) => o.status)).toEqual(Array(10).fill('CONFIRMED'));
    expect(w.product.callsOf('ReserveStock')).toHaveLength(1);
    expect(w.payment.charges.size).toBe(1);
    expect(w.payment.callsOf('Charge')).toHaveLength(1);
    expect(await outboxRows(w)).toHaveLength(1);
  });

  it('refuses the same key with another cart or another payment token (IDEMPOTENCY_KEY_REUSED)', async () => {
    const w = await world();
    const request = cart(w);
    await w.app.orders.createOrder(w.token, request, ctx);
    for (const other of [
      { ...request, items: [{ productId: w.mug, quantity: 3 }] },
      { ...request, paymentToken: 'tok_chargeDeclined' },
    ]) {
      await expect(w.app.orders.createOrder(w.token, other, ctx)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'idempotencyKey',
        reason: 'IDEMPOTENCY_KEY_REUSED',
      });
    }
    // Keys are per user: another customer may use the same key.
    const other = await w.app.orders.createOrder(await tokenOf(newUser()), request, ctx);
    expect(other.status).toBe('CONFIRMED');
    expect(w.payment.charges.size).toBe(2);
  });

  it('retries a payment-service that is UNAVAILABLE twice, and charges once', async () => {
    const w = await world();
    w.payment.script.failNext('Charge', 'UNAVAILABLE', 2);
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order.status).toBe('CONFIRMED');
    expect(w.payment.callsOf('Charge')).toHaveLength(3);
    expect(w.payment.charges.size).toBe(1);
  });

  it('never retries what the peer refused: an unusable payment token fails the order without a charge', async () => {
    const w = await world();
    const order = await w.app.orders.createOrder(w.token, cart(w, { paymentToken: 'tok_unknown' }), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      charge: 'NONE',
      failure: {
        code: 'PAYMENT_FAILED',
        field: 'PAYMENT_TOKEN',
        peer: { name: 'payment-service', code: 'INVALID_ARGUMENT' },
      },
    });
    expect(order.failure?.itemIndex).toBeUndefined();
    // Written for the customer: what to do, not which service refused what (that is `peer`, for operators).
    expect(order.failure?.reason).toBe(
      'the payment token was refused; pay with another one, under a new Idempotency-Key',
    );
    expect(await stored(w, order.id)).toMatchObject({ failure: order.failure });
    expect(w.payment.callsOf('Charge')).toHaveLength(1);
    expect(w.product.reservations.get(order.id)?.status).toBe('RELEASED');
  });

  it('blames the payment token only when payment-service names it: another refusal names no field', async () => {
    const w = await world();
    w.payment.script.failNext('Charge', 'INVALID_ARGUMENT');
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      charge: 'NONE',
      failure: { code: 'PAYMENT_FAILED', peer: { name: 'payment-service', code: 'INVALID_ARGUMENT' } },
    });
    expect(order.failure?.field).toBeUndefined();
    expect(order.failure?.reason).toBe('the payment could not be processed; nothing was charged');
  });

  const leaseHandedOver = async (w: World, id: string) =>
    (await w.db.query<{ due: boolean }>('SELECT lease_until <= now() AS due FROM orders WHERE id = $1', [id])).rows[0]
      ?.due;

  it('while payment-service is away past the run deadline: PENDING for the recoverer, then confirmed with one charge', async () => {
    const w = await world({ deadlineMs: 300 });
    w.payment.script.failUntilRecovered('Charge', 'UNAVAILABLE');
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    // Retried until the run's deadline; the charge's intent is recorded, nothing failed, the stock stays held.
    expect(order).toMatchObject({ status: 'PENDING', step: 'CHARGING', stock: 'RESERVED', charge: 'UNKNOWN' });
    expect(order.failure).toBeUndefined();
    expect(w.payment.callsOf('Charge').length).toBeGreaterThan(2);
    expect(w.payment.charges.size).toBe(0);
    expect(w.product.stockOf(w.mug)).toBe(8);
    // The lease is handed to the recoverer at once, not after SAGA_RECOVERY_AFTER_MS.
    expect(await leaseHandedOver(w, order.id)).toBe(true);

    // Still away: the recoverer's run waits its deadline and leaves it PENDING again.
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    expect(await stored(w, order.id)).toMatchObject({ status: 'PENDING', step: 'CHARGING' });

    w.payment.script.recover('Charge');
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    const done = await stored(w, order.id);
    expect(done).toMatchObject({ status: 'CONFIRMED', step: 'DONE', paymentId: w.payment.chargeFor(order.id)?.id });
    expect(w.payment.charges.size).toBe(1);
    expect(w.product.callsOf('ReserveStock')).toHaveLength(1);
    expect(await outboxRows(w)).toHaveLength(1);
    expect(await w.app.recoverer.recoverOnce()).toBe(0);
  });

  /** The order's charge request, exactly as the saga sends it (to play its first attempt arriving late). */
  const chargeRequestOf = (order: OrderRecord, paymentToken = 'tok_visa') => {
    if (!order.total) throw new Error(`order ${order.id} has no total`);
    return {
      idempotencyKey: chargeKeyOf(order.id),
      amount: order.total,
      paymentToken,
      orderId: order.id,
      customerId: order.userId,
    };
  };

  it('past the pending limit, a payment-service that is away fails the order and settles the unknown charge', async () => {
    const w = await world({ deadlineMs: 200, pendingLimitMs: 0 });
    w.payment.script.failUntilRecovered('Charge', 'UNAVAILABLE');
    w.payment.script.failUntilRecovered('VoidCharge', 'UNAVAILABLE');
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'COMPENSATING',
      stock: 'RELEASED',
      charge: 'UNKNOWN',
      failure: { code: 'PAYMENT_FAILED', peer: { name: 'payment-service', code: 'UNAVAILABLE' } },
    });
    expect(order.failure?.field).toBeUndefined();
    expect(w.product.stockOf(w.mug)).toBe(10);
    expect(await leaseHandedOver(w, order.id)).toBe(true);
    expect(w.payment.callsOf('VoidCharge').length).toBeGreaterThan(0);

    w.payment.script.recover('Charge');
    w.payment.script.recover('VoidCharge');
    const charges = w.payment.callsOf('Charge').length;
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    const done = await stored(w, order.id);
    // No charge ever reached payment-service: its key is voided, so nothing was charged, and nothing refunded.
    expect(done).toMatchObject({ status: 'FAILED', step: 'DONE', charge: 'VOIDED' });
    expect(done.paymentId).toBeUndefined();
    expect(w.payment.callsOf('Charge')).toHaveLength(charges);
    expect(w.payment.voidFor(order.id)?.status).toBe(ChargeStatus.CHARGE_STATUS_VOIDED);
    expect(w.payment.charges.size).toBe(0);
    expect(w.payment.callsOf('Refund')).toHaveLength(0);

    // The first attempt of the charge, arriving only now, finds its key voided: not charged.
    expect(await w.paymentPort.charge(chargeRequestOf(order), ctx)).toEqual({ kind: 'voided' });
    expect(w.payment.charges.size).toBe(0);
    expect(await w.app.recoverer.recoverOnce()).toBe(0);
  });

  it('past the pending limit, a charge still in progress at payment-service is settled once it is done: found by the void and refunded', async () => {
    const w = await world({ timeoutMs: 300, deadlineMs: 200, pendingLimitMs: 0 });
    const held = gate();
    w.payment.holdCharges = held.promise;
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'COMPENSATING',
      stock: 'RELEASED',
      charge: 'UNKNOWN',
      failure: { code: 'PAYMENT_FAILED', peer: { name: 'payment-service', code: 'DEADLINE_EXCEEDED' } },
    });
    // The void found the charge in progress (UNAVAILABLE): nothing voided, the order left to the recoverer.
    expect(w.payment.callsOf('VoidCharge').length).toBeGreaterThan(0);
    expect(w.payment.voids.size).toBe(0);
    expect(await leaseHandedOver(w, order.id)).toBe(true);

    // Still in progress at the recoverer's pass: the order stays as it is.
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    expect(await stored(w, order.id)).toMatchObject({ step: 'COMPENSATING', charge: 'UNKNOWN' });

    // The first attempt charges; the next void returns that charge, which is refunded.
    w.payment.holdCharges = undefined;
    held.open();
    await until(() => w.payment.charges.size === 1);
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    const done = await stored(w, order.id);
    const charge = w.payment.chargeFor(order.id);
    expect(done).toMatchObject({ status: 'FAILED', step: 'DONE', charge: 'REFUNDED', paymentId: charge?.id });
    expect(w.payment.refundsOf(charge?.id ?? '')).toHaveLength(1);
    expect(w.payment.voids.size).toBe(0);
    expect(w.payment.callsOf('Charge')).toHaveLength(1);
    expect(await w.app.recoverer.recoverOnce()).toBe(0);
  });

  it('a charge answered VOIDED (its key voided by a compensation) fails the order as not charged', async () => {
    const w = await world({ deadlineMs: 200 });
    w.payment.script.failUntilRecovered('Charge', 'UNAVAILABLE');
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({ status: 'PENDING', step: 'CHARGING', charge: 'UNKNOWN' });
    // Another run compensated the order meanwhile and voided its charge's key.
    expect(await w.paymentPort.voidCharge(chargeRequestOf(order), ctx)).toEqual({ kind: 'voided' });

    w.payment.script.recover('Charge');
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    const done = await stored(w, order.id);
    expect(done).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      stock: 'RELEASED',
      charge: 'VOIDED',
      failure: { code: 'PAYMENT_FAILED' },
    });
    expect(w.payment.charges.size).toBe(0);
    expect(w.payment.callsOf('Refund')).toHaveLength(0);
    expect(w.product.stockOf(w.mug)).toBe(10);
  });

  it('when every charge misses its deadline: PENDING, and the recoverer confirms the charge made first, once', async () => {
    const w = await world({ timeoutMs: 300, deadlineMs: 700 });
    w.payment.chargeDelayMs = 1500;
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    // The processor charged on the first attempt, but no answer arrived in time: the order waits, unfailed.
    expect(order).toMatchObject({ status: 'PENDING', step: 'CHARGING', stock: 'RESERVED', charge: 'UNKNOWN' });
    expect(w.payment.charges.size).toBe(1);

    // payment-service answers on time again; the recoverer's replay of the charge finds the first one.
    w.payment.lateCharges = 0;
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    const done = await stored(w, order.id);
    expect(done).toMatchObject({ status: 'CONFIRMED', step: 'DONE', paymentId: w.payment.chargeFor(order.id)?.id });
    expect(w.payment.charges.size).toBe(1);
    expect(w.payment.callsOf('Refund')).toHaveLength(0);
    expect(await outboxRows(w)).toHaveLength(1);
  });

  it('past the pending limit, a charge whose answer came too late fails the order; the void finds the charge and it is refunded', async () => {
    const w = await world({ timeoutMs: 300, deadlineMs: 200, pendingLimitMs: 0 });
    w.payment.chargeDelayMs = 1500;
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    // The charge was made, only its answer was late: compensation's void returns it at once, and it is refunded.
    const charge = w.payment.chargeFor(order.id);
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      stock: 'RELEASED',
      charge: 'REFUNDED',
      paymentId: charge?.id,
      failure: { code: 'PAYMENT_FAILED', peer: { name: 'payment-service', code: 'DEADLINE_EXCEEDED' } },
    });
    expect(w.product.stockOf(w.mug)).toBe(10);
    expect(w.payment.refundsOf(charge?.id ?? '')).toHaveLength(1);
    expect(w.payment.charges.size).toBe(1);
    expect(w.payment.voids.size).toBe(0);
    // Compensation never replays the charge.
    expect(w.payment.callsOf('Charge')).toHaveLength(1);
    expect(w.payment.callsOf('VoidCharge')).toHaveLength(1);
    expect(await w.app.recoverer.recoverOnce()).toBe(0);
    expect(w.product.callsOf('ReleaseStock')).toHaveLength(1);
  });

  it('a charge that misses its deadline a few times is confirmed within the same request, charged once', async () => {
    const w = await world({ timeoutMs: 300, deadlineMs: 3000 });
    w.payment.chargeDelayMs = 1500;
    w.payment.lateCharges = 3;
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({ status: 'CONFIRMED', step: 'DONE', charge: 'SUCCEEDED', stock: 'RESERVED' });
    expect(w.payment.charges.size).toBe(1);
    expect(w.payment.callsOf('Refund')).toHaveLength(0);
    expect(await outboxRows(w)).toHaveLength(1);
  });

  it('after a crash between charge and confirmation, the recoverer completes the order exactly once', async () => {
    let crash = true;
    const w = await world({
      hooks: {
        afterCharge: () => {
          if (crash) throw new Error('process crashed (test)');
        },
      },
    });
    const request = cart(w);
    await expect(w.app.orders.createOrder(w.token, request, ctx)).rejects.toThrow('process crashed (test)');
    const [left] = (await w.db.query<{ id: string }>('SELECT id FROM orders')).rows;
    const id = left?.id ?? '';
    expect(await stored(w, id)).toMatchObject({ status: 'PENDING', step: 'CHARGING', charge: 'UNKNOWN' });
    expect(w.payment.charges.size).toBe(1);
    expect(await outboxRows(w)).toEqual([]);

    // Its lease has not expired: the recoverer leaves it alone (the request might still be running it).
    expect(await w.app.recoverer.recoverOnce()).toBe(0);
    crash = false;
    await expireLease(w, id);
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    const recovered = await stored(w, id);
    expect(recovered).toMatchObject({ status: 'CONFIRMED', step: 'DONE', paymentId: w.payment.chargeFor(id)?.id });
    expect(w.payment.charges.size).toBe(1);
    expect(w.payment.callsOf('Charge')).toHaveLength(2);
    expect(w.product.callsOf('ReserveStock')).toHaveLength(1);
    expect(await outboxRows(w)).toHaveLength(1);

    await expireLease(w, id);
    expect(await w.app.recoverer.recoverOnce()).toBe(0);
    expect(await outboxRows(w)).toHaveLength(1);
    const replay = await w.app.orders.createOrder(w.token, request, ctx);
    expect(replay).toMatchObject({ id, status: 'CONFIRMED' });
    expect(w.payment.callsOf('Charge')).toHaveLength(2);
  });

  it('a replayed request drives on an order a crash left (expired lease), or returns it PENDING while leased', async () => {
    let crash = true;
    const w = await world({
      hooks: {
        afterCharge: () => {
          if (crash) throw new Error('process crashed (test)');
        },
      },
    });
    const request = cart(w);
    await expect(w.app.orders.createOrder(w.token, request, ctx)).rejects.toThrow();
    crash = false;
    const whileLeased = await w.app.orders.createOrder(w.token, request, ctx);
    expect(whileLeased).toMatchObject({ status: 'PENDING', step: 'CHARGING' });
    expect(w.payment.callsOf('Charge')).toHaveLength(1);

    await expireLease(w, whileLeased.id);
    const resumed = await w.app.orders.createOrder(w.token, request, ctx);
    expect(resumed).toMatchObject({ id: whileLeased.id, status: 'CONFIRMED' });
    expect(w.payment.charges.size).toBe(1);
    expect(await outboxRows(w)).toHaveLength(1);
  });

  it('compensates when the confirm transaction fails after the charge: refund, release, FAILED', async () => {
    const w = await world({ wrapDb: failingOutbox });
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      stock: 'RELEASED',
      charge: 'REFUNDED',
      failure: { code: 'CONFIRMATION_FAILED' },
    });
    const charge = w.payment.chargeFor(order.id);
    expect(w.payment.refundsOf(charge?.id ?? '')).toHaveLength(1);
    expect(w.product.stockOf(w.mug)).toBe(10);
    expect(await outboxRows(w)).toEqual([]);
  });

  it('while product-service is away: PENDING with the reservation unknown, then reserved and confirmed by the recoverer', async () => {
    const w = await world({ deadlineMs: 300 });
    w.product.script.failUntilRecovered('ReserveStock', 'UNAVAILABLE');
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({ status: 'PENDING', step: 'RESERVING', stock: 'UNKNOWN' });
    expect(w.payment.calls).toEqual([]);
    w.product.script.recover('ReserveStock');
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    expect(await stored(w, order.id)).toMatchObject({ status: 'CONFIRMED', stock: 'RESERVED', charge: 'SUCCEEDED' });
    expect(w.product.stockOf(w.mug)).toBe(8);
    expect(w.payment.charges.size).toBe(1);
  });

  it('past the pending limit, fails the order when product-service does not answer, releasing whatever it may have reserved', async () => {
    const w = await world({ deadlineMs: 300, pendingLimitMs: 0 });
    w.product.script.failNext('ReserveStock', 'UNAVAILABLE', 1000);
    const order = await w.app.orders.createOrder(w.token, cart(w), ctx);
    expect(order).toMatchObject({
      status: 'FAILED',
      step: 'DONE',
      stock: 'RELEASED',
      failure: { code: 'PRODUCT_SERVICE_UNAVAILABLE' },
    });
    expect(order.failure?.reason).toBe('the stock could not be checked in time; nothing was charged; try again later');
    expect(w.product.callsOf('ReserveStock').length).toBeGreaterThan(1);
    expect(w.product.callsOf('ReleaseStock', order.id)).toHaveLength(1);
    expect(w.payment.calls).toEqual([]);
  });

  it('leaves compensation to the recoverer while product-service cannot release, then releases once', async () => {
    const w = await world({ deadlineMs: 300 });
    w.product.script.failUntilRecovered('ReleaseStock', 'UNAVAILABLE');
    const order = await w.app.orders.createOrder(w.token, cart(w, { paymentToken: 'tok_chargeDeclined' }), ctx);
    expect(order).toMatchObject({ status: 'FAILED', step: 'COMPENSATING', stock: 'RESERVED' });
    expect(w.product.stockOf(w.mug)).toBe(8);
    expect(await leaseHandedOver(w, order.id)).toBe(true);
    w.product.script.recover('ReleaseStock');
    expect(await w.app.recoverer.recoverOnce()).toBe(1);
    expect(await stored(w, order.id)).toMatchObject({ status: 'FAILED', step: 'DONE', stock: 'RELEASED' });
    expect(w.product.stockOf(w.mug)).toBe(10);
  });

  it('refuses a caller whose token carries no usable e-mail before anything is reserved', async () => {
    const w = await world();
    const token = await tokenOf({ ...newUser(), email: 'not-an-email' });
    await expect(w.app.orders.createOrder(token, cart(w), ctx)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'INVALID_CUSTOMER_EMAIL',
    });
    expect(w.product.calls).toEqual([]);
    expect((await w.db.query('SELECT id FROM orders')).rows).toEqual([]);
  });

  it('authenticates before it validates', async () => {
    const w = await world();
    await expect(w.app.orders.createOrder(undefined, { items: [] }, ctx)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(w.app.orders.createOrder(w.token, { ...cart(w), items: [] }, ctx)).rejects.toBeInstanceOf(DomainError);
  });
});
