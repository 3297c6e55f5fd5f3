import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { MAX_UNIT_PRICE, ORDER_LINE_LIMITS } from '../../lib/contracts/order-lines';
import { TOPIC_ORDERS } from '../../lib/platform';
import type { DeliveredMessage, Subscription } from '../../lib/runtime';
import { findTraceIds, parseTraceLines } from '../../scripts/trace-view';
import type { RunningPlatform } from './platform';
import { ADMIN } from './platform';

interface Json {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

interface Money {
  amount: number;
  currency: string;
}

interface OrderJson {
  id: string;
  userId: string;
  status: string;
  items: { productId: string; quantity: number; unitPrice: Money | null }[];
  total: Money | null;
  failureCode: string | null;
  failureReason: string | null;
  declineCode: string | null;
  paymentId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The one form of every timestamp the API answers: RFC 3339, UTC, milliseconds. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The order.created event as the observer reads it off the `orders` topic. */
interface OrderCreated {
  id: string;
  time: string;
  data: { orderId: string; userId: string; total: Money };
}

/** Asks until `probe` answers something other than undefined; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function jsonLines(file: string): Promise<Record<string, unknown>[]> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** What a person does with the platform, through the gateway over real sockets. */
export function platformContract(platform: () => RunningPlatform): void {
  const call = async (
    method: string,
    route: string,
    body?: unknown,
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<Json> => {
    const res = await fetch(`${platform().url}${route}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  const email = `grace.${Date.now()}@example.com`;
  const password = 'correct horse battery staple';

  it('registers, logs in, reads the own profile, and is refused another', async () => {
    const registered = await call('POST', '/api/v1/auth/register', { email, password, name: 'Grace Hopper' });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), email, name: 'Grace Hopper' });

    const again = await call('POST', '/api/v1/auth/register', { email, password, name: 'Grace' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'ALREADY_EXISTS', field: 'email' } });

    const wrong = await call('POST', '/api/v1/auth/login', { email, password: 'not the password at all' });
    expect(wrong.status).toBe(401);

    const login = await call('POST', '/api/v1/auth/login', { email, password });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number), user: { email } });
    const token = String(login.body.accessToken);

    const me = await call('GET', `/api/v1/users/${String(registered.body.id)}`, undefined, token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: registered.body.id, email });
    expect(me.body.createdAt).toMatch(TIMESTAMP);

    const adminLogin = await call('POST', '/api/v1/auth/login', ADMIN);
    const adminId = String((adminLogin.body.user as { id: string }).id);
    expect((await call('GET', `/api/v1/users/${adminId}`, undefined, token)).status).toBe(403);
    expect((await call('GET', `/api/v1/users/${String(registered.body.id)}`)).status).toBe(401);
  });

  it('lists the seeded catalogue page by page and reads one product', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await call(
        'GET',
        `/api/v1/products?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      const items = page.body.items as { id: string; price: { amount: number; currency: string } }[];
      for (const item of items) {
        expect(Number.isInteger(item.price.amount)).toBe(true);
        seen.push(item.id);
      }
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(15);
    expect(new Set(seen).size).toBe(seen.length);
    const one = await call('GET', `/api/v1/products/${seen[0]}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(seen[0]);
  });

  it('lets only an admin create a product', async () => {
    const product = {
      name: 'Pour-over kettle',
      description: 'Gooseneck, 1 l',
      price: { amount: 4990, currency: 'EUR' },
      stock: 12,
    };
    const customer = await call('POST', '/api/v1/auth/login', { email, password });
    expect((await call('POST', '/api/v1/products', product, String(customer.body.accessToken))).status).toBe(403);
    const admin = await call('POST', '/api/v1/auth/login', ADMIN);
    const created = await call('POST', '/api/v1/products', product, String(admin.body.accessToken));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...product, id: expect.any(String) });
    expect(created.headers.get('location')).toBe(`/api/v1/products/${String(created.body.id)}`);
    const read = await call('GET', `/api/v1/products/${String(created.body.id)}`);
    expect(read.body).toMatchObject(product);
  });

  it('answers hostile input with 4xx in the documented error shape', async () => {
    for (const [method, route, body] of [
      ['POST', '/api/v1/auth/login', { email: 'x@example.com', password: 'y', __proto__: { admin: true } }],
      ['POST', '/api/v1/auth/register', { email: 42, password: [], name: null }],
      ['GET', '/api/v1/products/not-a-uuid', undefined],
      ['GET', '/api/v1/products?limit=-3', undefined],
      ['GET', '/api/v1/products?cursor=%00%00', undefined],
      ['GET', '/api/v1/users/00000000-0000-4000-8000-000000000000', undefined],
    ] as const) {
      const res = await call(method, route, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  describe('the order pipeline', () => {
    const suffix = randomUUID().slice(0, 8);
    let ada: { id: string; token: string };
    let bob: { id: string; token: string };
    let teapot: { id: string; price: Money };
    let cup: { id: string; price: Money };
    let confirmed: OrderJson;
    const observed = new Map<string, DeliveredMessage>();
    let observer: Subscription;

    const signUp = async (name: string) => {
      const email = `${name.toLowerCase()}.${suffix}@example.com`;
      const registered = await call('POST', '/api/v1/auth/register', { email, password, name });
      expect(registered.status).toBe(201);
      const login = await call('POST', '/api/v1/auth/login', { email, password });
      return { id: String(registered.body.id), token: String(login.body.accessToken) };
    };
    const stockOf = async (id: string) => Number((await call('GET', `/api/v1/products/${id}`)).body.stock);
    const order = (
      token: string,
      key: string,
      items: { productId: string; quantity: number }[],
      paymentToken: string,
    ) => call('POST', '/api/v1/orders', { items, paymentToken }, token, { 'idempotency-key': key });

    /** A product of the listing, walking its pages. */
    const listed = async (id: string) => {
      let cursor: string | null = null;
      do {
        const page: Json = await call(
          'GET',
          `/api/v1/products?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        const found = (page.body.items as { id: string; price: Money }[]).find((p) => p.id === id);
        if (found) return found;
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      throw new Error(`product ${id} is not in the listing`);
    };

    beforeAll(async () => {
      // A third consumer of `orders` (its own group): sees what order-service published, for the checks below.
      observer = await platform().bus.subscribe({
        topic: TOPIC_ORDERS,
        groupId: `e2e-observer-${suffix}`,
        handle: async (message) => {
          observed.set(`${message.partition}/${message.offset}`, message);
        },
      });
      [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
      const admin = String((await call('POST', '/api/v1/auth/login', ADMIN)).body.accessToken);
      const create = async (name: string, amount: number, stock: number) => {
        const created = await call(
          'POST',
          '/api/v1/products',
          { name: `${name} ${suffix}`, price: { amount, currency: 'EUR' }, stock },
          admin,
        );
        expect(created.status).toBe(201);
        return listed(String(created.body.id));
      };
      teapot = await create('E2E teapot', 1999, 5);
      cup = await create('E2E cup', 450, 10);
    }, 60_000);
    afterAll(async () => {
      await observer?.stop();
    });

    const eventsOf = (orderId: string): OrderCreated[] => {
      const byId = new Map<string, OrderCreated>();
      for (const message of observed.values()) {
        const event = JSON.parse(message.value) as OrderCreated;
        if (event.data.orderId === orderId) byId.set(event.id, event);
      }
      return [...byId.values()];
    };

    it('places an order with tok_visa: 201 CONFIRMED, the listed prices times quantities, and less stock', async () => {
      const [teapotStock, cupStock] = [await stockOf(teapot.id), await stockOf(cup.id)];
      const items = [
        { productId: teapot.id, quantity: 2 },
        { productId: cup.id, quantity: 3 },
      ];
      const placed = await order(ada.token, `ada-first-${suffix}`, items, 'tok_visa');

      expect(placed.status).toBe(201);
      confirmed = placed.body as unknown as OrderJson;
      expect(confirmed).toMatchObject({
        userId: ada.id,
        status: 'CONFIRMED',
        items: [
          { productId: teapot.id, quantity: 2, unitPrice: teapot.price },
          { productId: cup.id, quantity: 3, unitPrice: cup.price },
        ],
        total: { amount: 2 * teapot.price.amount + 3 * cup.price.amount, currency: 'EUR' },
        failureCode: null,
        failureReason: null,
        declineCode: null,
        paymentId: expect.any(String),
        createdAt: expect.stringMatching(TIMESTAMP),
        updatedAt: expect.stringMatching(TIMESTAMP),
      });
      expect(placed.headers.get('location')).toBe(`/api/v1/orders/${confirmed.id}`);
      expect(await stockOf(teapot.id)).toBe(teapotStock - 2);
      expect(await stockOf(cup.id)).toBe(cupStock - 3);
    });

    it('answers the same Idempotency-Key again with the same order and takes the stock once', async () => {
      const stock = await stockOf(teapot.id);
      const items = [
        { productId: teapot.id, quantity: 2 },
        { productId: cup.id, quantity: 3 },
      ];
      const again = await order(ada.token, `ada-first-${suffix}`, items, 'tok_visa');

      expect(again.status).toBe(201);
      expect(again.body).toEqual(confirmed);
      expect(again.headers.get('location')).toBe(`/api/v1/orders/${confirmed.id}`);
      expect(await stockOf(teapot.id)).toBe(stock);

      const other = await order(ada.token, `ada-first-${suffix}`, [{ productId: teapot.id, quantity: 1 }], 'tok_visa');
      expect(other.status).toBe(422);
      expect(other.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' } });
      expect(await stockOf(teapot.id)).toBe(stock);
    });

    it('answers a declined card with 402 card_declined, and puts the stock back', async () => {
      const stock = await stockOf(teapot.id);
      const declined = await order(
        ada.token,
        `ada-declined-${suffix}`,
        [{ productId: teapot.id, quantity: 1 }],
        'tok_chargeDeclined',
      );

      expect(declined.status).toBe(402);
      expect(declined.body).toEqual({
        error: {
          code: 'PAYMENT_DECLINED',
          message: expect.any(String),
          declineCode: 'card_declined',
          orderId: expect.any(String),
        },
      });
      expect(await stockOf(teapot.id)).toBe(stock);
      const failed = await call(
        'GET',
        `/api/v1/orders/${String((declined.body.error as { orderId: string }).orderId)}`,
        undefined,
        ada.token,
      );
      expect(failed.body).toMatchObject({
        status: 'FAILED',
        failureCode: 'PAYMENT_DECLINED',
        declineCode: 'card_declined',
        total: { amount: teapot.price.amount, currency: 'EUR' },
        paymentId: null,
      });
      // Every order has the same members, whatever its state.
      expect(Object.keys(failed.body).sort()).toEqual(Object.keys(confirmed).sort());
    });

    it('answers more than the stock with 409 OUT_OF_STOCK naming the item, and takes nothing', async () => {
      const [teapotStock, cupStock] = [await stockOf(teapot.id), await stockOf(cup.id)];
      const items = [
        { productId: cup.id, quantity: 1 },
        { productId: teapot.id, quantity: teapotStock + 1 },
      ];
      const refused = await order(bob.token, `bob-too-many-${suffix}`, items, 'tok_visa');

      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({
        error: {
          code: 'OUT_OF_STOCK',
          message: expect.any(String),
          field: 'items[1].quantity',
          orderId: expect.any(String),
        },
      });
      expect([await stockOf(teapot.id), await stockOf(cup.id)]).toEqual([teapotStock, cupStock]);
      const failed = await call(
        'GET',
        `/api/v1/orders/${String((refused.body.error as { orderId: string }).orderId)}`,
        undefined,
        bob.token,
      );
      // Refused before it was priced: the same members as a priced order, the prices null.
      expect(failed.body).toMatchObject({
        status: 'FAILED',
        failureCode: 'OUT_OF_STOCK',
        items: [
          { productId: cup.id, quantity: 1, unitPrice: null },
          { productId: teapot.id, quantity: teapotStock + 1, unitPrice: null },
        ],
        total: null,
        declineCode: null,
        paymentId: null,
        createdAt: expect.stringMatching(TIMESTAMP),
      });
      expect(Object.keys(failed.body).sort()).toEqual(Object.keys(confirmed).sort());
    });

    it('answers a payment token the processor does not know with 422 on paymentToken, and puts the stock back', async () => {
      // A customer of their own, so the other tests' order lists stay as they expect.
      const cy = await signUp('Cy');
      const stock = await stockOf(cup.id);
      const refused = await order(cy.token, `cy-bad-token-${suffix}`, [{ productId: cup.id, quantity: 1 }], 'tok_nope');

      expect(refused.status).toBe(422);
      expect(refused.body).toEqual({
        error: {
          code: 'PAYMENT_FAILED',
          message: 'the payment token was refused; pay with another one, under a new Idempotency-Key',
          field: 'paymentToken',
          orderId: expect.any(String),
        },
      });
      expect(await stockOf(cup.id)).toBe(stock);
      // The order tells the customer the same, never which service refused what.
      const failed = await call(
        'GET',
        `/api/v1/orders/${String((refused.body.error as { orderId: string }).orderId)}`,
        undefined,
        cy.token,
      );
      expect(failed.body).toMatchObject({
        status: 'FAILED',
        failureCode: 'PAYMENT_FAILED',
        failureReason: 'the payment token was refused; pay with another one, under a new Idempotency-Key',
      });
    });

    it("lists the caller's orders newest first, and hides them from anyone else", async () => {
      const mine = await call('GET', '/api/v1/orders?limit=10', undefined, ada.token);
      expect(mine.status).toBe(200);
      const items = mine.body.items as OrderJson[];
      expect(items.map((o) => o.status)).toEqual(['FAILED', 'CONFIRMED']);
      expect(items[1]).toEqual(confirmed);
      expect(mine.body.nextCursor).toBeNull();

      const firstPage = await call('GET', '/api/v1/orders?limit=1', undefined, ada.token);
      const second = await call(
        'GET',
        `/api/v1/orders?limit=1&cursor=${encodeURIComponent(String(firstPage.body.nextCursor))}`,
        undefined,
        ada.token,
      );
      expect((second.body.items as OrderJson[]).map((o) => o.id)).toEqual([confirmed.id]);

      const bobs = await call('GET', '/api/v1/orders', undefined, bob.token);
      expect((bobs.body.items as OrderJson[]).map((o) => o.userId)).toEqual([bob.id]);
      const notBobs = await call('GET', `/api/v1/orders/${confirmed.id}`, undefined, bob.token);
      expect(notBobs.status).toBe(404);
      expect(notBobs.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect((await call('GET', `/api/v1/orders/${confirmed.id}`, undefined, ada.token)).body).toEqual(confirmed);
    });

    it('answers hostile order input with 4xx in the documented error shape', async () => {
      const valid = { items: [{ productId: teapot.id, quantity: 1 }], paymentToken: 'tok_visa' };
      for (const [body, headers, status, field] of [
        [valid, {}, 400, 'Idempotency-Key'],
        [valid, { 'idempotency-key': 'has spaces' }, 400, 'Idempotency-Key'],
        [{ ...valid, items: [] }, { 'idempotency-key': `h1-${suffix}` }, 400, 'items'],
        [
          { ...valid, items: [{ productId: teapot.id, quantity: 0 }] },
          { 'idempotency-key': `h2-${suffix}` },
          400,
          'items[0].quantity',
        ],
        [{ items: valid.items }, { 'idempotency-key': `h3-${suffix}` }, 400, 'paymentToken'],
        [
          { ...valid, items: [valid.items[0], valid.items[0]] },
          { 'idempotency-key': `h4-${suffix}` },
          400,
          'items[1].productId',
        ],
        [
          { ...valid, items: [{ productId: randomUUID(), quantity: 1 }] },
          { 'idempotency-key': `h5-${suffix}` },
          422,
          'items[0].productId',
        ],
      ] as const) {
        const res = await call('POST', '/api/v1/orders', body, ada.token, headers);
        expect({ status: res.status, field: (res.body.error as { field?: string }).field }).toEqual({ status, field });
      }
      expect(
        (await call('POST', '/api/v1/orders', valid, undefined, { 'idempotency-key': `h6-${suffix}` })).status,
      ).toBe(401);
      expect((await call('GET', '/api/v1/orders/not-a-uuid', undefined, ada.token)).status).toBe(400);
      expect((await call('GET', '/api/v1/orders?cursor=forged', undefined, ada.token)).status).toBe(400);
    });

    it('notifies the confirmation exactly once, even when its event is delivered again', async () => {
      const notifications = path.join(platform().dataDir, 'notifications.jsonl');
      const linesOf = async () => (await jsonLines(notifications)).filter((line) => line.orderId === confirmed.id);
      const [line] = await eventually('the confirmation in notifications.jsonl', async () => {
        const lines = await linesOf();
        return lines.length > 0 ? lines : undefined;
      });
      expect(line).toMatchObject({ orderId: confirmed.id, recipient: `ada.${suffix}@example.com` });

      // Redeliver: the same record, published again on the bus the consumers read.
      const message = await eventually('the order.created event on the orders topic', async () =>
        [...observed.values()].find((m) => (JSON.parse(m.value) as OrderCreated).data.orderId === confirmed.id),
      );
      const skipped = () =>
        platform().notificationLogs.filter((l) => l.msg === 'duplicate event skipped' && l.orderId === confirmed.id)
          .length;
      const before = skipped();
      await platform().bus.publish(TOPIC_ORDERS, [
        { key: message.key ?? confirmed.id, value: message.value, headers: message.headers },
      ]);
      await eventually('the redelivered event to be skipped', async () => (skipped() > before ? true : undefined));
      expect(await linesOf()).toHaveLength(1);
      // No other order was notified: the declined and out-of-stock orders published no event.
      const all = await jsonLines(notifications);
      const ours = all.filter((l) => String(l.recipient).endsWith(`.${suffix}@example.com`));
      expect(ours.map((l) => l.orderId)).toEqual([confirmed.id]);
    });

    it('follows the confirmed order in one trace from the gateway to both consumers, and its log lines carry it', async () => {
      const file = path.join(platform().dataDir, 'traces.jsonl');
      const everyHop = ['api-gateway', 'order-service', 'product-service', 'payment-service'];
      const consumers = ['notification-lambda', 'analytics'];
      const trace = await eventually('spans of the order from every service in traces.jsonl', async () => {
        const { spans } = parseTraceLines(await readFile(file, 'utf8').catch(() => ''));
        const [traceId] = findTraceIds(spans, confirmed.id);
        const inTrace = spans.filter((s) => s.traceId === traceId);
        const services = new Set(inTrace.map((s) => s.service));
        return [...everyHop, ...consumers].every((s) => services.has(s)) ? inTrace : undefined;
      });
      // One root, the gateway's request; every other span hangs under a span of the same trace.
      const ids = new Set(trace.map((s) => s.spanId));
      const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
      expect(roots.map((s) => [s.service, s.name])).toEqual([['api-gateway', 'POST /api/v1/orders']]);
      // gRPC to gRPC: each peer's server span is the child of order-service's call to it.
      for (const [peer, service, method] of [
        ['product-service', 'shopfront.product.v1.ProductService', 'ReserveStock'],
        ['payment-service', 'shopfront.payment.v1.PaymentService', 'Charge'],
      ] as const) {
        const served = trace.find((s) => s.service === peer && s.name === `${service}/${method}`);
        const caller = trace.find((s) => s.spanId === served?.parentSpanId);
        expect([caller?.service, caller?.name]).toEqual(['order-service', `${peer}/${method}`]);
      }
      for (const consumer of consumers) {
        const processed = trace.find((s) => s.service === consumer && s.name === `process ${TOPIC_ORDERS}`);
        const sent = trace.find((s) => s.spanId === processed?.parentSpanId);
        expect([sent?.service, sent?.name]).toEqual(['order-service', `send ${TOPIC_ORDERS}`]);
      }
      expect(trace.filter((s) => s.error)).toEqual([]);
      const traceId = trace[0]?.traceId;
      expect(
        platform().notificationLogs.filter((l) => l.orderId === confirmed.id && l.trace_id === traceId),
      ).not.toEqual([]);
    });

    it('closes an analytics window with the count, revenue and unique users of the confirmed orders', async () => {
      // A second confirmed order, by Bob, so the window has two users.
      const bobs = await order(bob.token, `bob-cup-${suffix}`, [{ productId: cup.id, quantity: 1 }], 'tok_mastercard');
      expect(bobs.status).toBe(201);
      const confirmedIds = [confirmed.id, String(bobs.body.id)];
      const events = await eventually('both order.created events', async () => {
        const found = confirmedIds.map((id) => eventsOf(id));
        return found.every((e) => e.length > 0) ? found.flat() : undefined;
      });

      // Every order.created event the topic holds (other tests of this file place orders too), by window.
      const all = new Map<string, OrderCreated>();
      for (const message of observed.values()) {
        const event = JSON.parse(message.value) as OrderCreated;
        all.set(event.id, event);
      }
      const windowOf = (event: OrderCreated) =>
        new Date(Math.floor(Date.parse(event.time) / 60_000) * 60_000).toISOString();
      const expected = new Map<string, { orderCount: number; revenue: Record<string, number>; users: Set<string> }>();
      for (const event of all.values()) {
        const window = expected.get(windowOf(event)) ?? { orderCount: 0, revenue: {}, users: new Set<string>() };
        window.orderCount += 1;
        window.revenue[event.data.total.currency] =
          (window.revenue[event.data.total.currency] ?? 0) + event.data.total.amount;
        window.users.add(event.data.userId);
        expected.set(windowOf(event), window);
      }

      // Processing time runs ahead: the twin's idle timeout moves its watermark past the open windows.
      platform().analyticsClock.runAhead(3 * 60_000);
      const results = path.join(platform().dataDir, 'analytics-results.jsonl');
      const windows = await eventually('the analytics windows of our orders', async () => {
        const lines = (await jsonLines(results)) as { subject: string; data: Record<string, unknown> }[];
        const wanted = events.map(windowOf);
        return wanted.every((start) => lines.some((l) => l.subject === start)) ? lines : undefined;
      });
      for (const start of new Set(events.map(windowOf))) {
        const want = expected.get(start);
        const got = windows.filter((w) => w.subject === start);
        expect(got).toHaveLength(1);
        expect(got[0]?.data).toMatchObject({
          orderCount: want?.orderCount,
          revenue: want?.revenue,
          uniqueUsers: want?.users.size,
        });
      }
      const total = events.reduce((sum, event) => sum + event.data.total.amount, 0);
      expect(total).toBe((confirmed.total?.amount ?? 0) + cup.price.amount);
    });
  });

  it('charges the largest order the contracts allow, and refuses a unit price above their limit', async () => {
    const admin = String((await call('POST', '/api/v1/auth/login', ADMIN)).body.accessToken);
    const tag = randomUUID().slice(0, 8);
    const dear = { name: `Grand cru ${tag}`, description: 'a whole harvest', stock: ORDER_LINE_LIMITS.maxQuantity };
    const price = (amount: number) => ({ ...dear, price: { amount, currency: 'EUR' } });
    const tooDear = await call('POST', '/api/v1/products', price(MAX_UNIT_PRICE + 1), admin);
    expect(tooDear.status).toBe(400);
    expect(tooDear.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field: 'price.amount' } });
    const created = await call('POST', '/api/v1/products', price(MAX_UNIT_PRICE), admin);
    expect(created.status).toBe(201);
    const email = `croesus.${tag}@rich.example`;
    await call('POST', '/api/v1/auth/register', { email, password, name: 'Croesus' });
    const token = String((await call('POST', '/api/v1/auth/login', { email, password })).body.accessToken);
    const items = [{ productId: String(created.body.id), quantity: ORDER_LINE_LIMITS.maxQuantity }];
    const largest = await call('POST', '/api/v1/orders', { items, paymentToken: 'tok_visa' }, token, {
      'idempotency-key': `largest-${tag}`,
    });
    expect(largest.status).toBe(201);
    expect(largest.body).toMatchObject({
      status: 'CONFIRMED',
      total: { amount: MAX_UNIT_PRICE * ORDER_LINE_LIMITS.maxQuantity, currency: 'EUR' },
    });
  });
}
