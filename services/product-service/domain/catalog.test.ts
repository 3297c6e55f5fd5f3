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
import type { NewProduct, Product } from './product';

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
