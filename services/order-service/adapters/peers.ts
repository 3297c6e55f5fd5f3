import * as grpc from '@grpc/grpc-js';
import {
  ChargeStatus,
  PaymentServiceClient,
  type ChargeResult as ProtoChargeResult,
} from '../../../lib/contracts/gen/shopfront/payment/v1/payment';
import {
  ProductServiceClient,
  RejectionReason,
  type ReservationRejection,
  StockLineField,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import { callUnary, insecureChannel, isServiceError } from '../../../lib/runtime/grpc-client';
import type { ServiceMetrics } from '../../../lib/runtime/metrics';
import { ERROR_FIELD_KEY, grpcCodeName } from '../../../lib/runtime/status';
import { DownstreamError } from '../domain/errors';
import type {
  ChargeOutcome,
  ChargeRequest,
  PaymentPort,
  ReserveOutcome,
  SagaContext,
  StockPort,
} from '../domain/ports';
import { type RetryEnvironment, type RetryPolicy, withRetries } from '../domain/retry';

export interface PeerCallSettings {
  /** The deadline of each attempt. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly metrics?: ServiceMetrics;
  /** For tests: sleep and randomness of the backoff. */
  readonly environment?: RetryEnvironment;
}

/** Retried: the call may not have arrived (UNAVAILABLE) or its answer did not (DEADLINE_EXCEEDED). */
const RETRYABLE = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/** The peer refused the request: nothing happened there. Anything else may have had an effect. */
const DEFINITIVE = new Set<number>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNIMPLEMENTED,
]);

const isRetryable = (error: unknown) => isServiceError(error) && RETRYABLE.has(error.code);

function trailer(error: grpc.ServiceError, key: string): string | undefined {
  const value = error.metadata?.get(key)[0];
  return value === undefined ? undefined : String(value);
}

function downstream(peer: string, rpc: string, error: unknown): DownstreamError {
  if (isServiceError(error)) {
    return new DownstreamError(
      peer,
      rpc,
      grpcCodeName(error.code),
      !DEFINITIVE.has(error.code),
      error.details,
      trailer(error, ERROR_FIELD_KEY),
    );
  }
  // No status (e.g. an answer that could not be decoded): whether the peer acted is unknown.
  return new DownstreamError(peer, rpc, 'UNKNOWN', true, error instanceof Error ? error.message : 'unknown error');
}

/** The shortest attempt made when the saga's deadline is closer than `timeoutMs`. */
const MIN_ATTEMPT_MS = 250;

/**
 * One idempotent peer call, retried on UNAVAILABLE and DEADLINE_EXCEEDED only (exponential backoff, full
 * jitter). With the saga's deadline (`ctx.deadline`), it retries until the next retry would start past it and
 * no attempt runs past it (each lasts at most `timeoutMs`, at least 250 ms); without one, `retry.retries` bound it.
 */
function callIdempotent<Req, Res>(
  settings: PeerCallSettings,
  peer: string,
  rpc: string,
  client: grpc.Client,
  method: Parameters<typeof callUnary<Req, Res>>[1],
  request: Req,
  ctx: SagaContext,
): Promise<Res> {
  const now = settings.environment?.now ?? Date.now;
  const deadline = ctx.deadline;
  const attemptMs = () =>
    deadline === undefined
      ? settings.timeoutMs
      : Math.min(settings.timeoutMs, Math.max(deadline - now(), MIN_ATTEMPT_MS));
  return withRetries(
    () =>
      callUnary(
        client,
        method,
        request,
        { peer, rpc, timeoutMs: attemptMs(), requestId: ctx.requestId },
        settings.metrics,
      ),
    deadline === undefined ? settings.retry : { ...settings.retry, retries: Number.POSITIVE_INFINITY },
    isRetryable,
    {
      ...settings.environment,
      deadline,
      onRetry: (error, retry, delayMs) => {
        ctx.log.warn(
          { peer, rpc, retry, delayMs, status: isServiceError(error) ? grpcCodeName(error.code) : 'UNKNOWN' },
          'retrying a peer call',
        );
        settings.environment?.onRetry?.(error, retry, delayMs);
      },
    },
  );
}

const PRODUCT = 'product-service';
const PAYMENT = 'payment-service';

const REJECTION_REASONS: Partial<Record<RejectionReason, 'OUT_OF_STOCK' | 'PRODUCT_NOT_FOUND'>> = {
  [RejectionReason.REJECTION_REASON_OUT_OF_STOCK]: 'OUT_OF_STOCK',
  [RejectionReason.REJECTION_REASON_PRODUCT_NOT_FOUND]: 'PRODUCT_NOT_FOUND',
};

const LINE_FIELDS: Partial<Record<StockLineField, 'productId' | 'quantity'>> = {
  [StockLineField.STOCK_LINE_FIELD_PRODUCT_ID]: 'productId',
  [StockLineField.STOCK_LINE_FIELD_QUANTITY]: 'quantity',
};

