import { formatMoney, minorDigits, parsePrice } from './money';

describe('money in the pages', () => {
  it('shows minor units in the currency’s own digits', () => {
    expect(formatMoney({ amount: 1999, currency: 'EUR' })).toBe('€19.99');
    expect(formatMoney({ amount: 500, currency: 'JPY' })).toBe('JP¥500');
    expect(minorDigits('JPY')).toBe(0);
  });

  it('reads a typed price into minor units', () => {
    expect(parsePrice('19.99', 'EUR')).toBe(1999);
    expect(parsePrice(' 19,9 ', 'EUR')).toBe(1990);
    expect(parsePrice('20', 'EUR')).toBe(2000);
    expect(parsePrice('500', 'JPY')).toBe(500);
  });

  it.each(['', 'abc', '-5', '1.999', '1e3', '12.', '٣'])('refuses %j as a EUR price', (text) => {
    expect(parsePrice(text, 'EUR')).toBeUndefined();
  });

  it('refuses decimals in a currency without minor units', () => {
    expect(parsePrice('5.5', 'JPY')).toBeUndefined();
  });
});
