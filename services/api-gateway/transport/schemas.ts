import { z } from 'zod';
import {
  MAX_UNIT_PRICE,
  MIN_UNIT_PRICE,
  ORDER_LINE_LIMITS,
  oneLinePerProduct,
} from '../../../lib/contracts/order-lines';

/**
 * The REST wire format: what the routes validate requests with and what they answer. The OpenAPI document
 * is generated from these same schemas, so it cannot drift from what the code accepts and returns.
 */

// ---- requests ----

/** Ids are UUID v4; a malformed one is INVALID_ARGUMENT on field `id`, never NOT_FOUND. */
export const IdParams = z.object({ id: z.uuidv4({ error: 'must be a UUID v4' }) }).strict();

const Email = z.email({ error: 'must be an email address' }).max(254, 'must be at most 254 characters');

/**
 * No C0 or C1 control character (NUL, line breaks, tab, DEL, ...), what user-service and product-service refuse in
 * names and passwords. Spelled as ranges, not `\p{Cc}`, so every JSON Schema tool can read the pattern.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
/** The same, but tab and line breaks are allowed (a product description). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
const NO_CONTROL_CHARACTERS_BUT_WHITESPACE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;

export const RegisterBody = z
  .object({
    email: Email,
    // user-service's password policy (at least 10 characters, no control characters; the rest of the policy,
    // such as a blocklist of common passwords, is its own: a 400 naming `password`). The upper bound keeps
    // memory-hard hashing of a huge input from being a denial of service.
    password: z
      .string()
      .min(10, 'must be at least 10 characters')
      .max(128, 'must be at most 128 characters')
      .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters')
      .describe(
        "user-service's policy also refuses common passwords, the email's local part, fewer than 5 different characters, and fewer than 3 character classes under 16 characters",
      ),
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters'),
  })
  .strict();

export const LoginBody = z
  .object({
    email: Email,
    // No stored password has a control character (the policy refuses them), so none can match: refused before
    // hashing. HMAC pads a key with zero bytes, so a trailing NUL would otherwise match the password without it.
    password: z
      .string()
      .min(1, 'must not be empty')
      .max(128, 'must be at most 128 characters')
      .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters'),
  })
  .strict();

/** `?limit=&cursor=` of every paged list: 1–100 (default 20) and the opaque cursor of the previous page. */
export const PageQuery = z
  .object({
    limit: z.coerce
      .number({ error: 'must be a whole number from 1 to 100' })
      .int('must be a whole number from 1 to 100')
      .min(1, 'must be a whole number from 1 to 100')
      .max(100, 'must be a whole number from 1 to 100')
      .default(20),
    cursor: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters').optional(),
  })
  .strict();

/** Integer minor units of an ISO 4217 currency; never a float. */
const MoneyInput = z
  .object({
    amount: z
      .int('must be a whole number of minor units')
      .min(MIN_UNIT_PRICE, `must be at least ${MIN_UNIT_PRICE}`)
      .max(MAX_UNIT_PRICE, `must be at most ${MAX_UNIT_PRICE}`),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (3 upper-case letters)'),
  })
  .strict();

/** product-service's limits (shopfront.product.v1), so the document says what it accepts. */
export const NewProductBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters'),
    description: z
      .string()
      .max(2000, 'must be at most 2000 characters')
      .regex(NO_CONTROL_CHARACTERS_BUT_WHITESPACE, 'must not contain control characters other than tab and line breaks')
      .default(''),
    price: MoneyInput,
    stock: z.int('must be a whole number').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000'),
  })
  .strict();

const stockDeltaRule = 'must be a whole number of units to add or remove, from -1000000 to 1000000, not 0';

/**
 * A change an admin makes to a product: a new price, a stock adjustment, or both. The stock is adjusted, not set:
 * `stockDelta` is added to the stock as it is when the change lands, so units reserved meanwhile are never undone.
 */
