import { DomainError } from '../../../lib/runtime/errors';
import {
  type ChargeInput,
  chargeFingerprint,
  parseChargeId,
  parseChargeInput,
  parseRefundInput,
  type RefundInput,
  refundAmount,
  refundFingerprint,
} from './payment';

const validCharge: ChargeInput = {
  idempotencyKey: 'order-1:charge',
  amount: { amount: 2599, currency: 'EUR' },
  paymentToken: 'tok_visa',
  orderId: 'order-1',
  customerId: 'customer-1',
};

const validRefund: RefundInput = {
  idempotencyKey: 'order-1:refund-1',
  chargeId: '0b8c4c9e-7d1a-4a57-9d7e-2f0d3c1b5a66',
  amount: undefined,
  reason: '',
};

function rejection(parse: () => unknown): DomainError {
  try {
    parse();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the input to be rejected');
}

describe('charge request validation', () => {
  it('accepts a valid request unchanged', () => {
    expect(parseChargeInput(validCharge)).toEqual(validCharge);
  });

  it('accepts the limits: a 255-character key of every allowed character class, 1 and 10^12 minor units', () => {
    const key = `aZ09._:-${'k'.repeat(247)}`;
    expect(parseChargeInput({ ...validCharge, idempotencyKey: key }).idempotencyKey).toBe(key);
    expect(parseChargeInput({ ...validCharge, amount: { amount: 1, currency: 'JPY' } }).amount.amount).toBe(1);
    expect(parseChargeInput({ ...validCharge, amount: { amount: 1e12, currency: 'USD' } }).amount.amount).toBe(1e12);
    expect(parseChargeInput({ ...validCharge, orderId: 'é'.repeat(100) }).orderId).toHaveLength(100);
  });

  it.each<[string, Partial<ChargeInput>, string]>([
    ['an empty idempotency key', { idempotencyKey: '' }, 'idempotencyKey'],
    ['a 256-character idempotency key', { idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey'],
    ['a space in the idempotency key', { idempotencyKey: 'order 1' }, 'idempotencyKey'],
    ['a slash in the idempotency key', { idempotencyKey: 'order/1' }, 'idempotencyKey'],
    ['a non-ASCII idempotency key', { idempotencyKey: 'commande-é' }, 'idempotencyKey'],
    ['no amount', { amount: undefined }, 'amount'],
    ['a zero amount', { amount: { amount: 0, currency: 'EUR' } }, 'amount.amount'],
    ['a negative amount', { amount: { amount: -100, currency: 'EUR' } }, 'amount.amount'],
    ['a fractional amount', { amount: { amount: 10.5, currency: 'EUR' } }, 'amount.amount'],
    ['an amount above 10^12', { amount: { amount: 1e12 + 1, currency: 'EUR' } }, 'amount.amount'],
    ['an empty currency', { amount: { amount: 100, currency: '' } }, 'amount.currency'],
    ['a lower-case currency', { amount: { amount: 100, currency: 'eur' } }, 'amount.currency'],
    ['a 4-letter currency', { amount: { amount: 100, currency: 'EURO' } }, 'amount.currency'],
    ['no payment token', { paymentToken: '' }, 'paymentToken'],
    ['a payment token with a space', { paymentToken: 'tok visa' }, 'paymentToken'],
    ['a payment token with a NUL', { paymentToken: 'tok_visa\u0000' }, 'paymentToken'],
    ['a payment token of 256 characters', { paymentToken: `tok_${'x'.repeat(252)}` }, 'paymentToken'],
    ['no order id', { orderId: '' }, 'orderId'],
    ['a blank order id', { orderId: '   ' }, 'orderId'],
    ['an order id of 101 characters', { orderId: 'o'.repeat(101) }, 'orderId'],
    ['an order id with a NUL', { orderId: 'order\u00001' }, 'orderId'],
    ['no customer id', { customerId: '' }, 'customerId'],
    ['a customer id of 101 characters', { customerId: 'c'.repeat(101) }, 'customerId'],
    ['a customer id with a newline', { customerId: 'customer\n1' }, 'customerId'],
  ])('rejects %s as INVALID_ARGUMENT naming the field', (_case, change, field) => {
    const error = rejection(() => parseChargeInput({ ...validCharge, ...change }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe(field);
    expect(error.message).toContain(`'${field}'`);
  });

  it('never echoes the payment token in an error message', () => {
    const error = rejection(() => parseChargeInput({ ...validCharge, paymentToken: 'tok secret' }));
    expect(error.message).not.toContain('tok secret');
  });
});

describe('refund request validation', () => {
  it('reads an absent amount, or an amount of zero, as "the whole remaining amount"', () => {
    expect(parseRefundInput(validRefund)).toEqual({
      idempotencyKey: validRefund.idempotencyKey,
      chargeId: validRefund.chargeId,
      reason: '',
    });
    expect(parseRefundInput({ ...validRefund, amount: { amount: 0, currency: '' } }).amount).toBeUndefined();
    expect(parseRefundInput({ ...validRefund, amount: { amount: 0, currency: 'EUR' } })).toMatchObject({
      currency: 'EUR',
    });
  });

  it('keeps a partial amount and its currency, and lower-cases the charge id', () => {
    const parsed = parseRefundInput({
      ...validRefund,
      chargeId: validRefund.chargeId.toUpperCase(),
      amount: { amount: 500, currency: 'EUR' },
      reason: 'requested_by_customer',
    });
    expect(parsed).toEqual({
      idempotencyKey: validRefund.idempotencyKey,
      chargeId: validRefund.chargeId,
      amount: 500,
      currency: 'EUR',
      reason: 'requested_by_customer',
    });
  });

  it.each<[string, Partial<RefundInput>, string]>([
    ['an empty idempotency key', { idempotencyKey: '' }, 'idempotencyKey'],
    ['a 256-character idempotency key', { idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey'],
    ['an empty charge id', { chargeId: '' }, 'chargeId'],
    ['a charge id that is not a UUID', { chargeId: 'ch_123' }, 'chargeId'],
    ['a negative amount', { amount: { amount: -1, currency: 'EUR' } }, 'amount.amount'],
    ['a fractional amount', { amount: { amount: 1.5, currency: 'EUR' } }, 'amount.amount'],
    ['an amount above 10^12', { amount: { amount: 1e12 + 1, currency: 'EUR' } }, 'amount.amount'],
    ['a partial amount without a currency', { amount: { amount: 500, currency: '' } }, 'amount.currency'],
    ['a lower-case currency', { amount: { amount: 500, currency: 'eur' } }, 'amount.currency'],
    ['a reason of 201 characters', { reason: 'r'.repeat(201) }, 'reason'],
    ['a reason with a NUL', { reason: 'dup\u0000' }, 'reason'],
  ])('rejects %s as INVALID_ARGUMENT naming the field', (_case, change, field) => {
    const error = rejection(() => parseRefundInput({ ...validRefund, ...change }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe(field);
  });

  it('rejects a malformed charge id for GetCharge as INVALID_ARGUMENT on field id', () => {
    const error = rejection(() => parseChargeId('not-a-uuid'));
    expect([error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'id']);
    expect(parseChargeId(validRefund.chargeId.toUpperCase())).toBe(validRefund.chargeId);
  });
});

describe('request fingerprints', () => {
  const command = parseChargeInput(validCharge);

  it('are equal for equal requests and differ when any charge field differs', () => {
    expect(chargeFingerprint(parseChargeInput({ ...validCharge }))).toBe(chargeFingerprint(command));
    const variants: Partial<ChargeInput>[] = [
      { amount: { amount: 2600, currency: 'EUR' } },
      { amount: { amount: 2599, currency: 'USD' } },
      { paymentToken: 'tok_mastercard' },
      { orderId: 'order-2' },
      { customerId: 'customer-2' },
    ];
    for (const change of variants) {
      expect(chargeFingerprint(parseChargeInput({ ...validCharge, ...change }))).not.toBe(chargeFingerprint(command));
    }
  });

  it('are SHA-256 digests, so the stored hash never holds the payment token itself', () => {
    expect(chargeFingerprint(command)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treat an absent refund amount and a zero one as the same request, and a partial one as another', () => {
    const absent = refundFingerprint(parseRefundInput(validRefund));
    expect(refundFingerprint(parseRefundInput({ ...validRefund, amount: { amount: 0, currency: '' } }))).toBe(absent);
    expect(refundFingerprint(parseRefundInput({ ...validRefund, amount: { amount: 5, currency: 'EUR' } }))).not.toBe(
      absent,
    );
  });
});

describe('refund amount rule', () => {
  const charge = { status: 'SUCCEEDED' as const, amount: { amount: 1000, currency: 'EUR' } };
  const command = (amount?: number, currency?: string) => ({
    idempotencyKey: 'k',
    chargeId: validRefund.chargeId,
    reason: '',
    ...(amount === undefined ? {} : { amount }),
    ...(currency === undefined ? {} : { currency }),
  });

  it('defaults to the remainder after succeeded and pending refunds, and allows exactly the remainder', () => {
    expect(refundAmount(charge, 0, command())).toBe(1000);
    expect(refundAmount(charge, 300, command())).toBe(700);
    expect(refundAmount(charge, 300, command(700, 'EUR'))).toBe(700);
  });

  it.each<[string, Parameters<typeof refundAmount>, string, string | undefined]>([
    ['an unknown charge', [undefined, 0, command()], 'NOT_FOUND', undefined],
    ['a pending charge', [{ ...charge, status: 'PENDING' }, 0, command()], 'NOT_FOUND', undefined],
    [
      'a declined charge',
      [{ ...charge, status: 'DECLINED' }, 0, command()],
      'FAILED_PRECONDITION',
      'CHARGE_NOT_REFUNDABLE',
    ],
    [
      'a voided charge',
      [{ ...charge, status: 'VOIDED' }, 0, command()],
      'FAILED_PRECONDITION',
      'CHARGE_NOT_REFUNDABLE',
    ],
    ['one unit more than the remainder', [charge, 300, command(701)], 'FAILED_PRECONDITION', 'REFUND_EXCEEDS_CHARGE'],
    ['anything once fully refunded', [charge, 1000, command()], 'FAILED_PRECONDITION', 'REFUND_EXCEEDS_CHARGE'],
    ['another currency', [charge, 0, command(100, 'USD')], 'INVALID_ARGUMENT', undefined],
  ])('refuses %s', (_case, args, code, reason) => {
    const error = rejection(() => refundAmount(...args));
    expect(error.code).toBe(code);
    expect(error.reason).toBe(reason);
  });
});
