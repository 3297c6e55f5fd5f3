import { TokenVerifier } from '../../../lib/runtime/auth';
import { DomainError } from '../../../lib/runtime/errors';
import {
  expiredAdminToken,
  GARBAGE_TOKEN,
  TEST_JWT_SECRET,
  tokenFor,
  unsignedAdminToken,
} from '../test-support/tokens';
import { ProductCatalog, type ProductStore } from './catalog';
import type { NewProduct, Product, ProductChange } from './product';

const UNKNOWN_ID = '00000000-0000-4000-8000-0000000000ff';
const KNOWN_ID = '00000000-0000-4000-8000-000000000001';

/** Records what reaches the store: authorization must stop a request before it does. */
class RecordingStore implements ProductStore {
  readonly created: NewProduct[] = [];
  listed: { after: unknown; limit: number }[] = [];
  async list(after: Parameters<ProductStore['list']>[0], limit: number): Promise<Product[]> {
    this.listed.push({ after, limit });
    return Array.from({ length: Math.min(limit, 3) }, (_, i) => product(`00000000-0000-4000-8000-00000000000${i}`));
  }
  async get(): Promise<Product | undefined> {
    return undefined;
  }
  async create(id: string, input: NewProduct): Promise<Product> {
    this.created.push(input);
    return { ...input, id, createdAt: '2025-11-26T09:00:00.000000Z' };
  }
  readonly updated: { id: string; change: ProductChange }[] = [];
  async update(id: string, change: ProductChange): Promise<Product | undefined> {
    this.updated.push({ id, change });
    return id === UNKNOWN_ID ? undefined : { ...product(id), ...change, stock: 1 + (change.stockDelta ?? 0) };
  }
  async reserve(): Promise<never> {
    throw new Error('not used');
  }
  async release(): Promise<boolean> {
    return false;
  }
}

const product = (id: string): Product => ({
  id,
  name: 'x',
  description: '',
  price: { amount: 1, currency: 'EUR' },
  stock: 1,
  createdAt: '2025-11-26T09:00:00.000000Z',
});

const OTHER_SECRET = 'another-secret-0123456789abcdefghijkl';
const input = { name: 'Kettle', description: '', price: { amount: 7990, currency: 'EUR' }, stock: 3 };

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('ProductCatalog.createProduct', () => {
  let store: RecordingStore;
  let catalog: ProductCatalog;
  beforeEach(() => {
    store = new RecordingStore();
    catalog = new ProductCatalog(store, new TokenVerifier({ secret: TEST_JWT_SECRET }), () => 'new-id');
  });

  it('creates the product for an admin', async () => {
    const created = await catalog.createProduct(await tokenFor('admin'), input);
    expect(created).toMatchObject({ id: 'new-id', ...input });
    expect(store.created).toEqual([input]);
  });

  it.each<[string, string, () => Promise<string | undefined>]>([
    ['no token', 'UNAUTHENTICATED', async () => undefined],
    ['a garbage token', 'UNAUTHENTICATED', async () => GARBAGE_TOKEN],
    ['an expired admin token', 'UNAUTHENTICATED', expiredAdminToken],
    ['an unsigned (alg none) admin token', 'UNAUTHENTICATED', async () => unsignedAdminToken()],
    ['an admin token signed with another key', 'UNAUTHENTICATED', () => tokenFor('admin', OTHER_SECRET)],
    ['a customer token', 'PERMISSION_DENIED', () => tokenFor('customer')],
  ])('refuses %s with %s and stores nothing', async (_case, code, token) => {
    const error = await rejection(catalog.createProduct(await token(), input));
    expect(error.code).toBe(code);
    expect(store.created).toEqual([]);
  });

  it('checks authorization before validation (a customer learns nothing about the input rules)', async () => {
    const error = await rejection(catalog.createProduct(await tokenFor('customer'), { name: '' }));
    expect(error.code).toBe('PERMISSION_DENIED');
  });

  it('validates an admin request and names the field', async () => {
    const error = await rejection(
      catalog.createProduct(await tokenFor('admin'), { ...input, price: { amount: -5, currency: 'EUR' } }),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'price.amount' });
    expect(store.created).toEqual([]);
  });
});

