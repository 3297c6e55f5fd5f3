import { createHash } from 'node:crypto';
import { z } from 'zod';
import { orderLinesSchema } from '../../../lib/contracts/order-lines';
import { InvalidArgumentError } from '../../../lib/runtime/errors';
import { parseOrThrow, UUID } from './validation';

/** Integer minor units of an ISO 4217 currency; never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** What the customer sees. */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'FAILED';

/**
 * Where the saga stands (internal). PENDING orders are RESERVING or CHARGING; a FAILED order is
 * COMPENSATING until its stock is released and any charge refunded, then DONE; CONFIRMED is DONE.
 */
export type SagaStep = 'RESERVING' | 'CHARGING' | 'COMPENSATING' | 'DONE';

/** What is known about the stock reservation (id = order id) at product-service. */
export type StockState = 'NONE' | 'UNKNOWN' | 'RESERVED' | 'RELEASED';

/**
 * What is known about the charge (idempotency key `order:<id>`) at payment-service. VOIDED: compensation voided
 * the key before any charge was made under it, so none ever will be.
 */
export type ChargeState = 'NONE' | 'UNKNOWN' | 'SUCCEEDED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

export interface OrderItem {
  readonly productId: string;
  readonly quantity: number;
  /** Known once the stock is reserved (the price at reservation time). */
  readonly unitPrice?: Money;
}

/** The input of the order request a failure is about (Order.failure.field). */
export type FailureField = 'ITEM_PRODUCT_ID' | 'ITEM_QUANTITY' | 'PAYMENT_TOKEN';

export interface OrderFailure {
  /** OUT_OF_STOCK, PRODUCT_NOT_FOUND, PAYMENT_DECLINED, PAYMENT_FAILED, MIXED_CURRENCY, ... */
  readonly code: string;
  /** For people; callers act on the structured members, never on this text. */
  readonly reason: string;
  /** The processor's decline code when the code is PAYMENT_DECLINED. */
  readonly declineCode?: string;
  /** The input at fault, when the customer can fix it. */
  readonly field?: FailureField;
  /** With an ITEM_ field: the position of the item in the request (and in `items`). */
  readonly itemIndex?: number;
  /** The service that refused or did not answer, and its gRPC status name. */
  readonly peer?: { readonly name: string; readonly code: string };
}

/** An order as stored, with the saga's bookkeeping. */
export interface OrderRecord {
  readonly id: string;
  readonly userId: string;
  /** From the access token at creation; the order.created event carries it. */
  readonly userEmail: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly status: OrderStatus;
  readonly step: SagaStep;
  readonly stock: StockState;
  readonly charge: ChargeState;
  /** Kept while a charge may still be (re)played, erased when the saga is done. */
  readonly paymentToken?: string;
  readonly items: readonly OrderItem[];
  readonly total?: Money;
  readonly paymentId?: string;
  readonly failure?: OrderFailure;
  /** RFC 3339 in UTC with microseconds, exactly as stored (the cursor relies on it). */
  readonly createdAt: string;
  readonly updatedAt: string;
}

const KEY_LENGTH = 255;
const TOKEN_LENGTH = 255;

/** Failure codes this service sets (Order.failure_code). */
export const FailureCode = {
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PRODUCT_NOT_FOUND: 'PRODUCT_NOT_FOUND',
  PRODUCT_SERVICE_UNAVAILABLE: 'PRODUCT_SERVICE_UNAVAILABLE',
  MIXED_CURRENCY: 'MIXED_CURRENCY',
  AMOUNT_TOO_LARGE: 'AMOUNT_TOO_LARGE',
  STOCK_NOT_RESERVED: 'STOCK_NOT_RESERVED',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  CONFIRMATION_FAILED: 'CONFIRMATION_FAILED',
} as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];

/** A validated CreateOrder request with the hash that recognises a replay of it. */
export interface OrderRequest {
  readonly idempotencyKey: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly paymentToken: string;
  readonly requestHash: string;
}

const createOrderSchema = z.object({
  idempotencyKey: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9._:-]{1,255}$/, {
    error: `must be 1 to ${KEY_LENGTH} characters of A-Z a-z 0-9 . _ : -`,
  }),
  items: orderLinesSchema({
    noun: 'item',
    repeatedProduct: 'repeats a product of an earlier item (one item per product; raise its quantity)',
  }),
  // A processor token (tok_...), never a card number; bounded and printable so it cannot smuggle anything.
  paymentToken: z.string({ error: 'must be a string' }).regex(/^[\x21-\x7e]{1,255}$/, {
    error: `must be a payment token of 1 to ${TOKEN_LENGTH} printable characters without spaces`,
  }),
});

/**
 * The hash of a request's canonical form: items sorted by product id (the same cart in another order is
 * the same request) and the payment token.
 */
export function orderRequestHash(
  items: readonly { productId: string; quantity: number }[],
  paymentToken: string,
): string {
  const canonical = [...items]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((i) => [i.productId, i.quantity]);
  return createHash('sha256')
    .update(JSON.stringify({ items: canonical, paymentToken }))
    .digest('hex');
}

/** Validates a CreateOrder request; errors name the field (`items[0].quantity`, `idempotencyKey`, ...). */
export function parseOrderRequest(input: unknown): OrderRequest {
  const parsed = parseOrThrow(createOrderSchema, input, 'order request');
  const items = parsed.items.map((i) => ({ productId: i.productId.toLowerCase(), quantity: i.quantity }));
  return {
    idempotencyKey: parsed.idempotencyKey,
    items,
    paymentToken: parsed.paymentToken,
    requestHash: orderRequestHash(items, parsed.paymentToken),
  };
}

/** An order id: a UUID, normalized to lower case; malformed is INVALID_ARGUMENT on `id`. */
export function parseOrderId(input: unknown, field = 'id'): string {
  if (typeof input !== 'string' || !UUID.test(input)) {
    throw new InvalidArgumentError(field, `'${field}' must be a UUID`);
  }
  return input.toLowerCase();
}

/** The total of priced items in their one currency; undefined items or mixed currencies are reported. */
export function totalOf(
  items: readonly { quantity: number; unitPrice: Money }[],
): { ok: true; total: Money } | { ok: false; code: 'MIXED_CURRENCY' | 'AMOUNT_TOO_LARGE'; reason: string } {
  const currencies = [...new Set(items.map((i) => i.unitPrice.currency))];
  const currency = currencies[0];
  if (currencies.length !== 1 || currency === undefined) {
    return {
      ok: false,
      code: 'MIXED_CURRENCY',
      reason: `the items are priced in ${currencies.join(', ')}; an order is charged in one currency`,
    };
  }
  let amount = 0;
  for (const item of items) amount += item.quantity * item.unitPrice.amount;
  if (!Number.isSafeInteger(amount)) {
    return { ok: false, code: 'AMOUNT_TOO_LARGE', reason: 'the order total is larger than can be charged' };
  }
  return { ok: true, total: { amount, currency } };
}

export { type CursorPosition, decodeCursor, encodeCursor, PAGE_SIZE, pageSize } from '../../../lib/runtime/paging';