export const ProductChangeBody = z
  .object({
    price: MoneyInput.optional().describe('the new price'),
    stockDelta: z
      .int(stockDeltaRule)
      .min(-1_000_000, stockDeltaRule)
      .max(1_000_000, stockDeltaRule)
      .refine((v) => v !== 0, stockDeltaRule)
      .meta({
        description:
          'units to add (positive) or remove (negative), applied atomically to the stock as it is at that moment; the result must stay within 0 to 1000000',
        not: { const: 0 },
      })
      .optional(),
  })
  .strict()
  .refine((change) => change.price !== undefined || change.stockDelta !== undefined, {
    path: ['price'],
    message: 'give a new price, a stockDelta, or both',
  })
  // JSON Schema's way of saying what the refinement says: an empty change is refused.
  .meta({ description: 'at least one of price and stockDelta', minProperties: 1 });

// order-service's limits (lib/contracts/order-lines.ts), checked here too so bad input never costs a saga.
const { maxLines, minQuantity, maxQuantity } = ORDER_LINE_LIMITS;
const quantityRule = `must be a whole number from ${minQuantity} to ${maxQuantity}`;
const itemsRule = `must have 1 to ${maxLines} items`;

export const OrderLine = z
  .object({
    productId: z.uuidv4({ error: 'must be a UUID v4' }),
    quantity: z.int(quantityRule).min(minQuantity, quantityRule).max(maxQuantity, quantityRule),
  })
  .strict();

export const CreateOrderBody = z
  .object({
    items: z
      .array(OrderLine, { error: 'must be a list of {productId, quantity}' })
      .min(1, itemsRule)
      .max(maxLines, itemsRule)
      .superRefine(
        oneLinePerProduct('repeats the product of an earlier item (one item per product; raise its quantity)'),
      )
      .describe('one item per product (a product id may not repeat)'),
    // The processor's token (tok_...), never a card number; printable and bounded, as order-service requires.
    paymentToken: z
      .string({ error: 'must be a string' })
      .regex(/^[\x21-\x7e]{1,255}$/, 'must be a payment token of 1 to 255 printable characters without spaces')
      .describe('a payment processor token such as `tok_visa`; never a card number'),
  })
  .strict();

/** The IETF Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header), in order-service's alphabet. */
export const IdempotencyKeyHeaders = z.object({
  'Idempotency-Key': z
    .string({ error: 'must be 1 to 255 characters of A-Z a-z 0-9 . _ : -' })
    .regex(/^[A-Za-z0-9._:-]{1,255}$/, 'must be 1 to 255 characters of A-Z a-z 0-9 . _ : -')
    .describe(
      'a key the client chooses per order (e.g. a UUID); repeating a request with the same key returns the same order, never a second one',
    ),
});

// ---- responses ----

/** RFC 3339 in UTC with milliseconds: every timestamp the API answers. */
const Timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  .describe('RFC 3339 in UTC with milliseconds, e.g. 2026-12-04T05:42:42.602Z');

export const Role = z.enum(['customer', 'admin']);

export const RegisteredUser = z.object({ id: z.string(), email: z.string(), name: z.string() }).strict();

export const UserSummary = RegisteredUser.extend({ role: Role }).strict();

export const UserAccount = UserSummary.extend({ createdAt: Timestamp }).strict();

export const LoginResult = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.int().min(0).describe('seconds until the access token expires'),
    user: UserSummary,
  })
  .strict();

export const Money = z
  .object({
    amount: z.int().describe('integer minor units (cents for EUR, yen for JPY)'),
    currency: z.string().describe('ISO 4217'),
  })
  .strict();

export const ProductView = z
  .object({ id: z.string(), name: z.string(), description: z.string(), price: Money, stock: z.int() })
  .strict();

