import { DomainError, FailedPreconditionError, UnavailableError } from '../../../lib/runtime/errors';

/** Reason codes a caller can branch on (they travel as `x-error-reason` over gRPC). */
export const IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';
export const REFUND_EXCEEDS_CHARGE = 'REFUND_EXCEEDS_CHARGE';
export const CHARGE_NOT_REFUNDABLE = 'CHARGE_NOT_REFUNDABLE';

/** An idempotency key already names a different request; nothing was charged or refunded for this one. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor(what: 'charge' | 'refund') {
    super(
      'INVALID_ARGUMENT',
      `this idempotency key was already used for a different ${what} request`,
      'idempotencyKey',
      IDEMPOTENCY_KEY_REUSED,
    );
  }
}

/** A refund would take the refunds of a charge (pending ones included) above the amount charged. */
export class RefundExceedsChargeError extends FailedPreconditionError {
  constructor(message: string) {
    super(message, REFUND_EXCEEDS_CHARGE, 'amount.amount');
  }
}

/** Only a succeeded charge can be refunded; a declined or voided one moved no money. */
export class ChargeNotRefundableError extends FailedPreconditionError {
  constructor(status: string) {
    super(
      `only a succeeded charge can be refunded; this one is ${status.toLowerCase()}`,
      CHARGE_NOT_REFUNDABLE,
      'chargeId',
    );
  }
}

/**
 * A request with this idempotency key is still being processed (by another call or replica) and did not finish
 * within the wait. Retryable: the same request with the same key returns the outcome once it exists.
 */
export class OperationInProgressError extends UnavailableError {
  constructor(what: 'charge' | 'refund') {
    super(`${what} in progress; retry with the same idempotency key`);
  }
}

/**
 * The processor failed or did not answer in time, so whether money moved is unknown. Retryable: a retry with
 * the same idempotency key asks the processor again under the same processor key, which it deduplicates.
 */
export class ProcessorUnavailableError extends UnavailableError {
  constructor() {
    super('payment processor unavailable; retry with the same idempotency key');
  }
}
