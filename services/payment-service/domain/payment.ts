import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_CHARGE_AMOUNT } from '../../../lib/contracts/order-lines';
import { DomainError, InvalidArgumentError, NotFoundError } from '../../../lib/runtime/errors';
import type { CardDetails, DeclineCode } from './card-processor';
import { ChargeNotRefundableError, RefundExceedsChargeError } from './errors';

/** Integer minor units of an ISO 4217 currency; never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** VOIDED: the key was voided before any charge was made under it; nothing is or will be charged under it. */
export type ChargeStatus = 'SUCCEEDED' | 'DECLINED' | 'VOIDED';

/** A charge with a final outcome (a pending one is never shown to callers). */
export interface Charge {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly status: ChargeStatus;
  /** Set when declined. */
  readonly declineCode?: DeclineCode;
  /** The card the processor charged or declined; absent when VOIDED (the processor was never asked). */
  readonly card?: CardDetails;
  /** Sum of the succeeded refunds. */
  readonly refunded: Money;
  /** RFC 3339, UTC. */
  readonly createdAt: string;
}

export interface Refund {
  readonly id: string;
  readonly chargeId: string;
  readonly amount: Money;
  readonly reason: string;
  /** RFC 3339, UTC. */
  readonly createdAt: string;
}

/** The largest charge: the largest order the contracts allow (a refund never exceeds its charge). */
export const MAX_AMOUNT = MAX_CHARGE_AMOUNT;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,255}$/;
const CURRENCY = /^[A-Z]{3}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// NUL cannot be stored in a PostgreSQL text column, and no control character belongs in an id or a reason.
const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;

/** Unicode code points, as PostgreSQL's char_length counts them (not UTF-16 units). */
const codePoints = (value: string): number => [...value].length;

const idempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY, 'must be 1 to 255 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"');

const reference = z
  .string()
  .min(1, 'is required')
  .regex(/\S/, 'must not be blank')
  .refine((value) => codePoints(value) <= 100, 'must be at most 100 characters')
  .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');

const currency = z.string().regex(CURRENCY, 'must be an ISO 4217 code of 3 upper-case letters');

const amountInRange = (min: number) =>
  z
    .number()
    .int(`must be an integer from ${min} to ${MAX_AMOUNT} (minor units)`)
    .min(min, `must be an integer from ${min} to ${MAX_AMOUNT} (minor units)`)
    .max(MAX_AMOUNT, `must be an integer from ${min} to ${MAX_AMOUNT} (minor units)`);

const requiredObject = <S extends z.ZodRawShape>(shape: S) =>
  z.object(shape, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an object') });

const chargeSchema = z.object({
  idempotencyKey,
  amount: requiredObject({ amount: amountInRange(1), currency }),
  paymentToken: z
    .string()
    .min(1, 'is required')
    .regex(/^[A-Za-z0-9_]{1,255}$/, 'must be a processor token (up to 255 letters, digits or underscores)'),
  orderId: reference,
  customerId: reference,
});

const refundSchema = z.object({
  idempotencyKey,
  chargeId: z.string().regex(UUID, 'must be a UUID'),
  // Absent, or an amount of zero: the whole remaining amount.
  amount: z
    .object({ amount: amountInRange(0), currency: z.union([z.literal(''), currency]) })
    .refine((money) => money.amount === 0 || money.currency !== '', {
      message: 'is required with a non-zero amount',
      path: ['currency'],
    })
    .optional(),
  reason: z
    .string()
    .refine((value) => codePoints(value) <= 200, 'must be at most 200 characters')
    .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters'),
});

/** `['amount', 'currency']` -> `amount.currency`. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Parses with a zod schema; the first problem becomes an InvalidArgumentError naming the field at fault. */
function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? fieldOf(issue.path) : '';
  if (!issue || field === '') throw new DomainError('INVALID_ARGUMENT', `invalid ${what}`);
  throw new InvalidArgumentError(field, `'${field}' ${issue.message}`);
}

export interface ChargeInput {
  readonly idempotencyKey: string;
  readonly amount: Money | undefined;
  readonly paymentToken: string;
  readonly orderId: string;
  readonly customerId: string;
}

export interface ChargeCommand {
  readonly idempotencyKey: string;
  readonly amount: Money;
  readonly paymentToken: string;
  readonly orderId: string;
  readonly customerId: string;
}

export function parseChargeInput(input: ChargeInput): ChargeCommand {
  return parseOrThrow(chargeSchema, input, 'charge request');
}

export interface RefundInput {
  readonly idempotencyKey: string;
  readonly chargeId: string;
  readonly amount: Money | undefined;
  readonly reason: string;
}

export interface RefundCommand {
  readonly idempotencyKey: string;
  /** Lower case, as PostgreSQL prints a uuid. */
  readonly chargeId: string;
  /** Absent: the whole remaining amount. */
  readonly amount?: number;
  /** When given, it must be the charge's currency. */
  readonly currency?: string;
  readonly reason: string;
}

export function parseRefundInput(input: RefundInput): RefundCommand {
  const parsed = parseOrThrow(refundSchema, input, 'refund request');
  return {
    idempotencyKey: parsed.idempotencyKey,
    chargeId: parsed.chargeId.toLowerCase(),
    ...(parsed.amount && parsed.amount.amount > 0 ? { amount: parsed.amount.amount } : {}),
    ...(parsed.amount?.currency ? { currency: parsed.amount.currency } : {}),
    reason: parsed.reason,
  };
}

export function parseChargeId(input: string, field = 'id'): string {
  if (!UUID.test(input)) throw new InvalidArgumentError(field, `'${field}' must be a UUID`);
  return input.toLowerCase();
}

const sha256 = (parts: readonly unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/**
 * What makes two charge requests "the same request" under one idempotency key. Only this hash is stored,
 * never the payment token itself.
 */
export function chargeFingerprint(command: ChargeCommand): string {
  return sha256([
    'charge/v1',
    command.amount.amount,
    command.amount.currency,
    command.paymentToken,
    command.orderId,
    command.customerId,
  ]);
}

export function refundFingerprint(command: RefundCommand): string {
  return sha256(['refund/v1', command.chargeId, command.amount ?? null, command.currency ?? null, command.reason]);
}

/** What the refund rule needs to know about the charge, read under its row lock. */
export interface RefundableCharge {
  readonly status: ChargeStatus | 'PENDING';
  readonly amount: Money;
}

/**
 * The amount a refund takes, given the charge and the refunds already taken from it (`reserved`: succeeded
 * and still-pending ones, so two concurrent refunds can never exceed the charge together).
 */
export function refundAmount(charge: RefundableCharge | undefined, reserved: number, command: RefundCommand): number {
  // A pending charge has no outcome yet, and its id was never returned to anyone.
  if (!charge || charge.status === 'PENDING') throw new NotFoundError(`charge ${command.chargeId}`, 'chargeId');
  if (charge.status !== 'SUCCEEDED') throw new ChargeNotRefundableError(charge.status);
  if (command.currency !== undefined && command.currency !== charge.amount.currency) {
    throw new InvalidArgumentError(
      'amount.currency',
      `'amount.currency' must be the charge's currency (${charge.amount.currency})`,
    );
  }
  const remaining = charge.amount.amount - reserved;
  if (remaining <= 0) throw new RefundExceedsChargeError('the charge is already fully refunded');
  const amount = command.amount ?? remaining;
  if (amount > remaining) {
    throw new RefundExceedsChargeError(
      `a refund of ${amount} exceeds the refundable remainder of ${remaining} ${charge.amount.currency}`,
    );
  }
  return amount;
}
