import {
  FailureField,
  FailureReason,
  type Order,
  type OrderFailure,
  OrderStatus,
} from '../../lib/contracts/gen/shopfront/order/v1/order';
import { DomainError, InvalidArgumentError, NotFoundError } from '../../lib/runtime/errors';
import { ALICE, KETTLE, ORDER_ID, orderFor, PLACED_ORDER, TEAPOT } from './test-support/fake-upstreams';
import {
  type ApiResponse,
  adminToken,
  customerToken,
  looksLikeInternals,
  startTestPlatform,
  type TestPlatform,
} from './test-support/gateway';

let platform: TestPlatform;
let customer: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  customer = await customerToken();
});
afterAll(async () => {
  await platform.stop();
});
beforeEach(() => platform.reset());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const twoTeapots = { items: [{ productId: TEAPOT.id, quantity: 2 }], paymentToken: 'tok_visa' };

function place(body: unknown = twoTeapots, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return platform.api.request('POST', '/api/v1/orders', {
    json: body,
    headers: { ...bearer(customer), 'idempotency-key': 'order-key-1', ...headers },
  });
}

/** order-service answers every CreateOrder with this order (built from the request, then changed). */
function answerWith(overrides: Partial<Order>): void {
  platform.orders.respond('createOrder', async (request) => orderFor(request, overrides));
}

/** order-service's structured failure: `reason`, and whatever else a case sets. */
const failureOf = (reason: FailureReason, more: Partial<OrderFailure> = {}): OrderFailure => ({
  reason,
  field: FailureField.FAILURE_FIELD_UNSPECIFIED,
  itemIndex: undefined,
  peer: '',
  peerCode: '',
  ...more,
});

/** A FAILED order as order-service answers it: the code and wording for people, and the structured failure. */
const failed = (
  failureCode: string,
  failureReason: string,
  failure: OrderFailure | undefined,
  declineCode = '',
): Partial<Order> => ({
  status: OrderStatus.ORDER_STATUS_FAILED,
  failureCode,
  failureReason,
  declineCode,
  paymentId: '',
  failure,
});

/**
 * The REST view of PLACED_ORDER: two teapots at 19.99 EUR, confirmed; the members of other states null, and
 * order-service's microsecond timestamps in milliseconds.
 */
const placedView = {
  id: ORDER_ID,
  userId: ALICE.id,
  status: 'CONFIRMED',
  items: [{ productId: TEAPOT.id, quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } }],
  total: { amount: 3998, currency: 'EUR' },
  failureCode: null,
  failureReason: null,
  declineCode: null,
  paymentId: PLACED_ORDER.paymentId,
  createdAt: '2026-03-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:01.000Z',
};

