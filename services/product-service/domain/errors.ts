import { DomainError, FailedPreconditionError, NotFoundError } from '../../../lib/runtime/errors';

/** Reason codes a caller can branch on (they travel as `x-error-reason` over gRPC). */
export const OUT_OF_STOCK = 'OUT_OF_STOCK';
export const IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';

/** A reservation line asks for more units than the product has; nothing of the reservation was kept. */
export class OutOfStockError extends FailedPreconditionError {
  constructor(
    /** The position of the line in the request. */
    readonly lineIndex: number,
    productId: string,
  ) {
    super(`not enough stock for product ${productId}`, OUT_OF_STOCK, `lines[${lineIndex}].quantity`);
  }
}

/** A reservation line names no product; nothing of the reservation was kept. */
export class UnknownProductError extends NotFoundError {
  constructor(
    /** The position of the line in the request. */
    readonly lineIndex: number,
    productId: string,
  ) {
    super(`product ${productId}`, `lines[${lineIndex}].productId`);
  }
}

export const STOCK_OUT_OF_RANGE = 'STOCK_OUT_OF_RANGE';

/** A stock adjustment would leave the stock below 0 or above the limit; nothing was changed. */
export class StockOutOfRangeError extends FailedPreconditionError {
  constructor(current: number, delta: number, max: number) {
    super(
      `the stock is ${current}: adding ${delta} would leave ${current + delta}, outside 0 to ${max}`,
      STOCK_OUT_OF_RANGE,
      'stockDelta',
    );
  }
}

/** A reservation id already names a reservation of other lines. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'INVALID_ARGUMENT',
      'this reservation id was already used for different lines',
      'reservationId',
      IDEMPOTENCY_KEY_REUSED,
    );
  }
}
