import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '../../lib/runtime/errors';
import { PLACED_ORDER, TEAPOT } from './test-support/fake-upstreams';
import { adminToken, customerToken, startTestPlatform, type TestPlatform } from './test-support/gateway';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform.stop();
});
beforeEach(() => platform.reset());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('PATCH /api/v1/products/:id', () => {
  const patch = async (json: unknown, token?: string, id = TEAPOT.id) =>
    platform.api.request('PATCH', '/api/v1/products/{id}', {
      params: { id },
      json,
      headers: token === undefined ? {} : bearer(token),
    });

  it('changes price and stock as an admin, forwarding the token, and answers the changed product with no-store', async () => {
    const token = await adminToken();
    const response = await patch({ price: { amount: 2500, currency: 'EUR' }, stockDelta: -3 }, token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: TEAPOT.id, price: { amount: 2500, currency: 'EUR' }, stock: 4 });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [call] = platform.products.callsOf('updateProduct');
    expect(call?.request).toEqual({ id: TEAPOT.id, price: { amount: 2500, currency: 'EUR' }, stockDelta: -3 });
    expect(call?.authorization).toBe(`Bearer ${token}`);
  });

  it('sends only what changes: a stock adjustment alone carries no price', async () => {
    await patch({ stockDelta: 5 }, await adminToken());
    expect(platform.products.callsOf('updateProduct')[0]?.request).toEqual({ id: TEAPOT.id, stockDelta: 5 });
  });

  it('shows the new stock in the catalogue at once (the gateway forgets its cached pages)', async () => {
    await platform.api.request('GET', '/api/v1/products/{id}', { params: { id: TEAPOT.id } });
    platform.products.respond('getProduct', async (request) => ({ ...TEAPOT, id: request.id, stock: 99 }));
    await patch({ stockDelta: 92 }, await adminToken());
    const after = await platform.api.request('GET', '/api/v1/products/{id}', { params: { id: TEAPOT.id } });
    expect(after.body).toMatchObject({ stock: 99 });
  });

  it('refuses a customer with 403 and no token with 401, before calling product-service', async () => {
    const asCustomer = await patch({ stockDelta: 1 }, await customerToken());
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    expect((await patch({ stockDelta: 1 })).status).toBe(401);
    expect(platform.products.calls).toHaveLength(0);
  });

  it.each<[string, unknown, string]>([
    ['an empty change', {}, 'price'],
    ['a zero stockDelta', { stockDelta: 0 }, 'stockDelta'],
    ['a fractional stockDelta', { stockDelta: 2.5 }, 'stockDelta'],
    ['a stockDelta as a string', { stockDelta: '5' }, 'stockDelta'],
    ['a stockDelta beyond a million', { stockDelta: 1_000_001 }, 'stockDelta'],
    ['a price of 0', { price: { amount: 0, currency: 'EUR' } }, 'price.amount'],
    ['a price in cents as a float', { price: { amount: 12.5, currency: 'EUR' } }, 'price.amount'],
    ['a lower-case currency', { price: { amount: 100, currency: 'eur' } }, 'price.currency'],
    ['an absolute stock (not this API)', { stock: 5 }, 'stock'],
  ])('answers 400 INVALID_ARGUMENT on the field for %s, never calling product-service', async (_case, json, field) => {
    const response = await patch(json, await adminToken());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field } });
    expect(platform.products.calls).toHaveLength(0);
  });

  it('answers 400 on id for a malformed id', async () => {
    const response = await patch({ stockDelta: 1 }, await adminToken(), 'not-a-uuid');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT', field: 'id' } });
  });

  it('answers 404 on id for a product product-service does not know', async () => {
    platform.products.respond('updateProduct', async () => {
      throw new NotFoundError('product', 'id');
    });
    const response = await patch({ stockDelta: 1 }, await adminToken());
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'product not found', field: 'id' } });
  });

  it('answers 400 FAILED_PRECONDITION on stockDelta when the stock would fall below 0', async () => {
    platform.products.respond('updateProduct', async () => {
      throw new FailedPreconditionError('the stock is 2: adding -3 would leave -1', 'STOCK_OUT_OF_RANGE', 'stockDelta');
    });
    const response = await patch({ stockDelta: -3 }, await adminToken());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'FAILED_PRECONDITION', field: 'stockDelta' } });
  });
});

describe('GET /api/v1/admin/orders', () => {
  it("answers an admin a page of every customer's orders, passing limit and cursor, with no-store", async () => {
    const token = await adminToken();
    platform.orders.respond('listAllOrders', async () => ({ items: [PLACED_ORDER], nextCursor: 'next-page' }));
    const response = await platform.api.request('GET', '/api/v1/admin/orders', {
      query: 'limit=5&cursor=this-page',
      headers: bearer(token),
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      items: [{ id: PLACED_ORDER.id, userId: PLACED_ORDER.userId, status: 'CONFIRMED' }],
      nextCursor: 'next-page',
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [call] = platform.orders.callsOf('listAllOrders');
    expect(call?.request).toEqual({ limit: 5, cursor: 'this-page' });
    expect(call?.authorization).toBe(`Bearer ${token}`);
  });

  it('refuses a customer with 403 without calling order-service', async () => {
    const response = await platform.api.request('GET', '/api/v1/admin/orders', {
      headers: bearer(await customerToken()),
    });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    expect(platform.orders.calls).toHaveLength(0);
  });

  it("answers order-service's own refusal when it re-checks the token", async () => {
    platform.orders.respond('listAllOrders', async () => {
      throw new PermissionDeniedError('admins only');
    });
    const response = await platform.api.request('GET', '/api/v1/admin/orders', { headers: bearer(await adminToken()) });
    expect(response.status).toBe(403);
  });

  it.each(['limit=0', 'limit=101', 'limit=two', 'cursor='])('answers 400 for %s', async (query) => {
    const response = await platform.api.request('GET', '/api/v1/admin/orders', {
      query,
      headers: bearer(await adminToken()),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  });
});