export const ProductPage = z
  .object({
    items: z.array(ProductView),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  .strict();

export const OrderStatus = z.enum(['PENDING', 'CONFIRMED', 'FAILED']);

/** A known price, or null before the stock is reserved (a PENDING order, or one that failed before pricing). */
const PricedLater = (what: string) =>
  Money.nullable().describe(`${what}; null until the stock is reserved (an order refused for stock never is)`);

/** A member every order has, null in the states it does not apply to. */
const ForState = (what: string) => z.string().nullable().describe(what);

export const OrderView = z
  .object({
    id: z.string(),
    userId: z.string(),
    status: OrderStatus.describe(
      'PENDING: the order is still being placed (poll it); CONFIRMED: stock reserved and paid; FAILED: see failureCode',
    ),
    items: z.array(
      z.object({ productId: z.string(), quantity: z.int(), unitPrice: PricedLater('the price per unit') }).strict(),
    ),
    total: PricedLater('the sum of unit price x quantity'),
    failureCode: ForState(
      'FAILED, machine-readable (null otherwise): OUT_OF_STOCK, PRODUCT_NOT_FOUND, PAYMENT_DECLINED, PAYMENT_FAILED, MIXED_CURRENCY, AMOUNT_TOO_LARGE, STOCK_NOT_RESERVED, PRODUCT_SERVICE_UNAVAILABLE, CONFIRMATION_FAILED (more may come)',
    ),
    failureReason: ForState('FAILED: what went wrong and what the customer can do, for people (null otherwise)'),
    declineCode: ForState(
      "PAYMENT_DECLINED: the processor's decline code, such as card_declined or insufficient_funds (null otherwise)",
    ),
    paymentId: ForState('CONFIRMED: the charge at payment-service (null otherwise)'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .strict();

export const OrderPage = z
  .object({
    items: z.array(OrderView).describe("the caller's orders, newest first"),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  .strict();

export const AllOrdersPage = z
  .object({
    items: z.array(OrderView).describe("every customer's orders, newest first, each in its current state"),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  .strict();

const HealthChecks = z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() }).strict());

export const GatewayHealth = z.object({ status: z.enum(['ok', 'unavailable']), checks: HealthChecks }).strict();

/** The kit's /livez and /readyz bodies. */
export const Liveness = z.object({ status: z.literal('ok') }).strict();
export const Readiness = z.object({ status: z.enum(['ready', 'not ready']), checks: HealthChecks }).strict();

export const OpenApiDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export const MetricsText = z
  .string()
  .describe('OpenMetrics text exposition (latency buckets carry the trace_id of a request as exemplar)');

// ---- errors ----

/**
 * Why an order failed (Order.failure_code), as the `code` of the error POST /api/v1/orders answers, plus
 * ORDER_FAILED for a failure code this gateway does not know yet.
 */
export const ORDER_FAILURE_CODES = [
  'OUT_OF_STOCK',
  'PRODUCT_NOT_FOUND',
  'PAYMENT_DECLINED',
  'PAYMENT_FAILED',
  'MIXED_CURRENCY',
  'AMOUNT_TOO_LARGE',
  'STOCK_NOT_RESERVED',
  'PRODUCT_SERVICE_UNAVAILABLE',
  'CONFIRMATION_FAILED',
  'ORDER_FAILED',
] as const;

export type OrderFailureCode = (typeof ORDER_FAILURE_CODES)[number];

/**
 * gRPC status names (every error a call can end with), the failures only HTTP has, why an order failed,
 * and a reused idempotency key. Clients should treat an unknown code by its HTTP status: codes may be added.
 */
export const ERROR_CODES = [
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  // Added with the answers to malformed HTTP (a request not received in time, headers over node's limit).
  'REQUEST_TIMEOUT',
  'REQUEST_HEADER_FIELDS_TOO_LARGE',
  'IDEMPOTENCY_KEY_REUSED',
  ...ORDER_FAILURE_CODES,
] as const;

export type ApiErrorCode = (typeof ERROR_CODES)[number];

export const ErrorBody = z
  .object({
    error: z
      .object({
        code: z.enum(ERROR_CODES),
        message: z.string(),
        field: z
          .string()
          .optional()
          .describe(
            'the input at fault: a camelCase path in the body (`price.amount`, `items[1].quantity`), a query or path parameter, or a header name (`Idempotency-Key`)',
          ),
        // Added with the order routes; optional, so every earlier error body is still valid.
        orderId: z
          .string()
          .optional()
          .describe('the order the error is about (a failed order can be read at /api/v1/orders/{orderId})'),
        declineCode: z
          .string()
          .optional()
          .describe("PAYMENT_DECLINED: the card processor's decline code (`card_declined`, `insufficient_funds`, ...)"),
      })
      .strict(),
  })
  .strict();

export type ErrorBody = z.infer<typeof ErrorBody>;
