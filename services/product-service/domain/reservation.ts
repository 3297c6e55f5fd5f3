import { createHash } from 'node:crypto';
import { z } from 'zod';
import { orderLinesSchema } from '../../../lib/contracts/order-lines';
import type { Money } from './product';
import { parseOrThrow } from './validation';

export type ReservationStatus = 'RESERVED' | 'RELEASED';

export interface ReservedLine {
  readonly productId: string;
  readonly quantity: number;
  /** The product's price when the units were reserved. */
  readonly unitPrice: Money;
}

export interface Reservation {
  readonly reservationId: string;
  /** In the order of the request that created the reservation. */
  readonly lines: readonly ReservedLine[];
  readonly status: ReservationStatus;
}

export interface ReservationLine {
  /** Position in the request, so errors name `lines[index]` however the store orders its work. */
  readonly index: number;
  readonly productId: string;
  readonly quantity: number;
}

/** A validated ReserveStock request, with the hash that recognises a replay of it. */
export interface ReservationRequest {
  readonly reservationId: string;
  readonly lines: readonly ReservationLine[];
  readonly requestHash: string;
}

const RESERVATION_ID_LENGTH = 100;
const RESERVATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;
export const reservationIdSchema = z
  .string({ error: 'must be a string' })
  .regex(RESERVATION_ID, { error: `must be 1 to ${RESERVATION_ID_LENGTH} characters of A-Z a-z 0-9 . _ : -` });

const reserveSchema = z.strictObject({
  reservationId: reservationIdSchema,
  lines: orderLinesSchema({
    noun: 'line',
    strict: true,
    repeatedProduct: 'repeats a product of an earlier line (one line per product)',
  }),
});

/**
 * The hash of a request's canonical form: lines sorted by product id, so the same lines in another order
 * are the same request (the reservation is the same set of units either way).
 */
export function reservationHash(lines: readonly Pick<ReservationLine, 'productId' | 'quantity'>[]): string {
  const canonical = [...lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((l) => [l.productId, l.quantity]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Validates a ReserveStock request (errors name `reservationId`, `lines`, `lines[i].productId`, ...). */
export function parseReservationRequest(input: unknown): ReservationRequest {
  const parsed = parseOrThrow(reserveSchema, input, 'reservation');
  const lines = parsed.lines.map((line, index) => ({
    index,
    productId: line.productId.toLowerCase(),
    quantity: line.quantity,
  }));
  return { reservationId: parsed.reservationId, lines, requestHash: reservationHash(lines) };
}

export function parseReservationId(input: unknown): string {
  return parseOrThrow(z.strictObject({ reservationId: reservationIdSchema }), { reservationId: input }, 'request')
    .reservationId;
}
