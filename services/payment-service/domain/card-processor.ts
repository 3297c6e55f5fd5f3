import type { Money } from './payment';

/** Stripe's decline codes for the declines this service distinguishes. */
export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'processing_error';

/** What a processor tells about the card it charged: never the number, only brand and last four digits. */
export interface CardDetails {
  readonly brand: string;
  readonly last4: string;
}

export interface ProcessorChargeRequest {
  /** The processor deduplicates by this key: the same key always yields the same charge. */
  readonly idempotencyKey: string;
  readonly amount: Money;
  readonly paymentToken: string;
  /** Shown with the charge at the processor (Stripe's `description`/`metadata`). */
  readonly orderId: string;
}

export type ProcessorCharge =
  | { readonly status: 'SUCCEEDED'; readonly processorChargeId: string; readonly card: CardDetails }
  | {
      readonly status: 'DECLINED';
      readonly processorChargeId: string;
      readonly card: CardDetails;
      readonly declineCode: DeclineCode;
    };

export interface ProcessorRefundRequest {
  /** The processor deduplicates by this key: the same key always yields the same refund. */
  readonly idempotencyKey: string;
  readonly processorChargeId: string;
  readonly amount: Money;
}

export interface ProcessorRefund {
  readonly processorRefundId: string;
}

/**
 * The card processor port (Stripe-like). Adapters: the deterministic mock in `adapters/`; a Stripe adapter
 * would map Stripe's API onto the same contract.
 *
 * Contract for failures, which decides what the service does with its idempotency claim:
 * - a decline is a result (status DECLINED), not an error;
 * - a DomainError (e.g. INVALID_ARGUMENT 'paymentToken' for a token the processor does not know) is a
 *   definitive refusal: nothing was charged or refunded, and nothing was recorded under the key;
 * - any other error (network, timeout, 5xx) leaves the outcome unknown; the caller retries with the SAME
 *   idempotency key, which the processor must deduplicate (Stripe does, for 24 hours).
 */
export interface CardProcessor {
  charge(request: ProcessorChargeRequest): Promise<ProcessorCharge>;
  refund(request: ProcessorRefundRequest): Promise<ProcessorRefund>;
}