describe('POST /api/v1/orders', () => {
  it('places the order at order-service with the key, the caller token and request id; 201 with it and its Location', async () => {
    const response = await place(twoTeapots, { 'x-request-id': 'req-order-1' });

    expect(response.status).toBe(201);
    expect(response.body).toEqual(placedView);
    expect(response.headers.get('location')).toBe(`/api/v1/orders/${ORDER_ID}`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(platform.orders.callsOf('createOrder')).toEqual([
      {
        rpc: 'createOrder',
        request: { idempotencyKey: 'order-key-1', items: twoTeapots.items, paymentToken: 'tok_visa' },
        requestIdMetadata: 'req-order-1',
        authorization: `Bearer ${customer}`,
      },
    ]);
  });

  it('answers a repeated request with the same key the same: 201, the same order and Location', async () => {
    const first = await place();
    const again = await place();
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    // Deduplication is order-service's (per user and key): the gateway passes the same key each time.
    expect(
      platform.orders.callsOf('createOrder').map((c) => (c.request as { idempotencyKey: string }).idempotencyKey),
    ).toEqual(['order-key-1', 'order-key-1']);
  });

  it('reads the Idempotency-Key header whatever the case of its name', async () => {
    await platform.api.request('POST', '/api/v1/orders', {
      json: twoTeapots,
      headers: { ...bearer(customer), 'IDEMPOTENCY-KEY': 'Upper:Case_key-2.0' },
    });
    expect(platform.orders.callsOf('createOrder')[0]?.request).toMatchObject({ idempotencyKey: 'Upper:Case_key-2.0' });
  });

  it('passes several items through in their order', async () => {
    const body = {
      items: [
        { productId: KETTLE.id, quantity: 1000 },
        { productId: TEAPOT.id, quantity: 1 },
      ],
      paymentToken: 'tok_mastercard',
    };
    const response = await place(body);
    expect(response.status).toBe(201);
    expect(platform.orders.callsOf('createOrder')[0]?.request).toMatchObject({ items: body.items });
  });

  it('answers 202 with the order, its Location and Retry-After while another replica is still placing it', async () => {
    answerWith({
      status: OrderStatus.ORDER_STATUS_PENDING,
      items: [{ productId: TEAPOT.id, quantity: 2, unitPrice: undefined }],
      total: undefined,
      paymentId: '',
    });
    const response = await place();

    expect(response.status).toBe(202);
    // Not priced yet: the same members as a confirmed order, unitPrice and total null.
    expect(response.body).toEqual({
      ...placedView,
      status: 'PENDING',
      items: [{ productId: TEAPOT.id, quantity: 2, unitPrice: null }],
      total: null,
      paymentId: null,
    });
    expect(response.headers.get('location')).toBe(`/api/v1/orders/${ORDER_ID}`);
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('answers a declined payment with 402 PAYMENT_DECLINED, the decline code and the order id', async () => {
    answerWith(
      failed(
        'PAYMENT_DECLINED',
        'the payment was declined',
        failureOf(FailureReason.FAILURE_REASON_PAYMENT_DECLINED),
        'insufficient_funds',
      ),
    );
    const response = await place({ ...twoTeapots, paymentToken: 'tok_chargeDeclinedInsufficientFunds' });

    expect(response.status).toBe(402);
    expect(response.body).toEqual({
      error: {
        code: 'PAYMENT_DECLINED',
        message: 'the payment was declined',
        orderId: ORDER_ID,
        declineCode: 'insufficient_funds',
      },
    });
    expect(response.headers.has('location')).toBe(false);
  });

  it('answers out of stock with 409 OUT_OF_STOCK naming the item and the order', async () => {
    const items = [
      { productId: TEAPOT.id, quantity: 1 },
      { productId: KETTLE.id, quantity: 5 },
    ];
    answerWith(
      failed(
        'OUT_OF_STOCK',
        `not enough stock for items[1].quantity (product ${KETTLE.id})`,
        failureOf(FailureReason.FAILURE_REASON_OUT_OF_STOCK, {
          field: FailureField.FAILURE_FIELD_ITEM_QUANTITY,
          itemIndex: 1,
        }),
      ),
    );
    const response = await place({ items, paymentToken: 'tok_visa' });

    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      error: {
        code: 'OUT_OF_STOCK',
        message: `not enough stock for items[1].quantity (product ${KETTLE.id})`,
        field: 'items[1].quantity',
        orderId: ORDER_ID,
      },
    });
  });

  it('names the item from the structured failure, never from the wording', async () => {
    const items = [
      { productId: TEAPOT.id, quantity: 1 },
      { productId: KETTLE.id, quantity: 5 },
    ];
    // The wording names another item (or none): only `failure` decides the field.
    for (const [reason, expected] of [
      ['not enough stock', 'items[1].quantity'],
      ['not enough stock for items[0].quantity', 'items[1].quantity'],
    ] as const) {
      answerWith(
        failed(
          'OUT_OF_STOCK',
          reason,
          failureOf(FailureReason.FAILURE_REASON_OUT_OF_STOCK, {
            field: FailureField.FAILURE_FIELD_ITEM_QUANTITY,
            itemIndex: 1,
          }),
        ),
      );
      const response = await place({ items, paymentToken: 'tok_visa' });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        error: { code: 'OUT_OF_STOCK', message: reason, field: expected, orderId: ORDER_ID },
      });
    }
  });

  it('takes the code from the structured failure, not from failureCode', async () => {
    answerWith(
      failed(
        'SOMETHING_ELSE',
        'no such product',
        failureOf(FailureReason.FAILURE_REASON_PRODUCT_NOT_FOUND, {
          field: FailureField.FAILURE_FIELD_ITEM_PRODUCT_ID,
          itemIndex: 0,
        }),
      ),
    );
    const response = await place();
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: { code: 'PRODUCT_NOT_FOUND', field: 'items[0].productId' } });
  });

  it.each<[string, Partial<OrderFailure>]>([
    ['names no field', {}],
    ['names an item field without the item', { field: FailureField.FAILURE_FIELD_ITEM_QUANTITY }],
    ['names an item the order does not have', { field: FailureField.FAILURE_FIELD_ITEM_QUANTITY, itemIndex: 7 }],
    ['names a negative item position', { field: FailureField.FAILURE_FIELD_ITEM_QUANTITY, itemIndex: -1 }],
    ['names a field this gateway does not know', { field: 42 as FailureField, itemIndex: 0 }],
  ])('leaves field out when the failure %s', async (_, more) => {
    const reason = 'not enough stock for items[0].quantity';
    answerWith(failed('OUT_OF_STOCK', reason, failureOf(FailureReason.FAILURE_REASON_OUT_OF_STOCK, more)));
    const response = await place();
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: { code: 'OUT_OF_STOCK', message: reason, orderId: ORDER_ID } });
  });

  it('answers an unknown product with 422 PRODUCT_NOT_FOUND naming the item', async () => {
    answerWith(
      failed(
        'PRODUCT_NOT_FOUND',
        `items[0].productId: product ${TEAPOT.id} does not exist`,
        failureOf(FailureReason.FAILURE_REASON_PRODUCT_NOT_FOUND, {
          field: FailureField.FAILURE_FIELD_ITEM_PRODUCT_ID,
          itemIndex: 0,
        }),
      ),
    );
    const response = await place();
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      error: {
        code: 'PRODUCT_NOT_FOUND',
        message: `items[0].productId: product ${TEAPOT.id} does not exist`,
        field: 'items[0].productId',
        orderId: ORDER_ID,
      },
    });
  });

  /** Every failure reason order-service sets, and what the client gets (the README's table). */
  it.each<[string, FailureReason | undefined, number, string]>([
    ['PAYMENT_DECLINED', FailureReason.FAILURE_REASON_PAYMENT_DECLINED, 402, 'PAYMENT_DECLINED'],
    ['OUT_OF_STOCK', FailureReason.FAILURE_REASON_OUT_OF_STOCK, 409, 'OUT_OF_STOCK'],
    ['PRODUCT_NOT_FOUND', FailureReason.FAILURE_REASON_PRODUCT_NOT_FOUND, 422, 'PRODUCT_NOT_FOUND'],
    ['MIXED_CURRENCY', FailureReason.FAILURE_REASON_MIXED_CURRENCY, 422, 'MIXED_CURRENCY'],
    ['AMOUNT_TOO_LARGE', FailureReason.FAILURE_REASON_AMOUNT_TOO_LARGE, 422, 'AMOUNT_TOO_LARGE'],
    ['PAYMENT_FAILED', FailureReason.FAILURE_REASON_PAYMENT_FAILED, 502, 'PAYMENT_FAILED'],
    ['STOCK_NOT_RESERVED', FailureReason.FAILURE_REASON_STOCK_NOT_RESERVED, 502, 'STOCK_NOT_RESERVED'],
    [
      'PRODUCT_SERVICE_UNAVAILABLE',
      FailureReason.FAILURE_REASON_PRODUCT_SERVICE_UNAVAILABLE,
      503,
      'PRODUCT_SERVICE_UNAVAILABLE',
    ],
    ['CONFIRMATION_FAILED', FailureReason.FAILURE_REASON_CONFIRMATION_FAILED, 503, 'CONFIRMATION_FAILED'],
    ['A_CODE_FROM_THE_FUTURE', 99 as FailureReason, 502, 'ORDER_FAILED'],
    ['', FailureReason.FAILURE_REASON_UNSPECIFIED, 502, 'ORDER_FAILED'],
    ['OUT_OF_STOCK', undefined, 502, 'ORDER_FAILED'],
  ])(
    'maps an order FAILED with %p (reason %p) to %i %s, with the order id',
    async (failureCode, reasonEnum, status, code) => {
      const reason = 'payment-service refused (INVALID_ARGUMENT) at 10.1.2.3:50054';
      answerWith(failed(failureCode, reason, reasonEnum === undefined ? undefined : failureOf(reasonEnum)));
      const before = platform.logs.length;
      const response = await place();

      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ error: { code, orderId: ORDER_ID } });
      const message = (response.body as { error: { message: string } }).error.message;
      if (status >= 500) {
        // A 5xx never passes a peer's wording on; the order (GET) keeps the reason.
        expect(message).not.toContain('refused');
        expect(looksLikeInternals(response.text)).toBe(false);
        expect(platform.logs.slice(before)).toContainEqual(
          expect.objectContaining({ msg: 'order failed behind the gateway', code, orderId: ORDER_ID }),
        );
      } else {
        expect(message).toBe(reason);
      }
    },
  );

  it('answers a payment token payment-service refused as invalid with 422 on paymentToken, not 502', async () => {
    // What order-service records when payment-service answers the charge INVALID_ARGUMENT on paymentToken.
    answerWith(
      failed(
        'PAYMENT_FAILED',
        'payment-service refused (INVALID_ARGUMENT)',
        failureOf(FailureReason.FAILURE_REASON_PAYMENT_FAILED, {
          field: FailureField.FAILURE_FIELD_PAYMENT_TOKEN,
          peer: 'payment-service',
          peerCode: 'INVALID_ARGUMENT',
        }),
      ),
    );
    const before = platform.logs.length;
    const response = await place({ ...twoTeapots, paymentToken: "'OR'1'='1" });

    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      error: {
        code: 'PAYMENT_FAILED',
        message: 'the payment token was refused; pay with another one, under a new Idempotency-Key',
        field: 'paymentToken',
        orderId: ORDER_ID,
      },
    });
    expect(platform.logs.slice(before).filter((line) => line.msg === 'order failed behind the gateway')).toEqual([]);
  });

  it.each<[string, string, string]>([
    ['did not answer', 'DEADLINE_EXCEEDED', 'payment-service did not answer in time (DEADLINE_EXCEEDED)'],
    ['refused it otherwise', 'FAILED_PRECONDITION', 'payment-service refused (FAILED_PRECONDITION)'],
    // The old wording of a refused token, without the structured field: the wording decides nothing.
    ['refused it as invalid, naming no token', 'INVALID_ARGUMENT', 'payment-service refused (INVALID_ARGUMENT)'],
  ])('keeps any other PAYMENT_FAILED (payment-service %s) a 502 without a field', async (_, peerCode, reason) => {
    answerWith(
      failed(
        'PAYMENT_FAILED',
        reason,
        failureOf(FailureReason.FAILURE_REASON_PAYMENT_FAILED, { peer: 'payment-service', peerCode }),
      ),
    );
    const response = await place();
    expect(response.status).toBe(502);
    expect(response.body).toEqual({
      error: {
        code: 'PAYMENT_FAILED',
        message: 'the payment could not be processed; any charge is refunded',
        orderId: ORDER_ID,
      },
    });
  });

  it('names no field on a 5xx, even when the failure names an item', async () => {
    answerWith(
      failed(
        'STOCK_NOT_RESERVED',
        'product-service rejected items[0].quantity for a reason this service does not know',
        failureOf(FailureReason.FAILURE_REASON_STOCK_NOT_RESERVED, {
          field: FailureField.FAILURE_FIELD_ITEM_QUANTITY,
          itemIndex: 0,
        }),
      ),
    );
    const response = await place();
    expect(response.status).toBe(502);
    expect(response.body).toEqual({
      error: { code: 'STOCK_NOT_RESERVED', message: 'the stock could not be reserved', orderId: ORDER_ID },
    });
  });

  it('answers a key reused for another request with 422 IDEMPOTENCY_KEY_REUSED on the header', async () => {
    platform.orders.respond('createOrder', async () => {
      throw new DomainError(
        'INVALID_ARGUMENT',
        'this idempotency key was already used for a different order request',
        'idempotencyKey',
        'IDEMPOTENCY_KEY_REUSED',
      );
    });
    const response = await place({ ...twoTeapots, items: [{ productId: TEAPOT.id, quantity: 3 }] });

    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      error: {
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: expect.stringContaining('Idempotency-Key was already used for a different order request'),
        field: 'Idempotency-Key',
      },
    });
  });

  it("passes order-service's own INVALID_ARGUMENT through with its field", async () => {
    platform.orders.respond('createOrder', async () => {
      throw new InvalidArgumentError('items[1].productId', "'items[1].productId' repeats a product of an earlier item");
    });
    const response = await place();
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: "'items[1].productId' repeats a product of an earlier item",
        field: 'items[1].productId',
      },
    });
  });

  it('is a 500 when order-service answers an order without a status', async () => {
    answerWith({ status: OrderStatus.ORDER_STATUS_UNSPECIFIED });
    const response = await place();
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('never logs the payment token or the access token', async () => {
    const before = platform.logs.length;
    await place({ ...twoTeapots, paymentToken: 'tok_secret_looking_token' });
    const logged = JSON.stringify(platform.logs.slice(before));
    expect(logged).toContain('/api/v1/orders');
    expect(logged).not.toContain('tok_secret_looking_token');
    expect(logged).not.toContain(customer);
  });
});

