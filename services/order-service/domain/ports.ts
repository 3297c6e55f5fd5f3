import type { AccessClaims } from '../../../lib/runtime/auth';
import type { Logger } from '../../../lib/runtime/logger';
import type {
  ChargeState,
  CursorPosition,
  Money,
  OrderFailure,
  OrderRecord,
  OrderRequest,
  OrderStatus,
  SagaStep,
  StockState,
} from './order';

/** What a saga step knows about the call that drives it (for logs and the peers' request ids). */
export interface SagaContext {
  readonly requestId: string;
  readonly log: Logger;
  /**
   * Epoch ms by which this run of the saga answers: peer calls retry a peer that is away until then, and an
   * order whose peer is still away stays PENDING for the recoverer. Set by the runner when absent.
   */
  readonly deadline?: number;
}

export type ReserveOutcome =
  | {
      readonly kind: 'reserved';
      /** RESERVED, or RELEASED when a replay finds the reservation already returned. */
      readonly status: string;
      readonly lines: readonly { productId: string; quantity: number; unitPrice: Money }[];
    }
  /**
   * Nothing was reserved: `line` (its position in the request) cannot be had. `reason` is undefined when
   * product-service gave one this service does not know; `field` is the member of the line at fault.
   */
  | {
      readonly kind: 'rejected';
      readonly reason?: 'OUT_OF_STOCK' | 'PRODUCT_NOT_FOUND';
      readonly line: number;
      readonly field?: 'productId' | 'quantity';
    };

/** Stock at product-service; both calls are idempotent by reservation id (= order id). Throw DownstreamError. */
export interface StockPort {
  reserve(
    reservationId: string,
    lines: readonly { productId: string; quantity: number }[],
    ctx: SagaContext,
  ): Promise<ReserveOutcome>;
  release(reservationId: string, ctx: SagaContext): Promise<void>;
}

export interface ChargeRequest {
  readonly idempotencyKey: string;
  readonly amount: Money;
  readonly paymentToken: string;
  readonly orderId: string;
  readonly customerId: string;
}

/** `voided`: the key was voided before any charge was made under it; nothing is or will be charged under it. */
export type ChargeOutcome =
  | { readonly kind: 'succeeded'; readonly chargeId: string }
  | { readonly kind: 'declined'; readonly declineCode: string }
  | { readonly kind: 'voided' };

/** Payments at payment-service; every call is idempotent by idempotency key. Throw DownstreamError. */
export interface PaymentPort {
  charge(request: ChargeRequest, ctx: SagaContext): Promise<ChargeOutcome>;
  /**
   * Settles a charge whose outcome is unknown without ever making one: the charge under the key as it stands,
   * or the key voided when there is none. A charge still in progress there is an indeterminate DownstreamError
   * (as for a peer that is away): ask again later.
   */
  voidCharge(request: ChargeRequest, ctx: SagaContext): Promise<ChargeOutcome>;
  refund(request: { idempotencyKey: string; chargeId: string; reason: string }, ctx: SagaContext): Promise<void>;
}

/** Who may run an order's saga, until when (renewed at every step). */
export interface Lease {
  readonly owner: string;
  readonly ms: number;
}

export interface NewOrder {
  readonly id: string;
  readonly userId: string;
  readonly userEmail: string;
  readonly request: OrderRequest;
  readonly lease: Lease;
}

/** A saga transition; absent fields keep their value. */
export interface OrderPatch {
  readonly status?: OrderStatus;
  readonly step?: SagaStep;
  readonly stock?: StockState;
  readonly charge?: ChargeState;
  /** Unit prices by item position. */
  readonly unitPrices?: readonly Money[];
  readonly total?: Money;
  readonly paymentId?: string;
  readonly failure?: OrderFailure;
  readonly erasePaymentToken?: boolean;
  /** The lease's length from this update instead of the lease's own; 0 hands the order to the recoverer now. */
  readonly leaseMs?: number;
}

/** A row of the transactional outbox: written with the order, published by the relay. */
export interface OutboxEvent {
  /** Also the CloudEvents id, the consumers' deduplication key. */
  readonly id: string;
  /** The Kafka record key (the order id). */
  readonly key: string;
  readonly type: string;
  /** The event as JSON, exactly as it will be published. */
  readonly payload: string;
}

export interface OrderStore {
  /** Inserts a PENDING order under `lease`, or finds the order the user's idempotency key already names. */
  insertOrFind(order: NewOrder): Promise<{ created: boolean; order: OrderRecord }>;
  get(id: string): Promise<OrderRecord | undefined>;
  /** Up to `limit` of the user's orders after `after`, newest first (created_at, id descending). */
  listByUser(userId: string, after: CursorPosition | undefined, limit: number): Promise<OrderRecord[]>;
  /** Up to `limit` orders of every user after `after`, newest first (created_at, id descending). */
  listAll(after: CursorPosition | undefined, limit: number): Promise<OrderRecord[]>;
  /** Takes the lease of an unfinished order whose lease has expired; undefined when someone holds it. */
  takeLease(id: string, lease: Lease): Promise<OrderRecord | undefined>;
  /** Takes the leases of up to `limit` unfinished orders whose leases expired, except `excluding`. */
  takeStaleLeases(lease: Lease, limit: number, excluding: readonly string[]): Promise<string[]>;
  /**
   * Applies `patch` (and appends `event` to the outbox) in one transaction, when `lease` still holds the
   * order and its step is `from`; renews the lease. Undefined when the guard failed.
   */
  advance(
    id: string,
    lease: Lease,
    from: SagaStep,
    patch: OrderPatch,
    event?: OutboxEvent,
  ): Promise<OrderRecord | undefined>;
}

/** Verifies a bearer token; every failure is an UnauthenticatedError (the kit's TokenVerifier). */
export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessClaims>;
}
