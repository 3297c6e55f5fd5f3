import type { z } from 'zod';

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
