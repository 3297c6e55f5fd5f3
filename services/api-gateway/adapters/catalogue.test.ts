import type { ListProductsResponse, Product } from '../../../lib/contracts/gen/shopfront/product/v1/product';
import { CachedCatalogue, type ProductsUpstream } from './catalogue';
import type { CallContext } from './peers';
import { ReadCache } from './read-cache';

const call = {} as CallContext;

class Clock {
  ms = 0;
  now = () => this.ms;
}

describe('ReadCache', () => {
  it('serves an entry until its time is up, then loads it again', async () => {
    const clock = new Clock();
    const cache = new ReadCache<number>(1000, 10, clock.now);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    clock.ms = 999;
    expect(await cache.get('k', load)).toBe(1);
    clock.ms = 1000;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('shares one load among concurrent misses of a key', async () => {
    const cache = new ReadCache<string>(1000, 10);
    let loads = 0;
    let release: (value: string) => void = () => undefined;
    const load = () => {
      loads += 1;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    };
    const readers = Array.from({ length: 50 }, () => cache.get('page', load));
    release('v');
    expect(await Promise.all(readers)).toEqual(Array(50).fill('v'));
    expect(loads).toBe(1);
  });

  it('never keeps a failed load: the next read tries again', async () => {
    const cache = new ReadCache<string>(1000, 10);
    await expect(cache.get('k', async () => Promise.reject(new Error('upstream down')))).rejects.toThrow(
      'upstream down',
    );
    expect(await cache.get('k', async () => 'back')).toBe('back');
  });

  it('holds at most maxEntries keys, dropping the oldest loaded', async () => {
    const cache = new ReadCache<number>(1000, 2);
    let loads = 0;
    const load = async () => ++loads;
    await cache.get('a', load);
    await cache.get('b', load);
    await cache.get('c', load);
    expect(cache.size).toBe(2);
    expect(await cache.get('a', load)).toBe(4);
  });

  it('with a time to live of 0 loads every time', async () => {
    const cache = new ReadCache<number>(0, 10);
    let loads = 0;
    const load = async () => ++loads;
    await cache.get('k', load);
    await cache.get('k', load);
    expect(loads).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe('CachedCatalogue', () => {
  const product = (id: string, stock: number) => ({ id, name: id, stock }) as unknown as Product;

  function upstream() {
    const calls: string[] = [];
    let stock = 10;
    const fake: ProductsUpstream = {
      listProducts: async (request) => {
        calls.push(`list ${request.limit} ${request.cursor}`);
        return { items: [product('p1', stock)], nextCursor: '' } as ListProductsResponse;
      },
      getProduct: async (request) => {
        calls.push(`get ${request.id}`);
        return product(request.id, stock);
      },
      createProduct: async (request) => {
        calls.push('create');
        return product(request.name, 1);
      },
      updateProduct: async (request) => {
        calls.push(`update ${request.id}`);
        stock += request.stockDelta ?? 0;
        return product(request.id, stock);
      },
    };
    const setStock = (n: number) => {
      stock = n;
    };
    return { fake, calls, setStock };
  }

  it('answers repeated reads of a page from the cache within its time to live, and from upstream after', async () => {
    const clock = new Clock();
    const { fake, calls, setStock } = upstream();
    const catalogue = new CachedCatalogue(fake, 1000, clock.now);
    await catalogue.listProducts({ limit: 20, cursor: '' }, call);
    setStock(3);
    expect((await catalogue.listProducts({ limit: 20, cursor: '' }, call)).items[0]?.stock).toBe(10);
    await catalogue.listProducts({ limit: 5, cursor: '' }, call);
    clock.ms = 1000;
    expect((await catalogue.listProducts({ limit: 20, cursor: '' }, call)).items[0]?.stock).toBe(3);
    expect(calls).toEqual(['list 20 ', 'list 5 ', 'list 20 ']);
  });

  it('reads one product once per time to live, whatever the case of its id', async () => {
    const { fake, calls } = upstream();
    const catalogue = new CachedCatalogue(fake, 1000);
    await catalogue.getProduct({ id: 'ABC' }, call);
    await catalogue.getProduct({ id: 'abc' }, call);
    expect(calls).toEqual(['get ABC']);
  });

  it('forgets every page and product when a product is created through it', async () => {
    const { fake, calls } = upstream();
    const catalogue = new CachedCatalogue(fake, 1000);
    await catalogue.listProducts({ limit: 20, cursor: '' }, call);
    await catalogue.getProduct({ id: 'p1' }, call);
    await catalogue.createProduct({ name: 'new' } as never, call);
    await catalogue.listProducts({ limit: 20, cursor: '' }, call);
    await catalogue.getProduct({ id: 'p1' }, call);
    expect(calls).toEqual(['list 20 ', 'get p1', 'create', 'list 20 ', 'get p1']);
  });

  it('forgets every page and product when a product is changed through it, so the new stock shows at once', async () => {
    const { fake, calls } = upstream();
    const catalogue = new CachedCatalogue(fake, 1000);
    await catalogue.listProducts({ limit: 20, cursor: '' }, call);
    await catalogue.getProduct({ id: 'p1' }, call);
    await catalogue.updateProduct({ id: 'p1', price: undefined, stockDelta: 5 }, call);
    expect((await catalogue.listProducts({ limit: 20, cursor: '' }, call)).items[0]?.stock).toBe(15);
    expect((await catalogue.getProduct({ id: 'p1' }, call)).stock).toBe(15);
    expect(calls).toEqual(['list 20 ', 'get p1', 'update p1', 'list 20 ', 'get p1']);
  });
});
