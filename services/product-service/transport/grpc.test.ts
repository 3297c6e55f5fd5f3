import * as grpc from '@grpc/grpc-js';
import {
  type CreateProductRequest,
  type Product,
  ProductServiceClient,
  RejectionReason,
  type Reservation,
  type ReserveStockRequest,
  StockLineField,
  type UpdateProductRequest,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import { callUnary } from '../../../lib/runtime/grpc-client';
import type { StartedService } from '../../../lib/runtime/host';
import { ERROR_FIELD_KEY, ERROR_REASON_KEY } from '../../../lib/runtime/status';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { startOnDatabase } from '../test-support/service';
import { expiredAdminToken, GARBAGE_TOKEN, tokenFor } from '../test-support/tokens';

interface CallFailure {
  code: grpc.status;
  field?: string;
  reason?: string;
}

describe('product-service gRPC API (real socket, generated client, PostgreSQL)', () => {
  let database: TestDatabase;
  let service: StartedService;
  let client: ProductServiceClient;
  let admin: string;

  beforeAll(async () => {
    database = await freshDatabase();
    service = await startOnDatabase(database.url);
    client = new ProductServiceClient(`127.0.0.1:${service.ports.grpc}`, grpc.credentials.createInsecure());
    admin = await tokenFor('admin');
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
    await database?.drop();
  });

  const options = (rpc: string, bearerToken?: string) => ({
    peer: 'product-service',
    rpc,
    timeoutMs: 10_000,
    bearerToken,
  });
  const rpc = {
    list: (limit: number, cursor = '') =>
      callUnary(client, client.listProducts, { limit, cursor }, options('ListProducts')),
    get: (id: string) => callUnary(client, client.getProduct, { id }, options('GetProduct')),
    create: (request: CreateProductRequest, token?: string) =>
      callUnary(client, client.createProduct, request, options('CreateProduct', token)),
    update: (request: UpdateProductRequest, token?: string) =>
      callUnary(client, client.updateProduct, request, options('UpdateProduct', token)),
    reserve: (request: ReserveStockRequest) => callUnary(client, client.reserveStock, request, options('ReserveStock')),
    release: (reservationId: string) =>
      callUnary(client, client.releaseStock, { reservationId }, options('ReleaseStock')),
  };

  /** The status code and the field/reason trailers of a failed call. */
  async function failure(call: Promise<unknown>): Promise<CallFailure> {
    try {
      await call;
    } catch (error) {
      const e = error as grpc.ServiceError;
      const field = e.metadata.get(ERROR_FIELD_KEY)[0];
      const reason = e.metadata.get(ERROR_REASON_KEY)[0];
      return {
        code: e.code,
        ...(field === undefined ? {} : { field: String(field) }),
        ...(reason === undefined ? {} : { reason: String(reason) }),
      };
    }
    throw new Error('expected the call to fail');
  }

  const valid: CreateProductRequest = {
    name: 'Camping percolator',
    description: '9 cups',
    price: { amount: 3790, currency: 'EUR' },
    stock: 12,
  };
  const create = async (overrides: Partial<CreateProductRequest> = {}): Promise<Product> =>
    rpc.create({ ...valid, ...overrides }, admin);

  describe('CreateProduct and GetProduct', () => {
    it('creates a product for an admin and reads it back', async () => {
      const product = await create();
      expect(product).toEqual({ ...valid, id: expect.any(String), createdAt: expect.any(String) });
      expect(await rpc.get(product.id)).toEqual(product);
    });

    it.each<[string, grpc.status, () => Promise<string | undefined>]>([
      ['no token', grpc.status.UNAUTHENTICATED, async () => undefined],
      ['a garbage token', grpc.status.UNAUTHENTICATED, async () => GARBAGE_TOKEN],
      ['an expired admin token', grpc.status.UNAUTHENTICATED, expiredAdminToken],
      ['a customer token', grpc.status.PERMISSION_DENIED, () => tokenFor('customer')],
    ])('refuses %s', async (_case, code, token) => {
      expect(await failure(rpc.create(valid, await token()))).toEqual({ code });
    });

    it.each<[string, Partial<CreateProductRequest>, string]>([
      ['an empty name (proto3 default)', { name: '' }, 'name'],
      ['a 2001-character description', { description: 'd'.repeat(2001) }, 'description'],
      ['no price', { price: undefined }, 'price'],
      ['a negative amount', { price: { amount: -1, currency: 'EUR' } }, 'price.amount'],
      ['an amount above 2 x 10^7', { price: { amount: 2e7 + 1, currency: 'EUR' } }, 'price.amount'],
      ['an empty currency', { price: { amount: 1, currency: '' } }, 'price.currency'],
      ['a negative stock', { stock: -1 }, 'stock'],
      ['a stock above 10^6', { stock: 1_000_001 }, 'stock'],
    ])('answers INVALID_ARGUMENT naming the field to %s', async (_case, change, field) => {
      expect(await failure(rpc.create({ ...valid, ...change }, admin))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field,
      });
    });

    it('answers INVALID_ARGUMENT on id for a malformed id and NOT_FOUND for an unknown one', async () => {
      expect(await failure(rpc.get('nope'))).toEqual({ code: grpc.status.INVALID_ARGUMENT, field: 'id' });
      expect(await failure(rpc.get(''))).toEqual({ code: grpc.status.INVALID_ARGUMENT, field: 'id' });
      expect(await failure(rpc.get('00000000-0000-4000-8000-000000000000'))).toEqual({
        code: grpc.status.NOT_FOUND,
        field: 'id',
      });
    });
  });

  describe('UpdateProduct', () => {
    it('sets the price and adjusts the stock for an admin; either alone leaves the other as it was', async () => {
      const product = await create({ stock: 12 });
      const both = await rpc.update(
        { id: product.id, price: { amount: 4100, currency: 'EUR' }, stockDelta: -2 },
        admin,
      );
      expect(both).toEqual({ ...product, price: { amount: 4100, currency: 'EUR' }, stock: 10 });
      expect(await rpc.update({ id: product.id, price: undefined, stockDelta: 5 }, admin)).toMatchObject({
        price: { amount: 4100, currency: 'EUR' },
        stock: 15,
      });
      expect(
        await rpc.update({ id: product.id, price: { amount: 99, currency: 'EUR' }, stockDelta: undefined }, admin),
      ).toMatchObject({ price: { amount: 99, currency: 'EUR' }, stock: 15 });
      expect(await rpc.get(product.id)).toMatchObject({ price: { amount: 99, currency: 'EUR' }, stock: 15 });
    });

    it('refuses a customer, a bad input, an unknown id and a stock below 0, each with its code and field', async () => {
      const product = await create({ stock: 1 });
      const change = { id: product.id, price: undefined, stockDelta: -1 };
      expect(await failure(rpc.update(change, await tokenFor('customer')))).toEqual({
        code: grpc.status.PERMISSION_DENIED,
      });
      expect(await failure(rpc.update(change))).toEqual({ code: grpc.status.UNAUTHENTICATED });
      expect(await failure(rpc.update({ ...change, stockDelta: undefined }, admin))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'price',
      });
      expect(await failure(rpc.update({ ...change, price: { amount: 1, currency: 'euro' } }, admin))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'price.currency',
      });
      expect(await failure(rpc.update({ ...change, id: '00000000-0000-4000-8000-000000000000' }, admin))).toEqual({
        code: grpc.status.NOT_FOUND,
        field: 'id',
      });
      expect(await failure(rpc.update({ ...change, stockDelta: -2 }, admin))).toEqual({
        code: grpc.status.FAILED_PRECONDITION,
        field: 'stockDelta',
        reason: 'STOCK_OUT_OF_RANGE',
      });
      expect((await rpc.get(product.id)).stock).toBe(1);
    });
  });

  describe('ListProducts', () => {
    it('walks every page (limit 0 = 20 per page), each product once, next_cursor empty at the end', async () => {
      const created: string[] = [];
      for (let i = 0; i < 23; i += 1) created.push((await create({ name: `Listed ${i}` })).id);
      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const page = await rpc.list(0, cursor);
        pages += 1;
        if (page.nextCursor) expect(page.items).toHaveLength(20);
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages).toBeGreaterThanOrEqual(2);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => created.includes(id))).toEqual(created);
    });

    it('caps a limit above 100', async () => {
      const page = await rpc.list(5000);
      expect(page.items.length).toBeLessThanOrEqual(100);
    });

    it('answers INVALID_ARGUMENT on limit for a negative limit and on cursor for a bad cursor', async () => {
      expect(await failure(rpc.list(-5))).toEqual({ code: grpc.status.INVALID_ARGUMENT, field: 'limit' });
      expect(await failure(rpc.list(10, 'bm90IGEgY3Vyc29y'))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'cursor',
      });
    });
  });

  describe('ReserveStock and ReleaseStock', () => {
    it('reserves, replays, refuses a reused id, and releases once', async () => {
      const product = await create({ stock: 5, price: { amount: 3790, currency: 'EUR' } });
      const request = { reservationId: 'grpc-order-1', lines: [{ productId: product.id, quantity: 2 }] };
      const reservation = await rpc.reserve(request);
      expect(reservation).toEqual<Reservation>({
        reservationId: 'grpc-order-1',
        status: 'RESERVED',
        lines: [{ productId: product.id, quantity: 2, unitPrice: { amount: 3790, currency: 'EUR' } }],
        rejection: undefined,
      });
      expect(await rpc.reserve(request)).toEqual(reservation);
      expect((await rpc.get(product.id)).stock).toBe(3);
      expect(await failure(rpc.reserve({ ...request, lines: [{ productId: product.id, quantity: 3 }] }))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'reservationId',
        reason: 'IDEMPOTENCY_KEY_REUSED',
      });
      expect(await rpc.release('grpc-order-1')).toEqual({ released: true });
      expect(await rpc.release('grpc-order-1')).toEqual({ released: false });
      expect(await rpc.release('never-reserved')).toEqual({ released: false });
      expect((await rpc.get(product.id)).stock).toBe(5);
    });

    it('answers a line without stock or product as a REJECTED reservation naming the line, and reserves nothing', async () => {
      const product = await create({ stock: 1 });
      const other = await create({ stock: 9 });
      expect(
        await rpc.reserve({
          reservationId: 'grpc-order-2',
          lines: [
            { productId: product.id, quantity: 1 },
            { productId: '00000000-0000-4000-8000-000000000000', quantity: 1 },
          ],
        }),
      ).toEqual<Reservation>({
        reservationId: 'grpc-order-2',
        status: 'REJECTED',
        lines: [],
        rejection: {
          reason: RejectionReason.REJECTION_REASON_PRODUCT_NOT_FOUND,
          lineIndex: 1,
          field: StockLineField.STOCK_LINE_FIELD_PRODUCT_ID,
        },
      });
      expect(
        await rpc.reserve({
          reservationId: 'grpc-order-3',
          lines: [
            { productId: other.id, quantity: 1 },
            { productId: product.id, quantity: 2 },
          ],
        }),
      ).toEqual<Reservation>({
        reservationId: 'grpc-order-3',
        status: 'REJECTED',
        lines: [],
        rejection: {
          reason: RejectionReason.REJECTION_REASON_OUT_OF_STOCK,
          lineIndex: 1,
          field: StockLineField.STOCK_LINE_FIELD_QUANTITY,
        },
      });
      expect([(await rpc.get(product.id)).stock, (await rpc.get(other.id)).stock]).toEqual([1, 9]);
      // Nothing of a rejection is kept: the same id reserves once the lines can be had.
      expect(
        await rpc.reserve({ reservationId: 'grpc-order-3', lines: [{ productId: product.id, quantity: 1 }] }),
      ).toMatchObject({ status: 'RESERVED', rejection: undefined });
      expect((await rpc.get(product.id)).stock).toBe(0);
    });

    it.each<[string, ReserveStockRequest, string]>([
      ['an empty reservation id', { reservationId: '', lines: [{ productId: 'x', quantity: 1 }] }, 'reservationId'],
      ['no lines', { reservationId: 'r', lines: [] }, 'lines'],
      [
        'a malformed product id',
        { reservationId: 'r', lines: [{ productId: 'x', quantity: 1 }] },
        'lines[0].productId',
      ],
      [
        'a zero quantity',
        { reservationId: 'r', lines: [{ productId: '00000000-0000-4000-8000-000000000001', quantity: 0 }] },
        'lines[0].quantity',
      ],
      [
        'a repeated product',
        {
          reservationId: 'r',
          lines: [
            { productId: '00000000-0000-4000-8000-000000000001', quantity: 1 },
            { productId: '00000000-0000-4000-8000-000000000001', quantity: 2 },
          ],
        },
        'lines[1].productId',
      ],
      [
        'a quantity over the limit',
        { reservationId: 'r', lines: [{ productId: '00000000-0000-4000-8000-000000000001', quantity: 1001 }] },
        'lines[0].quantity',
      ],
      [
        'more lines than the limit',
        {
          reservationId: 'r',
          lines: Array.from({ length: 51 }, (_, i) => ({
            productId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
            quantity: 1,
          })),
        },
        'lines',
      ],
    ])('answers INVALID_ARGUMENT naming the field to %s', async (_case, request, field) => {
      expect(await failure(rpc.reserve(request))).toEqual({ code: grpc.status.INVALID_ARGUMENT, field });
    });

    it('answers INVALID_ARGUMENT on reservationId to a malformed release', async () => {
      expect(await failure(rpc.release('not allowed/'))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'reservationId',
      });
    });

    it('never oversells over the wire: 40 parallel calls for a stock of 5 -> 5 reservations', async () => {
      const product = await create({ stock: 5 });
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          rpc.reserve({ reservationId: `wire-${i}`, lines: [{ productId: product.id, quantity: 1 }] }),
        ),
      );
      expect(results.filter((r) => r.status === 'RESERVED')).toHaveLength(5);
      const rejected = results.filter((r) => r.status === 'REJECTED');
      expect(rejected).toHaveLength(35);
      for (const r of rejected) expect(r.rejection?.reason).toBe(RejectionReason.REJECTION_REASON_OUT_OF_STOCK);
      expect((await rpc.get(product.id)).stock).toBe(0);
    });
  });
});
