import { validate } from './json-schema';

describe('the test JSON Schema validator', () => {
  const product = {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      price: {
        type: 'object',
        properties: { amount: { type: 'integer', minimum: 0 }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
        required: ['amount', 'currency'],
        additionalProperties: false,
      },
      tags: { type: 'array', items: { type: 'string', enum: ['new', 'sale'] } },
      cursor: { type: ['string', 'null'] },
    },
    required: ['id', 'price'],
    additionalProperties: false,
  };
  const valid = {
    id: '3f2b9a64-0c1d-4e8f-9a7b-6c5d4e3f2a10',
    price: { amount: 5, currency: 'EUR' },
    tags: ['new'],
    cursor: null,
  };

  it('accepts a conforming value', () => {
    expect(validate(product, valid)).toEqual([]);
  });

  it.each([
    ['an extra property', { ...valid, extra: 1 }, '$.extra: no value is allowed here'],
    ['a missing property', { id: valid.id }, '$: missing required property "price"'],
    [
      'a float for an integer',
      { ...valid, price: { amount: 1.5, currency: 'EUR' } },
      '$.price.amount: expected integer, got number',
    ],
    ['a value below the minimum', { ...valid, price: { amount: -1, currency: 'EUR' } }, '$.price.amount: below 0'],
    [
      'a pattern mismatch',
      { ...valid, price: { amount: 1, currency: 'eur' } },
      '$.price.currency: does not match ^[A-Z]{3}$',
    ],
    ['a value outside the enum', { ...valid, tags: ['old'] }, '$.tags[0]: "old" is not one of ["new","sale"]'],
    ['a wrong type in a type list', { ...valid, cursor: 1 }, '$.cursor: expected string or null, got integer'],
    ['a malformed uuid', { ...valid, id: 'x' }, '$.id: not a valid uuid'],
  ])('reports %s', (_, value, problem) => {
    expect(validate(product, value)).toContain(problem);
  });

  it('resolves local $ref against the root document', () => {
    const root = { components: { schemas: { N: { type: 'integer' } } } };
    expect(validate({ $ref: '#/components/schemas/N' }, 1, root)).toEqual([]);
    expect(validate({ $ref: '#/components/schemas/N' }, 'one', root)).toEqual(['$: expected integer, got string']);
    expect(() => validate({ $ref: '#/components/schemas/Missing' }, 1, root)).toThrow(/does not resolve/);
  });

  it('checks record-like objects through additionalProperties and propertyNames', () => {
    const record = { type: 'object', propertyNames: { type: 'string' }, additionalProperties: { type: 'boolean' } };
    expect(validate(record, { a: true })).toEqual([]);
    expect(validate(record, { a: 'yes' })).toEqual(['$.a: expected boolean, got string']);
  });

  it('refuses a keyword it does not implement instead of passing it', () => {
    expect(() => validate({ type: 'string', contentEncoding: 'base64' }, 'x')).toThrow(
      /does not support contentEncoding/,
    );
  });

  it('checks minProperties on objects and refuses what `not` matches', () => {
    const change = { type: 'object', minProperties: 1, properties: { n: { type: 'integer', not: { const: 0 } } } };
    expect(validate(change, { n: 2 })).toEqual([]);
    expect(validate(change, {})).toEqual(['$: fewer than 1 properties']);
    expect(validate(change, { n: 0 })).toEqual(['$.n: matches a schema it must not match']);
  });
});