function rejectedOutcome(rejection: ReservationRejection): ReserveOutcome {
  return {
    kind: 'rejected',
    reason: REJECTION_REASONS[rejection.reason],
    line: rejection.lineIndex,
    field: LINE_FIELDS[rejection.field],
  };
}

/** Stock reservations at product-service over gRPC. */
export class GrpcStockPort implements StockPort {
  private readonly client: ProductServiceClient;

  constructor(
    address: string,
    private readonly settings: PeerCallSettings,
  ) {
    this.client = new ProductServiceClient(address, insecureChannel());
  }

  async reserve(
    reservationId: string,
    lines: readonly { productId: string; quantity: number }[],
    ctx: SagaContext,
  ): Promise<ReserveOutcome> {
    try {
      const reservation = await callIdempotent(
        this.settings,
        PRODUCT,
        'ReserveStock',
        this.client,
        this.client.reserveStock,
        { reservationId, lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) },
        ctx,
      );
      if (reservation.rejection) return rejectedOutcome(reservation.rejection);
      return {
        kind: 'reserved',
        status: reservation.status,
        lines: reservation.lines.map((l) => ({
          productId: l.productId,
          quantity: l.quantity,
          unitPrice: { amount: l.unitPrice?.amount ?? 0, currency: l.unitPrice?.currency ?? '' },
        })),
      };
    } catch (error) {
      throw downstream(PRODUCT, 'ReserveStock', error);
    }
  }

  async release(reservationId: string, ctx: SagaContext): Promise<void> {
    try {
      await callIdempotent(
        this.settings,
        PRODUCT,
        'ReleaseStock',
        this.client,
        this.client.releaseStock,
        { reservationId },
        ctx,
      );
    } catch (error) {
      throw downstream(PRODUCT, 'ReleaseStock', error);
    }
  }

  close(): void {
    this.client.close();
  }
}

function chargeOutcome(rpc: string, result: ProtoChargeResult): ChargeOutcome {
  if (result.status === ChargeStatus.CHARGE_STATUS_SUCCEEDED) return { kind: 'succeeded', chargeId: result.id };
  if (result.status === ChargeStatus.CHARGE_STATUS_DECLINED) {
    return { kind: 'declined', declineCode: result.declineCode || 'card_declined' };
  }
  if (result.status === ChargeStatus.CHARGE_STATUS_VOIDED) return { kind: 'voided' };
  // An answer without a known status cannot tell whether money moved.
  throw new DownstreamError(PAYMENT, rpc, 'UNKNOWN', true, `unexpected charge status ${result.status}`);
}

/** Charge and VoidCharge take the same request. */
const chargeMessage = (request: ChargeRequest) => ({
  idempotencyKey: request.idempotencyKey,
  amount: { amount: request.amount.amount, currency: request.amount.currency },
  paymentToken: request.paymentToken,
  orderId: request.orderId,
  customerId: request.customerId,
});

/** Charges and refunds at payment-service over gRPC. */
export class GrpcPaymentPort implements PaymentPort {
  private readonly client: PaymentServiceClient;

  constructor(
    address: string,
    private readonly settings: PeerCallSettings,
  ) {
    this.client = new PaymentServiceClient(address, insecureChannel());
  }

  async charge(request: ChargeRequest, ctx: SagaContext): Promise<ChargeOutcome> {
    let result: ProtoChargeResult;
    try {
      result = await callIdempotent(
        this.settings,
        PAYMENT,
        'Charge',
        this.client,
        this.client.charge,
        chargeMessage(request),
        ctx,
      );
    } catch (error) {
      throw downstream(PAYMENT, 'Charge', error);
    }
    return chargeOutcome('Charge', result);
  }

  /** A charge in progress at payment-service is UNAVAILABLE there: retried like a peer that is away. */
  async voidCharge(request: ChargeRequest, ctx: SagaContext): Promise<ChargeOutcome> {
    let result: ProtoChargeResult;
    try {
      result = await callIdempotent(
        this.settings,
        PAYMENT,
        'VoidCharge',
        this.client,
        this.client.voidCharge,
        chargeMessage(request),
        ctx,
      );
    } catch (error) {
      const failure = downstream(PAYMENT, 'VoidCharge', error);
      // A payment-service that predates VoidCharge (mid-rollout) may hold the charge: not a refusal, ask again later.
      if (failure.status === 'UNIMPLEMENTED') {
        throw new DownstreamError(PAYMENT, 'VoidCharge', failure.status, true, 'payment-service has no VoidCharge yet');
      }
      throw failure;
    }
    return chargeOutcome('VoidCharge', result);
  }

  async refund(request: { idempotencyKey: string; chargeId: string; reason: string }, ctx: SagaContext): Promise<void> {
    try {
      await callIdempotent(
        this.settings,
        PAYMENT,
        'Refund',
        this.client,
        this.client.refund,
        {
          idempotencyKey: request.idempotencyKey,
          chargeId: request.chargeId,
          amount: undefined,
          reason: request.reason,
        },
        ctx,
      );
    } catch (error) {
      throw downstream(PAYMENT, 'Refund', error);
    }
  }

  close(): void {
    this.client.close();
  }
}
