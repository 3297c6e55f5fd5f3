import { CheckoutAttempts } from './checkout-attempts';
import { failureWords, itemIndex } from './outcomes';

const counter = () => {
  let n = 0;
  return () => `key-${++n}`;
};

describe('the Idempotency-Key of a checkout attempt', () => {
  const body = { items: [{ productId: 'p', quantity: 1 }], paymentToken: 'tok_visa' };

  it('repeats the key while the same attempt has no answer (double click, retry after a timeout)', () => {
    const attempts = new CheckoutAttempts(counter());
    expect(attempts.keyFor(body)).toBe('key-1');
    expect(attempts.keyFor({ ...body })).toBe('key-1');
  });

  it('takes a new key once the attempt was answered', () => {
    const attempts = new CheckoutAttempts(counter());
    attempts.keyFor(body);
    attempts.answered();
    expect(attempts.keyFor(body)).toBe('key-2');
  });

  it('takes a new key when the cart or the card changed', () => {
    const attempts = new CheckoutAttempts(counter());
    attempts.keyFor(body);
    expect(attempts.keyFor({ ...body, paymentToken: 'tok_mastercard' })).toBe('key-2');
  });
});

describe('what a customer reads about a failed order', () => {
  it('words each decline and names the line out of stock', () => {
    expect(failureWords('PAYMENT_DECLINED', { declineCode: 'insufficient_funds' })).toMatch(/insufficient funds/);
    expect(failureWords('PAYMENT_DECLINED', { declineCode: 'something_new' })).toMatch(/^Your card was declined/);
    expect(failureWords('OUT_OF_STOCK', { product: 'Tea' })).toMatch(/enough "Tea" in stock/);
    expect(failureWords('CONFIRMATION_FAILED')).toMatch(/try again/);
  });

  it('reads the cart line from the field the API names', () => {
    expect(itemIndex('items[3].quantity')).toBe(3);
    expect(itemIndex('paymentToken')).toBeUndefined();
  });
});