describe('ProductCatalog.listProducts', () => {
  it('asks the store for one row more than the page, and gives a cursor only when it came back', async () => {
    const store = new RecordingStore();
    const catalog = new ProductCatalog(store, new TokenVerifier({ secret: TEST_JWT_SECRET }));
    const full = await catalog.listProducts({ limit: 2 });
    expect(store.listed[0]).toEqual({ after: undefined, limit: 3 });
    expect(full.items).toHaveLength(2);
    expect(full.nextCursor).toEqual(expect.any(String));
    const last = await catalog.listProducts({ limit: 5 });
    expect(last.items).toHaveLength(3);
    expect(last.nextCursor).toBeUndefined();
  });

  it('treats an empty cursor as the first page and rejects a bad one on cursor', async () => {
    const store = new RecordingStore();
    const catalog = new ProductCatalog(store, new TokenVerifier({ secret: TEST_JWT_SECRET }));
    await catalog.listProducts({ cursor: '' });
    expect(store.listed[0]?.after).toBeUndefined();
    const error = await rejection(catalog.listProducts({ cursor: 'garbage!' }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'cursor' });
  });
});

describe('ProductCatalog.getProduct', () => {
  it('answers NOT_FOUND on id for an unknown product and INVALID_ARGUMENT for a malformed id', async () => {
    const catalog = new ProductCatalog(new RecordingStore(), new TokenVerifier({ secret: TEST_JWT_SECRET }));
    expect(await rejection(catalog.getProduct('00000000-0000-4000-8000-000000000000'))).toMatchObject({
      code: 'NOT_FOUND',
      field: 'id',
    });
    expect(await rejection(catalog.getProduct('42'))).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'id' });
  });
});

describe('ProductCatalog.updateProduct', () => {
  let store: RecordingStore;
  let catalog: ProductCatalog;
  beforeEach(() => {
    store = new RecordingStore();
    catalog = new ProductCatalog(store, new TokenVerifier({ secret: TEST_JWT_SECRET }));
  });

  it('hands an admin change to the store and answers the changed product', async () => {
    const change = { price: { amount: 990, currency: 'EUR' }, stockDelta: -1 };
    const changed = await catalog.updateProduct(await tokenFor('admin'), KNOWN_ID.toUpperCase(), change);
    expect(store.updated).toEqual([{ id: KNOWN_ID, change }]);
    expect(changed).toMatchObject({ id: KNOWN_ID, price: change.price, stock: 0 });
  });

  it.each<[string, string, () => Promise<string | undefined>]>([
    ['no token', 'UNAUTHENTICATED', async () => undefined],
    ['a garbage token', 'UNAUTHENTICATED', async () => GARBAGE_TOKEN],
    ['a customer token', 'PERMISSION_DENIED', () => tokenFor('customer')],
  ])('refuses %s with %s before looking at the input', async (_case, code, token) => {
    const error = await rejection(catalog.updateProduct(await token(), 'not-a-uuid', { stockDelta: 0 }));
    expect(error.code).toBe(code);
    expect(store.updated).toEqual([]);
  });

  it.each<[string, unknown, unknown, string]>([
    ['a malformed id', '42', { stockDelta: 1 }, 'id'],
    ['no change at all', KNOWN_ID, {}, 'price'],
    ['a zero stockDelta', KNOWN_ID, { stockDelta: 0 }, 'stockDelta'],
    ['a fractional stockDelta', KNOWN_ID, { stockDelta: 1.5 }, 'stockDelta'],
    ['a stockDelta beyond the limit', KNOWN_ID, { stockDelta: -1_000_001 }, 'stockDelta'],
    ['a string stockDelta', KNOWN_ID, { stockDelta: '3' }, 'stockDelta'],
    ['a negative price', KNOWN_ID, { price: { amount: -1, currency: 'EUR' } }, 'price.amount'],
    ['a lower-case currency', KNOWN_ID, { price: { amount: 100, currency: 'eur' } }, 'price.currency'],
    ['an unknown field', KNOWN_ID, { stock: 5 }, 'stock'],
  ])('refuses %s with INVALID_ARGUMENT naming the field', async (_case, id, input, field) => {
    const error = await rejection(catalog.updateProduct(await tokenFor('admin'), id, input));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(store.updated).toEqual([]);
  });

  it('answers NOT_FOUND on id when the store has no such product', async () => {
    const error = await rejection(catalog.updateProduct(await tokenFor('admin'), UNKNOWN_ID, { stockDelta: 2 }));
    expect(error).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
  });
});
