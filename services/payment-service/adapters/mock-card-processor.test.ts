import { DomainError } from '../../../lib/runtime/errors';
import type { ProcessorChargeRequest } from '../domain/card-processor';
import { gate } from '../test-support/fakes';
import { MockCardProcessor, TEST_TOKENS } from './mock-card-processor';

const request = (overrides: Partial<ProcessorChargeRequest> = {}): ProcessorChargeRequest => ({
  idempotencyKey: 'pay-key-1',
  amount: { amount: 1999, currency: 'EUR' },
  paymentToken: 'tok_visa',
  orderId: 'order-1',
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('mock card processor (Stripe test tokens)', () => {
  let slowSleeps: number[];
  let processor: MockCardProcessor;

  beforeEach(() => {
    slowSleeps = [];
    processor = new MockCardProcessor({
      slowTokenDelayMs: 3000,
      sleep: async (ms) => {
        slowSleeps.push(ms);
      },
    });
  });

  it.each([
    ['tok_visa', 'SUCCEEDED', 'visa', '4242', undefined],
    ['tok_mastercard', 'SUCCEEDED', 'mastercard', '4444', undefined],
    ['tok_chargeDeclined', 'DECLINED', 'visa', '0002', 'card_declined'],
    ['tok_chargeDeclinedInsufficientFunds', 'DECLINED', 'visa', '9995', 'insufficient_funds'],
    ['tok_chargeDeclinedProcessingError', 'DECLINED', 'visa', '0119', 'processing_error'],
    ['tok_slow', 'SUCCEEDED', 'visa', '4242', undefined],
  ])('%s: %s, card %s ending %s, decline code %s', async (token, status, brand, last4, declineCode) => {
    const outcome = await processor.charge(request({ paymentToken: token }));
    expect(outcome.status).toBe(status);
    expect(outcome.card).toEqual({ brand, last4 });
    expect(outcome.status === 'DECLINED' ? outcome.declineCode : undefined).toBe(declineCode);
    expect(outcome.processorChargeId).toMatch(/^ch_[0-9a-f]{24}$/);
  });

  it('makes only tok_slow wait, for the configured delay', async () => {
    for (const token of Object.keys(TEST_TOKENS)) {
      await processor.charge(request({ idempotencyKey: token, paymentToken: token }));
    }
    expect(slowSleeps).toEqual([3000]);
  });

  it.each(['tok_unknown', 'tok_chargeCustomerFail', 'toString', '__proto__'])(
    'refuses the unknown token %s as INVALID_ARGUMENT paymentToken, remembering nothing under the key',
    async (token) => {
      const error = await rejection(processor.charge(request({ paymentToken: token })));
      expect([error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'paymentToken']);
      expect(processor.charges).toHaveLength(0);
      // The key is still free for a valid request.
      expect((await processor.charge(request())).status).toBe('SUCCEEDED');
    },
  );

  it('is idempotent by key: a repeated key returns the first charge and creates no other', async () => {
    const first = await processor.charge(request());
    const again = await processor.charge(request());
    expect(again).toEqual(first);
    expect(processor.charges).toHaveLength(1);
    const other = await processor.charge(request({ idempotencyKey: 'pay-key-2' }));
    expect(other.processorChargeId).not.toBe(first.processorChargeId);
    expect(processor.charges).toHaveLength(2);
  });

  it('shares one charge between concurrent calls with one key, even while the first is still running', async () => {
    const release = gate();
    const held = new MockCardProcessor({ slowTokenDelayMs: 1, sleep: () => release.promise });
    const calls = Array.from({ length: 5 }, () => held.charge(request({ paymentToken: 'tok_slow' })));
    release.open();
    const outcomes = await Promise.all(calls);
    expect(new Set(outcomes.map((o) => o.processorChargeId)).size).toBe(1);
    expect(held.charges).toHaveLength(1);
  });

  it('refuses a known key with other parameters', async () => {
    await processor.charge(request());
    const error = await rejection(processor.charge(request({ amount: { amount: 2000, currency: 'EUR' } })));
    expect([error.code, error.field, error.reason]).toEqual([
      'INVALID_ARGUMENT',
      'idempotencyKey',
      'IDEMPOTENCY_KEY_REUSED',
    ]);
    expect(processor.charges).toHaveLength(1);
  });

  describe('refunds', () => {
    it('refunds up to the charge, idempotently by key, and refuses more', async () => {
      const charge = await processor.charge(request());
      const refund = { processorChargeId: charge.processorChargeId, amount: { amount: 1000, currency: 'EUR' } };
      const first = await processor.refund({ idempotencyKey: 'r1', ...refund });
      expect(first.processorRefundId).toMatch(/^re_[0-9a-f]{24}$/);
      expect(await processor.refund({ idempotencyKey: 'r1', ...refund })).toEqual(first);
      const error = await rejection(processor.refund({ idempotencyKey: 'r2', ...refund }));
      expect([error.code, error.reason]).toEqual(['FAILED_PRECONDITION', 'REFUND_EXCEEDS_CHARGE']);
      await processor.refund({ idempotencyKey: 'r3', ...refund, amount: { amount: 999, currency: 'EUR' } });
      expect(processor.charges[0]?.refunded).toBe(1999);
    });

    it('refuses to refund a declined charge', async () => {
      const charge = await processor.charge(request({ paymentToken: 'tok_chargeDeclined' }));
      const error = await rejection(
        processor.refund({
          idempotencyKey: 'r1',
          processorChargeId: charge.processorChargeId,
          amount: request().amount,
        }),
      );
      expect([error.code, error.reason]).toEqual(['FAILED_PRECONDITION', 'CHARGE_NOT_REFUNDABLE']);
    });
  });
});
