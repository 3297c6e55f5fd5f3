import { z } from 'zod';
import { UUID } from '../runtime/validation';

/**
 * The rules of an order's lines that proto3 cannot state, in one place for every service that checks them:
 * api-gateway (POST /api/v1/orders `items`), order-service (CreateOrderRequest.items) and product-service
 * (ReserveStockRequest.lines, one line per order item). They sit beside the .proto files because they are part of
 * those contracts: if the gateway let through what order-service refuses, or order-service what product-service
 * refuses, a valid order would fail behind the API.
 */
export const ORDER_LINE_LIMITS = {
  /** Lines (items) per order. */
  maxLines: 50,
  /** Units per line. */
  minQuantity: 1,
  maxQuantity: 1000,
} as const;

/** The lowest unit price of a product, in minor units: the smallest amount a payment can be. */
export const MIN_UNIT_PRICE = 1;

/**
 * The highest unit price of a product, in minor units (200 000.00 in a currency of two decimals). With the line
 * limits it bounds every order's total, so an order the gateway accepts can always be charged.
 */
export const MAX_UNIT_PRICE = 20_000_000;

/** The largest amount a charge may be: the largest order, `maxLines` lines of `maxQuantity` at MAX_UNIT_PRICE. */
export const MAX_CHARGE_AMOUNT = ORDER_LINE_LIMITS.maxLines * ORDER_LINE_LIMITS.maxQuantity * MAX_UNIT_PRICE;

/**
 * The positions of the lines that name the product of an earlier line: one line per product (raise its quantity
 * instead). Product ids are compared without regard to case, as UUIDs are.
 */
export function repeatedProductPositions(lines: readonly { readonly productId: string }[]): number[] {
  const seen = new Set<string>();
  const repeated: number[] = [];
  lines.forEach((line, index) => {
    const id = line.productId.toLowerCase();
    if (seen.has(id)) repeated.push(index);
    seen.add(id);
  });
  return repeated;
}

/**
 * A zod `superRefine` of a list of lines: each repeated product is an issue on `[index, 'productId']` with the
 * caller's wording (`message`), so every service reports the rule on the same field.
 */
export function oneLinePerProduct<Lines extends readonly { readonly productId: string }[]>(
  message: string,
): (lines: Lines, ctx: z.RefinementCtx<Lines>) => void {
  return (lines, ctx) => {
    for (const index of repeatedProductPositions(lines)) {
      ctx.addIssue({ code: 'custom', path: [index, 'productId'], message });
    }
  };
}

export interface OrderLinesSchemaOptions {
  /** What the caller's API calls a line: `item` (orders) or `line` (reservations). */
  readonly noun: 'item' | 'line';
  /** Refuse unknown keys in a line. @default false */
  readonly strict?: boolean;
  /** The wording of a repeated product, in the caller's terms. */
  readonly repeatedProduct: string;
}

/**
 * The zod schema of a list of order lines under ORDER_LINE_LIMITS, worded in the caller's terms: each line a
 * `{productId: UUID, quantity}`, 1 to `maxLines` of them, one per product.
 */
export function orderLinesSchema(options: OrderLinesSchemaOptions) {
  const { maxLines, minQuantity, maxQuantity } = ORDER_LINE_LIMITS;
  const quantity = `must be an integer from ${minQuantity} to ${maxQuantity}`;
  const count = `must have 1 to ${maxLines} ${options.noun}s`;
  const shape = {
    productId: z.string({ error: 'must be a UUID' }).regex(UUID, { error: 'must be a UUID' }),
    quantity: z
      .number({ error: quantity })
      .int({ error: quantity })
      .min(minQuantity, { error: quantity })
      .max(maxQuantity, { error: quantity }),
  };
  const lineError = { error: 'must be an object {productId, quantity}' };
  const line = options.strict ? z.strictObject(shape, lineError) : z.object(shape, lineError);
  return z
    .array(line, { error: `must be a list of ${options.noun}s` })
    .min(1, { error: count })
    .max(maxLines, { error: count })
    .superRefine(oneLinePerProduct(options.repeatedProduct));
}
