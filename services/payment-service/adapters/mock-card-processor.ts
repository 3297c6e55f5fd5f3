import { randomUUID } from 'node:crypto';
import { DomainError, InvalidArgumentError } from '../../../lib/runtime/errors';
import type {
  CardDetails,
  CardProcessor,
  DeclineCode,
  ProcessorCharge,
  ProcessorChargeRequest,
  ProcessorRefund,
  ProcessorRefundRequest,
} from '../domain/card-processor';
import { ChargeNotRefundableError, IDEMPOTENCY_KEY_REUSED, RefundExceedsChargeError } from '../domain/errors';
import type { Money } from '../domain/payment';

interface TestCard extends CardDetails {
  readonly declineCode?: DeclineCode;
  /** Answers after the configured slow delay (ours, for timeout tests; not a Stripe token). */
  readonly slow?: boolean;
}

/** Stripe's test tokens (with the cards Stripe documents behind them), plus our `tok_slow`. */
export const TEST_TOKENS: Readonly<Record<string, TestCard>> = {
  tok_visa: { brand: 'visa', last4: '4242' },
  tok_mastercard: { brand: 'mastercard', last4: '4444' },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', declineCode: 'card_declined' },
  tok_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', declineCode: 'insufficient_funds' },
  tok_chargeDeclinedProcessingError: { brand: 'visa', last4: '0119', declineCode: 'processing_error' },
  tok_slow: { brand: 'visa', last4: '4242', slow: true },
};

export interface MockCardProcessorOptions {
  /** How long `tok_slow` takes. */
  readonly slowTokenDelayMs: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A charge as the mock's books hold it. */
export interface MockChargeEntry {
  readonly processorChargeId: string;
  readonly amount: Money;
  readonly status: 'SUCCEEDED' | 'DECLINED';
  refunded: number;
}

interface Keyed<T> {
  readonly fingerprint: string;
  readonly result: Promise<T>;
}

const processorId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

function reusedKey(): DomainError {
  return new DomainError(
    'INVALID_ARGUMENT',
    'the processor saw this idempotency key with different parameters',
    'idempotencyKey',
    IDEMPOTENCY_KEY_REUSED,
  );
}

/**
 * A deterministic, Stripe-like processor for tests and the local platform. Like Stripe it is idempotent by
 * key: the same key with the same parameters returns the first result (even while that first call is still
 * running), the same key with other parameters is refused, so a retried or retaken claim never charges twice.
 *
 * Its books live in memory: after a restart it no longer recognizes old keys, and it accepts refunds of
 * charges it does not remember (it cannot tell them from charges made before the restart).
 */
export class MockCardProcessor implements CardProcessor {
  private readonly chargesByKey = new Map<string, Keyed<ProcessorCharge>>();
  private readonly refundsByKey = new Map<string, Keyed<ProcessorRefund>>();
  private readonly ledger = new Map<string, MockChargeEntry>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: MockCardProcessorOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The charges the mock created, in order (a replay by key creates none). */
  get charges(): readonly MockChargeEntry[] {
    return [...this.ledger.values()];
  }

  charge(request: ProcessorChargeRequest): Promise<ProcessorCharge> {
    const fingerprint = JSON.stringify([request.amount.amount, request.amount.currency, request.paymentToken]);
    const known = this.chargesByKey.get(request.idempotencyKey);
    if (known) return known.fingerprint === fingerprint ? known.result : Promise.reject(reusedKey());
    const card = Object.hasOwn(TEST_TOKENS, request.paymentToken) ? TEST_TOKENS[request.paymentToken] : undefined;
    // Like Stripe's invalid_request_error: refused before anything is created or remembered under the key.
    if (!card) {
      return Promise.reject(
        new InvalidArgumentError('paymentToken', "'paymentToken' is not a card token this processor accepts"),
      );
    }
    // Remembered before it settles, so a concurrent call with the same key shares this very charge.
    const result = this.create(card, request.amount);
    this.chargesByKey.set(request.idempotencyKey, { fingerprint, result });
    return result;
  }

  refund(request: ProcessorRefundRequest): Promise<ProcessorRefund> {
    const fingerprint = JSON.stringify([request.processorChargeId, request.amount.amount, request.amount.currency]);
    const known = this.refundsByKey.get(request.idempotencyKey);
    if (known) return known.fingerprint === fingerprint ? known.result : Promise.reject(reusedKey());
    const charge = this.ledger.get(request.processorChargeId);
    if (charge) {
      if (charge.status !== 'SUCCEEDED') return Promise.reject(new ChargeNotRefundableError(charge.status));
      if (request.amount.currency !== charge.amount.currency) {
        return Promise.reject(new InvalidArgumentError('amount.currency', 'the currency differs from the charge'));
      }
      if (charge.refunded + request.amount.amount > charge.amount.amount) {
        return Promise.reject(new RefundExceedsChargeError('the refunds would exceed the charge at the processor'));
      }
      charge.refunded += request.amount.amount;
    }
    const result = Promise.resolve({ processorRefundId: processorId('re') });
    this.refundsByKey.set(request.idempotencyKey, { fingerprint, result });
    return result;
  }

  private async create(card: TestCard, amount: Money): Promise<ProcessorCharge> {
    const processorChargeId = processorId('ch');
    // On the books at once (a real processor has the charge from the moment it accepts the request).
    this.ledger.set(processorChargeId, {
      processorChargeId,
      amount,
      status: card.declineCode ? 'DECLINED' : 'SUCCEEDED',
      refunded: 0,
    });
    if (card.slow) await this.sleep(this.options.slowTokenDelayMs);
    const details = { brand: card.brand, last4: card.last4 };
    return card.declineCode
      ? { status: 'DECLINED', processorChargeId, card: details, declineCode: card.declineCode }
      : { status: 'SUCCEEDED', processorChargeId, card: details };
  }
}
