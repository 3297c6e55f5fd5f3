import { formatMoney, moneySchema } from './index';

describe('formatMoney', () => {
  it.each([
    [{ amount: 7448, currency: 'EUR' }, '€74.48'],
    [{ amount: 5, currency: 'EUR' }, '€0.05'],
    [{ amount: 0, currency: 'USD' }, '$0.00'],
    [{ amount: 3600, currency: 'JPY' }, '¥3,600'],
    [{ amount: 12345, currency: 'BHD' }, 'BHD 12.345'],
    [{ amount: Number.MAX_SAFE_INTEGER, currency: 'USD' }, '$90,071,992,547,409.91'],
  ])('formats %o as %s using the currency’s minor unit', (money, expected) => {
    expect(formatMoney(money).replace(/\u00a0/g, ' ')).toBe(expected);
  });
});

describe('moneySchema', () => {
  it('rejects integers beyond the safe range, which would silently lose cents', () => {
    expect(moneySchema.safeParse({ amount: Number.MAX_SAFE_INTEGER + 1, currency: 'USD' }).success).toBe(false);
  });
});
