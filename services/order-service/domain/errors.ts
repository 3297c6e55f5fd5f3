import { DomainError, FailedPreconditionError } from '../../../lib/runtime/errors';

/** Reason codes a caller can branch on (they travel as `x-error-reason` over gRPC). */
export const IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';
export const INVALID_CUSTOMER_EMAIL = 'INVALID_CUSTOMER_EMAIL';

/** The caller's idempotency key already names an order of a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'INVALID_ARGUMENT',
      'this idempotency key was already used for a different order request',
      'idempotencyKey',
      IDEMPOTENCY_KEY_REUSED,
    );
  }
}

/** The access token's e-mail cannot address a confirmation (the order.created event requires one). */
export class InvalidCustomerEmailError extends FailedPreconditionError {
  constructor() {
    super('the account has no valid e-mail address for the order confirmation', INVALID_CUSTOMER_EMAIL);
  }
}

/**
 * A peer call that failed after its retries. `indeterminate`: the peer may have acted on it (a deadline
 * passed, the connection dropped, the peer failed internally), so only a replay by the same idempotency key
 * can tell; otherwise the peer refused the request and nothing happened.
 */
export class DownstreamError extends Error {
  constructor(
    readonly peer: string,
    readonly rpc: string,
    /** The gRPC status name, e.g. `DEADLINE_EXCEEDED`. */
    readonly status: string,
    readonly indeterminate: boolean,
    detail: string,
    /** The request field the peer named as at fault (its `x-error-field`, e.g. `paymentToken`), if it named one. */
    readonly field?: string,
  ) {
    super(`${peer} ${rpc} failed with ${status}: ${detail}`);
    this.name = 'DownstreamError';
  }
}

/** Another runner took this order's saga over (its lease expired); this one stops. */
export class LeaseLostError extends Error {
  constructor(readonly orderId: string) {
    super(`the saga lease of order ${orderId} was lost`);
    this.name = 'LeaseLostError';
  }
}