describe('GET /api/v1/orders/:id', () => {
  it('answers the order, forwarding the token (order-service decides who may read it)', async () => {
    const response = await platform.api.request('GET', '/api/v1/orders/{id}', {
      params: { id: ORDER_ID },
      headers: bearer(customer),
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(placedView);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [call] = platform.orders.callsOf('getOrder');
    expect(call?.request).toEqual({ id: ORDER_ID });
    expect(call?.authorization).toBe(`Bearer ${customer}`);
  });

  it('shows a failed order with its failure code, reason and decline code', async () => {
    platform.orders.respond('getOrder', async (request) => ({
      ...PLACED_ORDER,
      ...failed(
        'PAYMENT_DECLINED',
        'the payment was declined',
        failureOf(FailureReason.FAILURE_REASON_PAYMENT_DECLINED),
        'card_declined',
      ),
      id: request.id,
    }));
    const response = await platform.api.request('GET', '/api/v1/orders/{id}', {
      params: { id: ORDER_ID },
      headers: bearer(customer),
    });
    expect(response.body).toEqual({
      ...placedView,
      status: 'FAILED',
      paymentId: null,
      failureCode: 'PAYMENT_DECLINED',
      failureReason: 'the payment was declined',
      declineCode: 'card_declined',
    });
  });

  it("answers 404 for someone else's order, as order-service does (its existence is not revealed)", async () => {
    platform.orders.respond('getOrder', async () => {
      throw new NotFoundError('order', 'id');
    });
    const response = await platform.api.request('GET', '/api/v1/orders/{id}', {
      params: { id: ORDER_ID },
      headers: bearer(customer),
    });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'order not found', field: 'id' } });
  });

  it("lets an admin ask for anyone's order with the admin's token", async () => {
    const admin = await adminToken();
    const response = await platform.api.request('GET', '/api/v1/orders/{id}', {
      params: { id: ORDER_ID.toUpperCase() },
      headers: bearer(admin),
    });
    expect(response.status).toBe(200);
    expect(platform.orders.callsOf('getOrder')[0]?.authorization).toBe(`Bearer ${admin}`);
  });
});

