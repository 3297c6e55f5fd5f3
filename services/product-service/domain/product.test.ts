import { DomainError } from '../../../lib/runtime/errors';
import { decodeCursor, encodeCursor, PAGE_SIZE, pageSize, parseNewProduct, parseProductId } from './product';

const valid = { name: 'Moka pot', description: 'Six cups', price: { amount: 2990, currency: 'EUR' }, stock: 5 };

/** The DomainError `run` throws (fails the test when it throws nothing or something else). */
function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('parseNewProduct', () => {
  it('accepts a valid product, trimming the name and defaulting the description', () => {
    expect(parseNewProduct({ ...valid, name: '  Moka pot  ' })).toEqual(valid);
    const { description: _omitted, ...withoutDescription } = valid;
    expect(parseNewProduct(withoutDescription).description).toBe('');
  });

  it('accepts the bounds: 200-character name, 2000-character description, price 0 and 10^12, stock 0 and 10^6', () => {
    expect(() => parseNewProduct({ ...valid, name: 'n'.repeat(200), description: 'd'.repeat(2000) })).not.toThrow();
    expect(() => parseNewProduct({ ...valid, price: { amount: 1, currency: 'EUR' }, stock: 0 })).not.toThrow();
    expect(() => parseNewProduct({ ...valid, price: { amount: 2e7, currency: 'JPY' }, stock: 1e6 })).not.toThrow();
  });

  it('counts characters, not UTF-16 units, as PostgreSQL does', () => {
    expect(() => parseNewProduct({ ...valid, name: '☕'.repeat(200) })).not.toThrow();
    expect(() => parseNewProduct({ ...valid, name: '🏕️'.repeat(100) })).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing name', { name: undefined }, 'name'],
    ['an empty name', { name: '' }, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a 201-character name', { name: 'n'.repeat(201) }, 'name'],
    ['a name that is a number', { name: 42 }, 'name'],
    ['a name with a control character', { name: 'Moka\u0000pot' }, 'name'],
    ['a 2001-character description', { description: 'd'.repeat(2001) }, 'description'],
    ['a description with a NUL', { description: 'a\u0000b' }, 'description'],
    ['a description that is null', { description: null }, 'description'],
    ['a missing price', { price: undefined }, 'price'],
    ['a price that is a number', { price: 2990 }, 'price'],
    ['a negative amount', { price: { amount: -1, currency: 'EUR' } }, 'price.amount'],
    ['a free product (nothing to charge)', { price: { amount: 0, currency: 'EUR' } }, 'price.amount'],
    ['a fractional amount', { price: { amount: 29.9, currency: 'EUR' } }, 'price.amount'],
    ['an amount above 2 x 10^7', { price: { amount: 2e7 + 1, currency: 'EUR' } }, 'price.amount'],
    ['an amount given as a string', { price: { amount: '2990', currency: 'EUR' } }, 'price.amount'],
    ['an amount that is NaN', { price: { amount: Number.NaN, currency: 'EUR' } }, 'price.amount'],
    ['a lower-case currency', { price: { amount: 1, currency: 'eur' } }, 'price.currency'],
    ['a four-letter currency', { price: { amount: 1, currency: 'EURO' } }, 'price.currency'],
    ['a missing currency', { price: { amount: 1 } }, 'price.currency'],
    ['an unknown field in price', { price: { amount: 1, currency: 'EUR', cents: 1 } }, 'price.cents'],
    ['a negative stock', { stock: -1 }, 'stock'],
    ['a fractional stock', { stock: 1.5 }, 'stock'],
    ['a stock above 10^6', { stock: 1e6 + 1 }, 'stock'],
    ['a stock given as a string', { stock: '5' }, 'stock'],
    ['an unknown field', { colour: 'red' }, 'colour'],
  ])('rejects %s as INVALID_ARGUMENT naming the field', (_case, change, field) => {
    const error = errorOf(() => parseNewProduct({ ...valid, ...change }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it.each([null, 'text', 42, [valid]])('rejects a request that is not an object (%p) without a field', (input) => {
    const error = errorOf(() => parseNewProduct(input));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBeUndefined();
  });
});

describe('parseProductId', () => {
  it('accepts a UUID and lower-cases it', () => {
    expect(parseProductId('3F2504E0-4F89-41D3-9A0C-0305E82C3301')).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301');
  });

  it.each(['', 'abc', '3f2504e0-4f89-41d3-9a0c-0305e82c330', '3f2504e0-4f89-41d3-9a0c-0305e82c3301x', 42, undefined])(
    'rejects %p as INVALID_ARGUMENT on id',
    (id) => {
      const error = errorOf(() => parseProductId(id));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.field).toBe('id');
    },
  );
});

describe('pageSize', () => {
  it('defaults when absent or 0 (proto3 unset)', () => {
    expect(pageSize(undefined)).toBe(PAGE_SIZE.default);
    expect(pageSize(0)).toBe(20);
  });

  it('keeps 1..100 and caps larger values at 100', () => {
    expect(pageSize(1)).toBe(1);
    expect(pageSize(100)).toBe(100);
    expect(pageSize(101)).toBe(100);
    expect(pageSize(1_000_000)).toBe(100);
  });

  it.each([-1, 1.5, Number.NaN])('rejects %p as INVALID_ARGUMENT on limit', (limit) => {
    const error = errorOf(() => pageSize(limit));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('limit');
  });
});

describe('cursors', () => {
  const position = { createdAt: '2025-11-26T09:00:00.123456Z', id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' };

  it('round-trip a position through an opaque base64url string', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  const reencode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const cursor = encodeCursor(position);
  it.each<[string, string]>([
    ['not base64url', 'abc$def'],
    ['base64 with padding', `${Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64')}==`],
    ['a truncated cursor', cursor.slice(0, -3)],
    ['a cursor with a flipped character', `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON object', reencode({ createdAt: position.createdAt, id: position.id })],
    ['a tuple of three', reencode([position.createdAt, position.id, 1])],
    ['a millisecond timestamp', reencode(['2025-11-26T09:00:00.123Z', position.id])],
    ['an impossible date', reencode(['2025-02-30T09:00:00.000000Z', position.id])],
    ['a malformed id', reencode([position.createdAt, 'not-a-uuid'])],
    ['an upper-case id', reencode([position.createdAt, position.id.toUpperCase()])],
    ['an overlong cursor', 'A'.repeat(300)],
  ])('reject %s as INVALID_ARGUMENT on cursor', (_case, bad) => {
    const error = errorOf(() => decodeCursor(bad));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('cursor');
  });
});
