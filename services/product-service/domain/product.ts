import { z } from 'zod';
import { MAX_UNIT_PRICE, MIN_UNIT_PRICE } from '../../../lib/contracts/order-lines';
import { InvalidArgumentError } from '../../../lib/runtime/errors';
import { codePoints, parseOrThrow, UUID } from './validation';

/** Integer minor units of an ISO 4217 currency; never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export interface Product {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly stock: number;
  /** RFC 3339 in UTC with microseconds, exactly as stored (the cursor relies on it). */
  readonly createdAt: string;
}

export type NewProduct = Pick<Product, 'name' | 'description' | 'price' | 'stock'>;

export const LIMITS = {
  nameLength: 200,
  descriptionLength: 2000,
  maxAmount: MAX_UNIT_PRICE,
  maxStock: 1_000_000,
} as const;

const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_WHITESPACE = /[^\P{Cc}\t\n\r]/u;

const nameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .refine((v) => codePoints(v) >= 1 && codePoints(v) <= LIMITS.nameLength, {
    error: `must be 1 to ${LIMITS.nameLength} characters (not blank)`,
  })
  .refine((v) => !CONTROL.test(v), { error: 'must not contain control characters' });

const descriptionSchema = z
  .string({ error: 'must be a string' })
  .refine((v) => codePoints(v) <= LIMITS.descriptionLength, {
    error: `must be at most ${LIMITS.descriptionLength} characters`,
  })
  .refine((v) => !CONTROL_EXCEPT_WHITESPACE.test(v), {
    error: 'must not contain control characters other than tab and line breaks',
  });

// A product costs at least the smallest amount a payment can be: every order has something to charge.
const amountMessage = `must be an integer number of minor units from ${MIN_UNIT_PRICE} to ${LIMITS.maxAmount}`;
export const moneySchema = z.strictObject(
  {
    amount: z
      .number({ error: amountMessage })
      .int({ error: amountMessage })
      .min(MIN_UNIT_PRICE, { error: amountMessage })
      .max(LIMITS.maxAmount, { error: amountMessage }),
    currency: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code of three upper-case letters (e.g. EUR)' }),
  },
  { error: 'must be an object {amount, currency}' },
);

const stockMessage = `must be an integer from 0 to ${LIMITS.maxStock}`;
const newProductSchema = z.strictObject({
  name: nameSchema,
  description: descriptionSchema.default(''),
  price: moneySchema,
  stock: z
    .number({ error: stockMessage })
    .int({ error: stockMessage })
    .min(0, { error: stockMessage })
    .max(LIMITS.maxStock, { error: stockMessage }),
});

/** Validates a product to create (from a JSON body or a gRPC request alike); errors name the field. */
export function parseNewProduct(input: unknown): NewProduct {
  return parseOrThrow(newProductSchema, input, 'product');
}

export interface ProductChange {
  /** The new price, when given. */
  readonly price?: Money;
  /** Units added to (or, negative, removed from) the stock as it is when the change lands, when given. */
  readonly stockDelta?: number;
}

const stockDeltaMessage = `must be a whole number of units to add or remove, from -${LIMITS.maxStock} to ${LIMITS.maxStock}, not 0`;
const productChangeSchema = z.strictObject({
  price: moneySchema.optional(),
  stockDelta: z
    .number({ error: stockDeltaMessage })
    .int({ error: stockDeltaMessage })
    .min(-LIMITS.maxStock, { error: stockDeltaMessage })
    .max(LIMITS.maxStock, { error: stockDeltaMessage })
    .refine((v) => v !== 0, { error: stockDeltaMessage })
    .optional(),
});

/**
 * Validates a change to a product (its price, its stock or both); errors name the field. A change of nothing is
 * INVALID_ARGUMENT on `price`, the first thing a caller could give.
 */
export function parseProductChange(input: unknown): ProductChange {
  const change = parseOrThrow(productChangeSchema, input, 'product change');
  if (change.price === undefined && change.stockDelta === undefined) {
    throw new InvalidArgumentError('price', 'give a new price, a stockDelta, or both');
  }
  return change;
}

/** A product id: any RFC 4122-shaped UUID, normalized to lower case; malformed is INVALID_ARGUMENT. */
export function parseProductId(input: unknown, field = 'id'): string {
  if (typeof input !== 'string' || !UUID.test(input))
    throw new InvalidArgumentError(field, `'${field}' must be a UUID`);
  return input.toLowerCase();
}

export { type CursorPosition, decodeCursor, encodeCursor, PAGE_SIZE, pageSize } from '../../../lib/runtime/paging';
