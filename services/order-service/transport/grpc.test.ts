import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import {
  type CreateOrderRequest,
  FailureField,
  FailureReason,
  OrderStatus,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import { parseOrderEvent } from '../../../lib/events';
import { LocalEventLog } from '../../../lib/runtime/events';
import type { StartedService } from '../../../lib/runtime/host';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { extractTraceContext, loadTracingConfig, Tracing } from '../../../lib/runtime/tracing';
import { FakePaymentService, FakeProductService } from '../test-support/fake-peers';
import { failure, OrderApi, silentLogger, startOnDatabase, until } from '../test-support/service';
import { expiredToken, newUser, TEST_JWT_SECRET, type TestUser, tokenOf, unsignedToken } from '../test-support/tokens';

describe('order-service gRPC API (real sockets, generated client, fake peers, a fresh PostgreSQL database)', () => {
  let database: TestDatabase;
  let product: FakeProductService;
  let payment: FakePaymentService;
  let bus: LocalEventLog;
  let service: StartedService;
  let api: OrderApi;
  let alice: TestUser;
  let aliceToken: string;
  let mug: string;

  beforeAll(async () => {
    database = await freshDatabase();
    product = await new FakeProductService().start();
    payment = await new FakePaymentService().start();
    bus = new LocalEventLog({ partitions: { orders: 3 }, logger: silentLogger() });
    service = await startOnDatabase(database, { product, payment }, { bus });
    api = new OrderApi(service.ports.grpc);
    alice = newUser();
    aliceToken = await tokenOf(alice);
    mug = product.addProduct({ amount: 1250, currency: 'EUR' }, 1000);
  });

  afterAll(async () => {
    api.close();
    await service.stop();
    await Promise.all([product.close(), payment.close(), bus.close()]);
    await database.drop();
  });

  const request = (overrides: Partial<CreateOrderRequest> = {}): CreateOrderRequest => ({
    idempotencyKey: `key-${randomUUID()}`,
    items: [{ productId: mug, quantity: 2 }],
    paymentToken: 'tok_visa',
    ...overrides,
  });

  describe('CreateOrder', () => {
    it('confirms an order and publishes its order.created event through the running relay', async () => {
      const order = await api.create(request(), aliceToken);
      expect(order).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: alice.id,
        status: OrderStatus.ORDER_STATUS_CONFIRMED,
        items: [{ productId: mug, quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } }],
        total: { amount: 2500, currency: 'EUR' },
        failureCode: '',
        failureReason: '',
        declineCode: '',
        paymentId: payment.chargeFor(order.id)?.id,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
        updatedAt: expect.any(String),
        failure: undefined,
      });
      await until(() => bus.records('orders').some((r) => r.key === order.id));
      const record = bus.records('orders').find((r) => r.key === order.id);
      const parsed = parseOrderEvent(record?.value);
      expect(parsed.ok && parsed.event.data).toEqual({
        orderId: order.id,
        userId: alice.id,
        userEmail: alice.email,
        items: [{ productId: mug, quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } }],
        total: { amount: 2500, currency: 'EUR' },
        createdAt: order.createdAt,
      });
    });

    describe("the order's trace, from the call to the published event", () => {
      const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
      const CALLER = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
      const traceOf = (traceparent: unknown) => /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(traceparent));

      const recordingTo = (exporter: InMemorySpanExporter) =>
        new Tracing({ service: 'order-service', config: loadTracingConfig({}), exporter });

      const publishedFor = async (orderId: string) => {
        await until(() => bus.records('orders').some((r) => r.key === orderId));
        const record = bus.records('orders').find((r) => r.key === orderId);
        return { record, event: JSON.parse(record?.value ?? '{}') as Record<string, unknown> };
      };

      it("stores the call's trace with the event and publishes it in the event and in the record's headers", async () => {
        const order = await context.with(extractTraceContext({ traceparent: CALLER }), () =>
          api.create(request(), aliceToken),
        );
        const { record, event } = await publishedFor(order.id);
        // The event keeps the context it was created in (order-service's span of CreateOrder), ...
        const created = traceOf(event.traceparent);
        expect(created?.[1]).toBe(TRACE_ID);
        expect(event.traceparent).not.toBe(CALLER);
        // ... the record carries its publication's (the relay's producer span), in the same trace.
        const published = traceOf(record?.headers.traceparent);
        expect(published?.[1]).toBe(TRACE_ID);
        expect(published?.[2]).not.toBe(created?.[2]);
        expect(parseOrderEvent(record?.value)).toMatchObject({ ok: true, event: { id: event.id } });
      });

      it('names the order on the span of the call that created it, also when it failed', async () => {
        const exporter = new InMemorySpanExporter();
        const traced = await startOnDatabase(database, { product, payment }, { bus, tracing: recordingTo(exporter) });
        const client = new OrderApi(traced.ports.grpc);
        try {
          const order = await client.create(request({ paymentToken: 'tok_chargeDeclined' }), aliceToken);
          expect(order.status).toBe(OrderStatus.ORDER_STATUS_FAILED);
          await until(() => exporter.getFinishedSpans().some((s) => s.attributes['shopfront.order.id'] === order.id));
          const span = exporter.getFinishedSpans().find((s) => s.attributes['shopfront.order.id'] === order.id);
          expect(span?.name).toBe('shopfront.order.v1.OrderService/CreateOrder');
        } finally {
          client.close();
          await traced.stop();
        }
      });

      it('starts a trace of its own for a call without one, and the event carries it', async () => {
        const order = await api.create(request(), aliceToken);
        const { record, event } = await publishedFor(order.id);
        const created = traceOf(event.traceparent);
        expect(created?.[1]).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
        expect(created?.[1]).not.toBe(TRACE_ID);
        expect(traceOf(record?.headers.traceparent)?.[1]).toBe(created?.[1]);
      });
    });

    it('answers a declined payment with a FAILED order carrying the failure and decline codes', async () => {
      const order = await api.create(request({ paymentToken: 'tok_chargeDeclined' }), aliceToken);
      expect(order).toMatchObject({
        status: OrderStatus.ORDER_STATUS_FAILED,
        failureCode: 'PAYMENT_DECLINED',
        declineCode: 'card_declined',
        paymentId: '',
        failure: {
          reason: FailureReason.FAILURE_REASON_PAYMENT_DECLINED,
          field: FailureField.FAILURE_FIELD_UNSPECIFIED,
          peer: '',
          peerCode: '',
        },
      });
      expect(order.failure?.itemIndex).toBeUndefined();
      expect(order.failureReason).not.toBe('');
    });

    it('answers missing stock with a FAILED order naming the item (OUT_OF_STOCK) and never charges', async () => {
      const scarce = product.addProduct({ amount: 100, currency: 'EUR' }, 1);
      const charges = payment.calls.length;
      const items = [
        { productId: mug, quantity: 1 },
        { productId: scarce, quantity: 2 },
      ];
      const order = await api.create(request({ items }), aliceToken);
      expect(order).toMatchObject({ status: OrderStatus.ORDER_STATUS_FAILED, failureCode: 'OUT_OF_STOCK' });
      expect(order.failure).toEqual({
        reason: FailureReason.FAILURE_REASON_OUT_OF_STOCK,
        field: FailureField.FAILURE_FIELD_ITEM_QUANTITY,
        itemIndex: 1,
        peer: '',
        peerCode: '',
      });
      expect(payment.calls.length).toBe(charges);
      // GetOrder answers the same structured failure as CreateOrder did.
      expect((await api.get(order.id, aliceToken)).failure).toEqual(order.failure);
    });

    it('answers a payment token payment-service refused with a FAILED order naming the token and the peer', async () => {
      const order = await api.create(request({ paymentToken: 'tok_unknown' }), aliceToken);
      expect(order).toMatchObject({ status: OrderStatus.ORDER_STATUS_FAILED, failureCode: 'PAYMENT_FAILED' });
      expect(order.failure).toEqual({
        reason: FailureReason.FAILURE_REASON_PAYMENT_FAILED,
        field: FailureField.FAILURE_FIELD_PAYMENT_TOKEN,
        itemIndex: undefined,
        peer: 'payment-service',
        peerCode: 'INVALID_ARGUMENT',
      });
    });

    it('creates one order for ten concurrent calls with one key, and answers each with it', async () => {
      const same = request();
      const orders = await Promise.all(Array.from({ length: 10 }, () => api.create(same, aliceToken)));
      const ids = new Set(orders.map((o) => o.id));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      expect(product.callsOf('ReserveStock', id)).toHaveLength(1);
      expect(payment.callsOf('Charge').filter((c) => c.key === `order:${id}`)).toHaveLength(1);
      expect((await api.get(id ?? '', aliceToken)).status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    });

    it('refuses the same key with another cart: INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED on idempotencyKey', async () => {
      const first = request();
      await api.create(first, aliceToken);
      expect(await failure(api.create({ ...first, items: [{ productId: mug, quantity: 3 }] }, aliceToken))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'idempotencyKey',
        reason: 'IDEMPOTENCY_KEY_REUSED',
      });
    });

    it.each<[string, Partial<CreateOrderRequest>, string]>([
      ['no items', { items: [] }, 'items'],
      ['a product id that is not a UUID', { items: [{ productId: 'mug', quantity: 1 }] }, 'items[0].productId'],
      ['quantity 0', { items: [{ productId: randomUUID(), quantity: 0 }] }, 'items[0].quantity'],
      ['quantity 1001', { items: [{ productId: randomUUID(), quantity: 1001 }] }, 'items[0].quantity'],
      ['no payment token', { paymentToken: '' }, 'paymentToken'],
      ['no idempotency key', { idempotencyKey: '' }, 'idempotencyKey'],
      ['an idempotency key with a space', { idempotencyKey: 'a b' }, 'idempotencyKey'],
    ])('answers INVALID_ARGUMENT naming the field for %s', async (_case, change, field) => {
      expect(await failure(api.create(request(change), aliceToken))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field,
      });
    });

    it('answers INVALID_ARGUMENT for a product named twice', async () => {
      const items = [
        { productId: mug, quantity: 1 },
        { productId: mug, quantity: 2 },
      ];
      expect(await failure(api.create(request({ items }), aliceToken))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'items[1].productId',
      });
    });
  });

  describe('authentication', () => {
    const cases: [string, () => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      ['a garbage token', async () => 'not-a-jwt'],
      ['an expired token', () => expiredToken(alice)],
      ['an unsigned (alg none) token', async () => unsignedToken(alice)],
      ['a token signed with another key', () => tokenOf(alice, `${TEST_JWT_SECRET}-but-another-one`)],
    ];

    it.each(cases)('refuses CreateOrder, GetOrder and ListOrders with %s (UNAUTHENTICATED)', async (_case, token) => {
      const bearer = await token();
      const before = product.calls.length;
      expect(await failure(api.create(request(), bearer))).toEqual({ code: grpc.status.UNAUTHENTICATED });
      expect(await failure(api.get(randomUUID(), bearer))).toEqual({ code: grpc.status.UNAUTHENTICATED });
      expect(await failure(api.list(10, '', bearer))).toEqual({ code: grpc.status.UNAUTHENTICATED });
      expect(product.calls.length).toBe(before);
    });
  });

  describe('GetOrder', () => {
    it('shows an order to its owner and to an admin, and to nobody else (NOT_FOUND)', async () => {
      const order = await api.create(request(), aliceToken);
      expect(await api.get(order.id, aliceToken)).toEqual(order);
      expect(await api.get(order.id.toUpperCase(), aliceToken)).toEqual(order);
      expect(await api.get(order.id, await tokenOf(newUser('admin')))).toEqual(order);
      expect(await failure(api.get(order.id, await tokenOf(newUser())))).toEqual({
        code: grpc.status.NOT_FOUND,
        field: 'id',
      });
    });

    it('answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one', async () => {
      expect(await failure(api.get(randomUUID(), aliceToken))).toEqual({ code: grpc.status.NOT_FOUND, field: 'id' });
      for (const id of ['', 'order-1', `${randomUUID()}x`]) {
        expect(await failure(api.get(id, aliceToken))).toEqual({ code: grpc.status.INVALID_ARGUMENT, field: 'id' });
      }
    });
  });

  describe('ListOrders', () => {
    it("lists the caller's orders newest first, page by page, never another's", async () => {
      const bob = newUser();
      const bobToken = await tokenOf(bob);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        created.push((await api.create(request({ paymentToken: 'tok_chargeDeclined' }), bobToken)).id);
        await api.create(request(), aliceToken);
      }
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor = '';
      do {
        const page = await api.list(2, cursor, bobToken);
        sizes.push(page.items.length);
        seen.push(...page.items.map((o) => o.id));
        for (const o of page.items) expect(o.userId).toBe(bob.id);
        cursor = page.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual([...created].reverse());
    });

    it('uses 20 by default, caps the page at 100, and refuses a negative limit or a forged cursor', async () => {
      const carol = newUser();
      const carolToken = await tokenOf(carol);
      for (let i = 0; i < 21; i++) await api.create(request({ paymentToken: 'tok_chargeDeclined' }), carolToken);
      const first = await api.list(0, '', carolToken);
      expect(first.items).toHaveLength(20);
      expect(first.nextCursor).not.toBe('');
      expect((await api.list(1000, '', carolToken)).items).toHaveLength(21);
      expect(await failure(api.list(-1, '', carolToken))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'limit',
      });
      expect(await failure(api.list(10, 'forged', carolToken))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'cursor',
      });
      expect(await api.list(10, '', await tokenOf(newUser()))).toEqual({ items: [], nextCursor: '' });
    });
  });

  describe('ListAllOrders', () => {
    it("lists every customer's orders to an admin, newest first, page by page, each in its state", async () => {
      const dave = newUser();
      const daveToken = await tokenOf(dave);
      const declined = await api.create(request({ paymentToken: 'tok_chargeDeclined' }), daveToken);
      const confirmed = await api.create(request(), aliceToken);
      const adminToken = await tokenOf(newUser('admin'));
      const first = await api.listAll(1, '', adminToken);
      expect(first.items.map((o) => o.id)).toEqual([confirmed.id]);
      expect(first.items[0]?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
      const second = await api.listAll(1, first.nextCursor, adminToken);
      expect(second.items.map((o) => [o.id, o.userId, o.status])).toEqual([
        [declined.id, dave.id, OrderStatus.ORDER_STATUS_FAILED],
      ]);
      const everything = await api.listAll(100, '', adminToken);
      const ids = everything.items.map((o) => o.id);
      expect(ids.indexOf(confirmed.id)).toBeLessThan(ids.indexOf(declined.id));
      const created = everything.items.map((o) => o.createdAt);
      expect(created).toEqual([...created].sort().reverse());
    });

    it('refuses a customer (PERMISSION_DENIED), a missing token and a forged cursor', async () => {
      expect(await failure(api.listAll(10, '', aliceToken))).toEqual({ code: grpc.status.PERMISSION_DENIED });
      expect(await failure(api.listAll(10, ''))).toEqual({ code: grpc.status.UNAUTHENTICATED });
      expect(await failure(api.listAll(10, 'forged', await tokenOf(newUser('admin'))))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'cursor',
      });
    });
  });
});
