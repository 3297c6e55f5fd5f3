import { status as GrpcStatus } from '@grpc/grpc-js';
import type { z } from 'zod';
import {
  FailureField,
  FailureReason,
  type Order,
  type OrderFailure,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import { ERROR_REASON_KEY } from '../../../lib/runtime/status';
import { UpstreamError } from '../adapters/peers';
import { ApiError } from './errors';
import { orderOf } from './representations';
import type { OrderFailureCode, OrderView } from './schemas';

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

/** order-service's failure reasons as the error codes of this API; UNSPECIFIED or unknown is ORDER_FAILED. */
const FAILURE_CODES: Readonly<Partial<Record<FailureReason, OrderFailureCode>>> = {
  [FailureReason.FAILURE_REASON_OUT_OF_STOCK]: 'OUT_OF_STOCK',
  [FailureReason.FAILURE_REASON_PRODUCT_NOT_FOUND]: 'PRODUCT_NOT_FOUND',
  [FailureReason.FAILURE_REASON_PRODUCT_SERVICE_UNAVAILABLE]: 'PRODUCT_SERVICE_UNAVAILABLE',
  [FailureReason.FAILURE_REASON_STOCK_NOT_RESERVED]: 'STOCK_NOT_RESERVED',
  [FailureReason.FAILURE_REASON_MIXED_CURRENCY]: 'MIXED_CURRENCY',
  [FailureReason.FAILURE_REASON_AMOUNT_TOO_LARGE]: 'AMOUNT_TOO_LARGE',
  [FailureReason.FAILURE_REASON_PAYMENT_DECLINED]: 'PAYMENT_DECLINED',
  [FailureReason.FAILURE_REASON_PAYMENT_FAILED]: 'PAYMENT_FAILED',
  [FailureReason.FAILURE_REASON_CONFIRMATION_FAILED]: 'CONFIRMATION_FAILED',
};

/** The members of an order item a failure can name, as the REST body spells them. */
const ITEM_FIELDS: Readonly<Partial<Record<FailureField, string>>> = {
  [FailureField.FAILURE_FIELD_ITEM_PRODUCT_ID]: 'productId',
  [FailureField.FAILURE_FIELD_ITEM_QUANTITY]: 'quantity',
};

/**
 * The request field a failure names, as the REST body spells it (`items[1].quantity`, `paymentToken`); undefined
 * when it names none, or an item the order does not have.
 */
function requestFieldOf(failure: OrderFailure, itemCount: number): string | undefined {
  if (failure.field === FailureField.FAILURE_FIELD_PAYMENT_TOKEN) return 'paymentToken';
  const member = ITEM_FIELDS[failure.field];
  const index = failure.itemIndex;
  if (!member || index === undefined || !Number.isInteger(index) || index < 0 || index >= itemCount) return undefined;
  return `items[${index}].${member}`;
}

/**
 * An order whose payment token payment-service refused (order-service's failure names the field
 * PAYMENT_TOKEN): the customer's to fix (422), not the platform's (502).
 */
export const PAYMENT_TOKEN_REFUSED = {
  status: 422,
  when: 'with `field: paymentToken`, when payment-service refused the payment token (unknown or malformed)',
  message: 'the payment token was refused; pay with another one, under a new Idempotency-Key',
} as const;

/** A FAILED order as the error POST /api/v1/orders answers, from its structured failure alone. */
function failureOf(order: Order): ApiError {
  const failure = order.failure;
  const code = (failure && FAILURE_CODES[failure.reason]) ?? 'ORDER_FAILED';
  const field = failure && requestFieldOf(failure, order.items.length);
  if (code === 'PAYMENT_FAILED' && field === 'paymentToken') {
    return new ApiError(PAYMENT_TOKEN_REFUSED.status, code, PAYMENT_TOKEN_REFUSED.message, {
      field,
      orderId: order.id,
    });
  }
  const answer = ORDER_FAILURES[code];
  const message = answer.message ?? (order.failureReason || code.toLowerCase().replaceAll('_', ' '));
  return new ApiError(answer.status, code, message, {
    // A 5xx is not the customer's to fix: it names no input.
    field: answer.status < 500 ? field : undefined,
    declineCode: code === 'PAYMENT_DECLINED' ? order.declineCode : undefined,
    orderId: order.id,
  });
}

type OrderBody = z.infer<typeof OrderView>;

export type PlacedOrderReply =
  | { status: 201; body: OrderBody; headers: Record<string, string> }
  | { status: 202; body: OrderBody; headers: Record<string, string> };

/**
 * The answer to POST /api/v1/orders for the order order-service returned, new or replayed (the answer follows
 * the order's state, so a replay of a request answered 202 may answer 201 once the order is confirmed):
 * CONFIRMED 201, PENDING 202 (another replica is still placing it: poll its Location), FAILED an ApiError.
 */
export function placedOrderReply(order: Order): PlacedOrderReply {
  const body = orderOf(order);
  if (body.status === 'FAILED') throw failureOf(order);
  const location = orderLocation(body.id);
  if (body.status === 'PENDING') {
    return {
      status: 202,
      body,
      headers: { Location: location, 'Retry-After': String(PENDING_RETRY_AFTER_SECONDS) },
    };
  }
  return { status: 201, body, headers: { Location: location } };
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
