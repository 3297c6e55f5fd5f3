import { DomainError } from '../../../lib/runtime/errors';
import { parseReservationId, parseReservationRequest, reservationHash } from './reservation';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('parseReservationRequest', () => {
  it('keeps the request order, numbers the lines, lower-cases ids and hashes the canonical form', () => {
    const parsed = parseReservationRequest({
      reservationId: 'order-1:attempt.2_x',
      lines: [
        { productId: B.toUpperCase(), quantity: 2 },
        { productId: A, quantity: 1 },
      ],
    });
    expect(parsed.reservationId).toBe('order-1:attempt.2_x');
    expect(parsed.lines).toEqual([
      { index: 0, productId: B, quantity: 2 },
      { index: 1, productId: A, quantity: 1 },
    ]);
    expect(parsed.requestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the same lines in another order alike, and other lines differently', () => {
    const ab = reservationHash([
      { productId: A, quantity: 1 },
      { productId: B, quantity: 2 },
    ]);
    const ba = reservationHash([
      { productId: B, quantity: 2 },
      { productId: A, quantity: 1 },
    ]);
    expect(ab).toBe(ba);
    expect(reservationHash([{ productId: A, quantity: 1 }])).not.toBe(ab);
    expect(
      reservationHash([
        { productId: A, quantity: 2 },
        { productId: B, quantity: 1 },
      ]),
    ).not.toBe(ab);
  });

  const line = { productId: A, quantity: 1 };
  it.each<[string, Record<string, unknown>, string]>([
    ['an empty reservation id', { reservationId: '' }, 'reservationId'],
    ['a 101-character reservation id', { reservationId: 'r'.repeat(101) }, 'reservationId'],
    ['a reservation id with a space', { reservationId: 'order 1' }, 'reservationId'],
    ['a reservation id with a slash', { reservationId: 'order/1' }, 'reservationId'],
    ['a numeric reservation id', { reservationId: 1 }, 'reservationId'],
    ['no lines', { lines: [] }, 'lines'],
    ['51 lines', { lines: Array.from({ length: 51 }, () => line) }, 'lines'],
    ['lines that are not a list', { lines: line }, 'lines'],
    ['a line that is not an object', { lines: [line, 'x'] }, 'lines[1]'],
    ['a malformed product id', { lines: [line, { productId: 'nope', quantity: 1 }] }, 'lines[1].productId'],
    ['a missing product id', { lines: [{ quantity: 1 }] }, 'lines[0].productId'],
    ['a zero quantity', { lines: [{ productId: A, quantity: 0 }] }, 'lines[0].quantity'],
    ['a negative quantity', { lines: [{ productId: A, quantity: -3 }] }, 'lines[0].quantity'],
    ['a quantity of 1001', { lines: [{ productId: A, quantity: 1001 }] }, 'lines[0].quantity'],
    ['a fractional quantity', { lines: [{ productId: A, quantity: 1.5 }] }, 'lines[0].quantity'],
    ['a quantity given as a string', { lines: [{ productId: A, quantity: '1' }] }, 'lines[0].quantity'],
    [
      'a repeated product (even in another case)',
      { lines: [line, { productId: B, quantity: 1 }, { productId: A.toUpperCase(), quantity: 2 }] },
      'lines[2].productId',
    ],
    ['an unknown field in a line', { lines: [{ ...line, note: 'x' }] }, 'lines[0].note'],
    ['an unknown field', { priority: 'high' }, 'priority'],
  ])('rejects %s as INVALID_ARGUMENT naming the field', (_case, change, field) => {
    const error = errorOf(() => parseReservationRequest({ reservationId: 'r-1', lines: [line], ...change }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe(field);
  });

  it('accepts 50 lines of distinct products and a 100-character id', () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({
      productId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      quantity: 1000,
    }));
    expect(parseReservationRequest({ reservationId: 'r'.repeat(100), lines }).lines).toHaveLength(50);
  });
});

describe('parseReservationId', () => {
  it('accepts a well-formed id and rejects a malformed one on reservationId', () => {
    expect(parseReservationId('order-1')).toBe('order-1');
    const error = errorOf(() => parseReservationId(''));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('reservationId');
  });
});
