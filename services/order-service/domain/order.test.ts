import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../lib/runtime/errors';
import {
  decodeCursor,
  encodeCursor,
  orderRequestHash,
  PAGE_SIZE,
  pageSize,
  parseOrderId,
  parseOrderRequest,
  totalOf,
} from './order';

const product = (): string => randomUUID();
const valid = () => ({
  idempotencyKey: 'checkout-2025-11-26:abc_1.2',
  items: [
    { productId: product(), quantity: 2 },
    { productId: product(), quantity: 1 },
  ],
  paymentToken: 'tok_visa',
});

function invalidField(input: unknown): { field?: string; code: string } {
  try {
    parseOrderRequest(input);
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, field: error.field };
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('parseOrderRequest', () => {
  it('accepts a valid request, lower-cases product ids, keeps item order, and hashes it', () => {
    const input = valid();
    const first = input.items[0];
    if (!first) throw new Error('no item');
    first.productId = first.productId.toUpperCase();
    const parsed = parseOrderRequest(input);
    expect(parsed.items.map((i) => i.productId)).toEqual(input.items.map((i) => i.productId.toLowerCase()));
    expect(parsed.idempotencyKey).toBe(input.idempotencyKey);
    expect(parsed.requestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the bounds: 50 items, quantity 1000, a 255-character key', () => {
    const items = Array.from({ length: 50 }, () => ({ productId: product(), quantity: 1000 }));
    expect(parseOrderRequest({ ...valid(), items, idempotencyKey: 'k'.repeat(255) }).items).toHaveLength(50);
  });

  it.each<[string, (r: ReturnType<typeof valid>) => unknown, string]>([
    ['no items', (r) => ({ ...r, items: [] }), 'items'],
    [
      '51 items',
      (r) => ({ ...r, items: Array.from({ length: 51 }, () => ({ productId: product(), quantity: 1 })) }),
      'items',
    ],
    ['items that are not a list', (r) => ({ ...r, items: 'two' }), 'items'],
    ['an item that is not an object', (r) => ({ ...r, items: [7] }), 'items[0]'],
    [
      'a product id that is not a UUID',
      (r) => ({ ...r, items: [{ productId: 'abc', quantity: 1 }] }),
      'items[0].productId',
    ],
    [
      'an empty product id (proto3 default)',
      (r) => ({ ...r, items: [{ productId: '', quantity: 1 }] }),
      'items[0].productId',
    ],
    [
      'quantity 0 (proto3 default)',
      (r) => ({ ...r, items: [r.items[0], { productId: product(), quantity: 0 }] }),
      'items[1].quantity',
    ],
    ['quantity 1001', (r) => ({ ...r, items: [{ productId: product(), quantity: 1001 }] }), 'items[0].quantity'],
    ['a negative quantity', (r) => ({ ...r, items: [{ productId: product(), quantity: -3 }] }), 'items[0].quantity'],
    ['a fractional quantity', (r) => ({ ...r, items: [{ productId: product(), quantity: 1.5 }] }), 'items[0].quantity'],
    [
      'the same product twice (in other letter case)',
      (r) => {
        const id = product();
        return {
          ...r,
          items: [
            { productId: id, quantity: 1 },
            { productId: id.toUpperCase(), quantity: 2 },
          ],
        };
      },
      'items[1].productId',
    ],
    ['an empty payment token', (r) => ({ ...r, paymentToken: '' }), 'paymentToken'],
    ['a payment token with a space', (r) => ({ ...r, paymentToken: 'tok visa' }), 'paymentToken'],
    ['a 256-character payment token', (r) => ({ ...r, paymentToken: 't'.repeat(256) }), 'paymentToken'],
    ['an empty idempotency key', (r) => ({ ...r, idempotencyKey: '' }), 'idempotencyKey'],
    ['a 256-character idempotency key', (r) => ({ ...r, idempotencyKey: 'k'.repeat(256) }), 'idempotencyKey'],
    ['an idempotency key with a slash', (r) => ({ ...r, idempotencyKey: 'a/b' }), 'idempotencyKey'],
    ['an idempotency key with a space', (r) => ({ ...r, idempotencyKey: 'a b' }), 'idempotencyKey'],
  ])('refuses %s, naming the field', (_case, change, field) => {
    expect(invalidField(change(valid()))).toEqual({ code: 'INVALID_ARGUMENT', field });
  });

  it('refuses a request that is not an object', () => {
    expect(invalidField(null).code).toBe('INVALID_ARGUMENT');
    expect(invalidField('order').code).toBe('INVALID_ARGUMENT');
  });
});

describe('orderRequestHash', () => {
  const a = product();
  const b = product();

  it('is the same for the same cart in another order', () => {
    expect(
      orderRequestHash(
        [
          { productId: a, quantity: 1 },
          { productId: b, quantity: 2 },
        ],
        'tok_visa',
      ),
    ).toBe(
      orderRequestHash(
        [
          { productId: b, quantity: 2 },
          { productId: a, quantity: 1 },
        ],
        'tok_visa',
      ),
    );
  });

  it('differs for another quantity, another product or another payment token', () => {
    const base = orderRequestHash([{ productId: a, quantity: 1 }], 'tok_visa');
    expect(orderRequestHash([{ productId: a, quantity: 2 }], 'tok_visa')).not.toBe(base);
    expect(orderRequestHash([{ productId: b, quantity: 1 }], 'tok_visa')).not.toBe(base);
    expect(orderRequestHash([{ productId: a, quantity: 1 }], 'tok_chargeDeclined')).not.toBe(base);
  });
});

describe('totalOf', () => {
  it('sums quantity x unit price in minor units', () => {
    expect(
      totalOf([
        { quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } },
        { quantity: 1, unitPrice: { amount: 3450, currency: 'EUR' } },
      ]),
    ).toEqual({ ok: true, total: { amount: 7448, currency: 'EUR' } });
  });

  it('refuses mixed currencies', () => {
    expect(
      totalOf([
        { quantity: 1, unitPrice: { amount: 100, currency: 'EUR' } },
        { quantity: 1, unitPrice: { amount: 100, currency: 'USD' } },
      ]),
    ).toMatchObject({ ok: false, code: 'MIXED_CURRENCY' });
  });

  it('refuses a total beyond the safe integer range', () => {
    expect(totalOf([{ quantity: 1000, unitPrice: { amount: 1e13, currency: 'EUR' } }])).toMatchObject({
      ok: false,
      code: 'AMOUNT_TOO_LARGE',
    });
  });
});

describe('ids, page sizes and cursors', () => {
  it('parses an order id (lower case) and refuses a malformed one on `id`', () => {
    const id = randomUUID();
    expect(parseOrderId(id.toUpperCase())).toBe(id);
    for (const bad of ['', 'nope', 42, undefined]) {
      expect(() => parseOrderId(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'id' }));
    }
  });

  it('defaults, caps and refuses page sizes like product-service', () => {
    expect(pageSize(undefined)).toBe(PAGE_SIZE.default);
    expect(pageSize(0)).toBe(20);
    expect(pageSize(1)).toBe(1);
    expect(pageSize(100)).toBe(100);
    expect(pageSize(101)).toBe(100);
    expect(() => pageSize(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'limit' }));
  });

  it('round-trips a cursor and refuses anything it did not issue', () => {
    const position = { createdAt: '2025-11-26T09:15:01.902123Z', id: randomUUID() };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    const forged = [
      'not a cursor!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from(JSON.stringify(['2025-13-40T00:00:00.000000Z', position.id])).toString('base64url'),
      Buffer.from(JSON.stringify([position.createdAt, 'x'])).toString('base64url'),
      Buffer.from(JSON.stringify([position.createdAt, position.id.toUpperCase()])).toString('base64url'),
    ];
    for (const cursor of forged) {
      expect(() => decodeCursor(cursor)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'cursor' }),
      );
    }
  });
});
