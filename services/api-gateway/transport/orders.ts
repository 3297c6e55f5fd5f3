import { status as GrpcStatus } from '@grpc/grpc-js';
import type { z } from 'zod';
import { ERROR_REASON_KEY } from '../../../lib/runtime/status';
import { UpstreamError } from '../upstream/peers';
import { ApiError } from './errors';
import type { OrderFailureCode, OrderView } from './schemas';

type Order = z.infer<typeof OrderView>;

export const orderLocation = (id: string) => `/api/v1/orders/${id}`;

/** How soon a client polling a PENDING order may ask again (`Retry-After`, seconds). */
export const PENDING_RETRY_AFTER_SECONDS = 1;

interface FailureAnswer {
  readonly status: number;
  /** When the answer applies, for the OpenAPI document. */
  readonly when: string;
  /**
   * The message of a 5xx, which never passes a peer's wording on (see errors.ts); a 4xx carries the order's own
   * failureReason, written for the customer.
   */
  readonly message?: string;
}

/**
 * How POST /api/v1/orders answers an order that FAILED, by its failure code. A cart the customer can fix is 4xx
 * (changing it and ordering again with a new Idempotency-Key can succeed); a failure of a service behind the
 * gateway is 5xx: 502 when one refused or failed outright, 503 when it may pass by itself.
 */
export const ORDER_FAILURES: Readonly<Record<OrderFailureCode, FailureAnswer>> = {
  PAYMENT_DECLINED: { status: 402, when: 'the card was declined; `declineCode` says why' },
  OUT_OF_STOCK: { status: 409, when: 'not enough stock; `field` names the item (`items[0].quantity`)' },
  PRODUCT_NOT_FOUND: { status: 422, when: 'an item names no product; `field` names it (`items[0].productId`)' },
  MIXED_CURRENCY: { status: 422, when: 'the items are priced in more than one currency' },
  AMOUNT_TOO_LARGE: { status: 422, when: 'the total is larger than can be charged' },
  PAYMENT_FAILED: {
    status: 502,
    when: 'payment-service failed or refused the charge (a refused payment token is 422, below)',
    message: 'the payment could not be processed; any charge is refunded',
  },
  STOCK_NOT_RESERVED: {
    status: 502,
    when: 'product-service refused the stock reservation',
    message: 'the stock could not be reserved',
  },
  ORDER_FAILED: {
    status: 502,
    when: 'a failure code this API version does not know; read the order for its failureCode',
    message: 'the order could not be placed',
  },
  PRODUCT_SERVICE_UNAVAILABLE: {
    status: 503,
    when: 'product-service did not answer',
    message: 'a service this request needs is unavailable; try again later',
  },
  CONFIRMATION_FAILED: {
    status: 503,
    when: 'the order could not be recorded after the charge (the charge is refunded)',
    message: 'the order could not be confirmed; any charge is refunded; try again later',
  },
};

/** The item an OUT_OF_STOCK or PRODUCT_NOT_FOUND reason names (order-service writes `items[i].quantity`). */
function itemFieldOf(order: Order): string | undefined {
  const match = /\bitems\[(\d+)\]\.(quantity|productId)\b/.exec(order.failureReason ?? '');
  return match && Number(match[1]) < order.items.length ? match[0] : undefined;
}

/**
 * The failure reason order-service records when payment-service refused the charge as invalid
 * (`${peer} refused (${status})`, its saga's wording). Of a charge, only the payment token is the customer's: the
 * amount, currency and ids are order-service's own and already checked.
 */
const TOKEN_REFUSED_REASON = 'payment-service refused (INVALID_ARGUMENT)';

/** An order whose payment token payment-service refused: the customer's to fix (422), not the platform's (502). */
export const PAYMENT_TOKEN_REFUSED = {
  status: 422,
  when: 'with `field: paymentToken`, when payment-service refused the payment token (unknown or malformed)',
  message: 'the payment token was refused; pay with another one, under a new Idempotency-Key',
} as const;

function failureOf(order: Order): ApiError {
  if (order.failureCode === 'PAYMENT_FAILED' && order.failureReason === TOKEN_REFUSED_REASON) {
    return new ApiError(PAYMENT_TOKEN_REFUSED.status, 'PAYMENT_FAILED', PAYMENT_TOKEN_REFUSED.message, {
      field: 'paymentToken',
      orderId: order.id,
    });
  }
  const known = order.failureCode && Object.hasOwn(ORDER_FAILURES, order.failureCode);
  const code = known ? (order.failureCode as OrderFailureCode) : 'ORDER_FAILED';
  const answer = ORDER_FAILURES[code];
  const message = answer.message ?? order.failureReason ?? code.toLowerCase().replace(/_/g, ' ');
  return new ApiError(answer.status, code, message, {
    field: code === 'OUT_OF_STOCK' || code === 'PRODUCT_NOT_FOUND' ? itemFieldOf(order) : undefined,
    declineCode: code === 'PAYMENT_DECLINED' ? order.declineCode : undefined,
    orderId: order.id,
  });
}

export type PlacedOrderReply =
  | { status: 201; body: Order; headers: Record<string, string> }
  | { status: 202; body: Order; headers: Record<string, string> };

/**
 * The answer to POST /api/v1/orders for the order order-service returned, new or replayed (the answer follows
 * the order's state, so a replay of a request answered 202 may answer 201 once the order is confirmed):
 * CONFIRMED 201, PENDING 202 (another replica is still placing it: poll its Location), FAILED an ApiError.
 */
export function placedOrderReply(order: Order): PlacedOrderReply {
  if (order.status === 'FAILED') throw failureOf(order);
  const location = orderLocation(order.id);
  if (order.status === 'PENDING') {
    return {
      status: 202,
      body: order,
      headers: { Location: location, 'Retry-After': String(PENDING_RETRY_AFTER_SECONDS) },
    };
  }
  return { status: 201, body: order, headers: { Location: location } };
}

/**
 * order-service's INVALID_ARGUMENT with reason IDEMPOTENCY_KEY_REUSED as 422 on the header (the IETF
 * Idempotency-Key draft's answer to a key reused with another payload); any other error unchanged.
 */
export function idempotencyKeyReusedOr(error: unknown): unknown {
  if (
    error instanceof UpstreamError &&
    error.status.code === GrpcStatus.INVALID_ARGUMENT &&
    error.status.metadata?.get(ERROR_REASON_KEY)[0] === 'IDEMPOTENCY_KEY_REUSED'
  ) {
    return new ApiError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was already used for a different order request; use a new key for a new order',
      { field: 'Idempotency-Key' },
    );
  }
  return error;
}

/** The error statuses of POST /api/v1/orders beyond those every route with a body and a peer has. */
export function createOrderErrorDocs(): Record<number, string> {
  const lines: Record<number, string[]> = {
    422: ['IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used before for another request (`field` names the header)'],
    503: ['UNAVAILABLE: a service this request needs does not answer'],
    504: [
      'DEADLINE_EXCEEDED: order-service did not answer in time; the order may still complete: repeat the request with the same Idempotency-Key',
    ],
  };
  for (const [code, answer] of Object.entries(ORDER_FAILURES)) {
    lines[answer.status] = [
      ...(lines[answer.status] ?? []),
      `${code}: the order FAILED (\`orderId\` names it): ${answer.when}`,
    ];
  }
  lines[PAYMENT_TOKEN_REFUSED.status]?.push(`PAYMENT_FAILED: the order FAILED ${PAYMENT_TOKEN_REFUSED.when}`);
  return Object.fromEntries(Object.entries(lines).map(([status, found]) => [status, found.join('; ')]));
}
