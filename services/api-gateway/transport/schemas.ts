import { z } from 'zod';

/**
 * The REST wire format: what the routes validate requests with and what they answer. The OpenAPI document
 * is generated from these same schemas, so it cannot drift from what the code accepts and returns.
 */

// ---- requests ----

/** Ids are UUID v4; a malformed one is INVALID_ARGUMENT on field `id`, never NOT_FOUND. */
export const IdParams = z.object({ id: z.uuidv4({ error: 'must be a UUID v4' }) }).strict();

const Email = z.email({ error: 'must be an email address' }).max(254, 'must be at most 254 characters');

export const RegisterBody = z
  .object({
    email: Email,
    // The upper bound keeps memory-hard hashing of a huge input from being a denial of service.
    password: z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters'),
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  })
  .strict();

export const LoginBody = z
  .object({
    email: Email,
    password: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  })
  .strict();

export const ProductListQuery = z
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
    amount: z.int('must be a whole number of minor units').min(0, 'must not be negative'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (3 upper-case letters)'),
  })
  .strict();

export const NewProductBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    description: z.string().max(2000, 'must be at most 2000 characters').default(''),
    price: MoneyInput,
    stock: z.int('must be a whole number').min(0, 'must not be negative').max(2_147_483_647, 'is too large'),
  })
  .strict();

// ---- responses ----

export const Role = z.enum(['customer', 'admin']);

export const RegisteredUser = z.object({ id: z.string(), email: z.string(), name: z.string() }).strict();

export const UserSummary = RegisteredUser.extend({ role: Role }).strict();

export const UserAccount = UserSummary.extend({ createdAt: z.string().describe('RFC 3339') }).strict();

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

export const MetricsText = z.string().describe('Prometheus text exposition format');

// ---- errors ----

/** gRPC status names (every error a call can end with) plus the two failures only HTTP has. */
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
] as const;

export type ApiErrorCode = (typeof ERROR_CODES)[number];

export const ErrorBody = z
  .object({
    error: z
      .object({
        code: z.enum(ERROR_CODES),
        message: z.string(),
        field: z.string().optional().describe('the input at fault, as a dotted camelCase path (`price.amount`)'),
      })
      .strict(),
  })
  .strict();

export type ErrorBody = z.infer<typeof ErrorBody>;