describe('GET /api/v1/orders', () => {
  it("answers the caller's page with nextCursor null on the last page", async () => {
    const response = await platform.api.request('GET', '/api/v1/orders', { headers: bearer(customer) });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [placedView], nextCursor: null });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [call] = platform.orders.callsOf('listOrders');
    expect(call?.request).toEqual({ limit: 20, cursor: '' });
    expect(call?.authorization).toBe(`Bearer ${customer}`);
  });

  it('passes limit and cursor through and answers the next cursor', async () => {
    platform.orders.respond('listOrders', async () => ({ items: [PLACED_ORDER], nextCursor: 'next-page' }));
    const response = await platform.api.request('GET', '/api/v1/orders', {
      query: 'limit=1&cursor=this-page',
      headers: bearer(customer),
    });
    expect(response.body).toMatchObject({ nextCursor: 'next-page' });
    expect(platform.orders.callsOf('listOrders')[0]?.request).toEqual({ limit: 1, cursor: 'this-page' });
  });

  it('answers no orders as an empty page', async () => {
    platform.orders.respond('listOrders', async () => ({ items: [], nextCursor: '' }));
    const response = await platform.api.request('GET', '/api/v1/orders', { headers: bearer(customer) });
    expect(response.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 400 on cursor for a cursor order-service did not issue', async () => {
    platform.orders.respond('listOrders', async () => {
      throw new DomainError('INVALID_ARGUMENT', "'cursor' is not a cursor this service issued", 'cursor');
    });
    const response = await platform.api.request('GET', '/api/v1/orders', {
      query: 'cursor=forged',
      headers: bearer(customer),
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: "'cursor' is not a cursor this service issued", field: 'cursor' },
    });
  });
});
