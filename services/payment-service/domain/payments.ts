import { randomUUID } from 'node:crypto';
import { DomainError, NotFoundError } from '../../../lib/runtime/errors';
import { withTimeout } from '../../../lib/runtime/health';
import type { Logger } from '../../../lib/runtime/logger';
import type { CardDetails, CardProcessor, DeclineCode, ProcessorCharge } from './card-processor';
import { IdempotencyKeyReusedError, OperationInProgressError, ProcessorUnavailableError } from './errors';
import {
  type Charge,
  type ChargeCommand,
  type ChargeInput,
  type ChargeStatus,
  chargeFingerprint,
  type Money,
  parseChargeId,
  parseChargeInput,
  parseRefundInput,
  type Refund,
  type RefundableCharge,
  type RefundCommand,
  type RefundInput,
  refundAmount,
  refundFingerprint,
} from './payment';

/** The bookkeeping of an idempotency key while its operation runs: who holds it, and until when. */
export interface ClaimState {
  readonly requestHash: string;
  /** 1 for the first owner; +1 each time a retry takes over an expired claim. */
  readonly attempt: number;
  /** Epoch milliseconds until which the owner may finish undisturbed. */
  readonly leaseUntilMs: number;
}

export interface ChargeRecord extends ClaimState {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly status: 'PENDING' | ChargeStatus;
  readonly declineCode?: DeclineCode;
  readonly card?: CardDetails;
  readonly processorChargeId?: string;
  /** Sum of the succeeded refunds, in the charge's currency. */
  readonly refunded: number;
  readonly createdAt: string;
}

export interface RefundRecord extends ClaimState {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly chargeId: string;
  readonly amount: Money;
  readonly reason: string;
  readonly status: 'PENDING' | 'SUCCEEDED';
  /** The processor's id of the refunded charge. */
  readonly processorChargeId: string;
  readonly createdAt: string;
}

/** `claimed`: the caller now owns the key; `existing`: someone does or did; `vanished`: it was just given up. */
export type ClaimResult<R> =
  | { readonly kind: 'claimed'; readonly record: R }
  | { readonly kind: 'existing'; readonly record: R }
  | { readonly kind: 'vanished' };

export interface NewChargeClaim {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly leaseUntilMs: number;
}

/** A key recorded VOIDED: the request it was voided for, and no lease (nothing runs under it). */
export type NewVoidedCharge = Omit<NewChargeClaim, 'leaseUntilMs'>;

export interface NewRefundClaim {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly chargeId: string;
  readonly reason: string;
  readonly leaseUntilMs: number;
  /**
   * Decides the amount under the charge's row lock, from the charge and what its refunds (succeeded and
   * pending) already take; throws a DomainError to refuse the refund.
   */
  readonly amountFor: (charge: RefundableCharge | undefined, reserved: number) => number;
}

/**
 * The storage port. Every method is one atomic step; none holds a transaction open across a processor call.
 * `attempt` arguments make a step apply only while the caller still owns the claim.
 */
export interface PaymentStore {
  /** Inserts a PENDING charge for the key unless the key exists (then returns that record). */
  claimCharge(claim: NewChargeClaim): Promise<ClaimResult<ChargeRecord>>;
  /**
   * Inserts the key as a VOIDED charge unless the key exists (then returns that record): from then on, a claim of
   * the key finds it done, so nothing is ever charged under it.
   */
  voidCharge(voided: NewVoidedCharge): Promise<ClaimResult<ChargeRecord>>;
  /** Takes over a PENDING claim whose lease ended by `nowMs`; undefined when someone else was first. */
  retakeCharge(id: string, attempt: number, nowMs: number, leaseUntilMs: number): Promise<ChargeRecord | undefined>;
  /** Records the processor's outcome on a PENDING charge (a no-op when already recorded); returns the charge. */
  completeCharge(id: string, outcome: ProcessorCharge): Promise<ChargeRecord>;
  /** Deletes a PENDING claim the processor definitively refused, freeing its key. */
  abandonCharge(id: string, attempt: number): Promise<void>;
  /** Ends the lease of a PENDING claim now, so the next retry takes it over at once. */
  expireCharge(id: string, attempt: number, nowMs: number): Promise<void>;
  getCharge(id: string): Promise<ChargeRecord | undefined>;

  claimRefund(claim: NewRefundClaim): Promise<ClaimResult<RefundRecord>>;
  retakeRefund(id: string, attempt: number, nowMs: number, leaseUntilMs: number): Promise<RefundRecord | undefined>;
  completeRefund(id: string, processorRefundId: string): Promise<RefundRecord>;
  abandonRefund(id: string, attempt: number): Promise<void>;
  expireRefund(id: string, attempt: number, nowMs: number): Promise<void>;
}

/** The time budgets of an operation (see `paymentTimings` in config.ts for how the service sets them). */
export interface PaymentTimings {
  /** A processor call unanswered by then counts as an unknown outcome (retryable). */
  readonly processorTimeoutMs: number;
  /** How long a duplicate request waits for the in-flight original before answering UNAVAILABLE. */
  readonly inProgressWaitMs: number;
  /** How long a claim is held before a retry may take it over (the owner crashed or hung). */
  readonly claimLeaseMs: number;
}

export interface PaymentsOptions extends PaymentTimings {
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
}

/** Only these fields are ever logged: ids, outcomes, brand and last four digits; never a token. */
export type OperationLog = Pick<Logger, 'info' | 'warn'>;

const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 250;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Acquired<R> = { readonly owned: R } | { readonly done: R };

function toCharge(record: ChargeRecord): Charge {
  if (record.status === 'PENDING') throw new Error(`charge ${record.id} has no outcome yet`);
  // Only a voided key has no card: the processor never saw it.
  if (record.status !== 'VOIDED' && !record.card) throw new Error(`charge ${record.id} has no card`);
  return {
    id: record.id,
    idempotencyKey: record.idempotencyKey,
    orderId: record.orderId,
    customerId: record.customerId,
    amount: record.amount,
    status: record.status,
    ...(record.declineCode ? { declineCode: record.declineCode } : {}),
    ...(record.card ? { card: record.card } : {}),
    refunded: { amount: record.refunded, currency: record.amount.currency },
    createdAt: record.createdAt,
  };
}

function toRefund(record: RefundRecord): Refund {
  if (record.status !== 'SUCCEEDED') throw new Error(`refund ${record.id} has no outcome yet`);
  return {
    id: record.id,
    chargeId: record.chargeId,
    amount: record.amount,
    reason: record.reason,
    createdAt: record.createdAt,
  };
}

/** The name of an unexpected error, never its message (a driver or SDK message may quote request data). */
const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * Charges and refunds, idempotent by key and safe under concurrency and crashes:
 *
 * 1. Claim the key: a PENDING row with the request's hash, inserted only if the key is new (own transaction).
 * 2. Call the processor outside any transaction, with a processor idempotency key fixed by the claim (the
 *    charge's or refund's id), so every attempt for one client key is the same operation at the processor.
 * 3. Record the outcome on the PENDING row.
 *
 * A duplicate that finds the key finished gets the stored result (a decline included) without a processor call;
 * one that finds it PENDING polls for up to `inProgressWaitMs`, then answers UNAVAILABLE "in progress"
 * (retryable), so a caller is never held longer than the slowest processor answer plus a margin.
 * A claim whose lease ended (its owner crashed, or its processor call timed out) is taken over by the next
 * retry of the same request, which calls the processor again under the same processor key: the processor
 * deduplicates it, so a retaken claim never charges twice.
 *
 * `voidCharge` settles a key for a caller that no longer wants the charge: it records the key VOIDED when no
 * charge exists under it (a later charge of the key then finds it done, and nothing is charged), returns a
 * finished charge as it stands, and answers "in progress" at once while one runs.
 */
export class Payments {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly newId: () => string;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: PaymentStore,
    private readonly processor: CardProcessor,
    private readonly options: PaymentsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepFor;
    this.newId = options.newId ?? randomUUID;
  }

  charge(input: ChargeInput, log: OperationLog): Promise<Charge> {
    return this.track(this.chargeOnce(input, log));
  }

  /**
   * The charge under the request's key as it stands, or, when there is none, the key recorded VOIDED (no
   * processor call). One in progress under a live lease: OperationInProgressError at once (UNAVAILABLE, retry
   * later). One whose lease ended (its owner crashed or its processor call went unanswered) is completed under
   * its processor key first, since only the processor knows whether it charged.
   */
  voidCharge(input: ChargeInput, log: OperationLog): Promise<Charge> {
    return this.track(this.voidOnce(input, log));
  }

  refund(input: RefundInput, log: OperationLog): Promise<Refund> {
    return this.track(this.refundOnce(input, log));
  }

  async getCharge(id: string): Promise<Charge> {
    const chargeId = parseChargeId(id);
    const record = await this.store.getCharge(chargeId);
    // A pending charge has no outcome yet, and its id was never returned to anyone.
    if (!record || record.status === 'PENDING') throw new NotFoundError(`charge ${chargeId}`, 'id');
    return toCharge(record);
  }

  /** Resolves when the charges and refunds under way (processor calls and their recording) have finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight.add(operation);
    const forget = () => this.inFlight.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  private async chargeOnce(input: ChargeInput, log: OperationLog): Promise<Charge> {
    const command = parseChargeInput(input);
    const requestHash = chargeFingerprint(command);
    const acquired = await this.acquire('charge', requestHash, {
      claim: (leaseUntilMs) =>
        this.store.claimCharge({
          id: this.newId(),
          idempotencyKey: command.idempotencyKey,
          requestHash,
          orderId: command.orderId,
          customerId: command.customerId,
          amount: command.amount,
          leaseUntilMs,
        }),
      retake: (record, nowMs, leaseUntilMs) => this.store.retakeCharge(record.id, record.attempt, nowMs, leaseUntilMs),
    });
    if ('done' in acquired) {
      const { id: chargeId, orderId, status } = acquired.done;
      if (status === 'VOIDED') log.info({ chargeId, orderId }, 'charge refused: its key was voided');
      else log.info({ chargeId, orderId, replayed: true }, 'charge replayed');
      return toCharge(acquired.done);
    }
    return this.performCharge(acquired.owned, command, log);
  }

  private async voidOnce(input: ChargeInput, log: OperationLog): Promise<Charge> {
    const command = parseChargeInput(input);
    const requestHash = chargeFingerprint(command);
    for (;;) {
      const voided = await this.store.voidCharge({
        id: this.newId(),
        idempotencyKey: command.idempotencyKey,
        requestHash,
        orderId: command.orderId,
        customerId: command.customerId,
        amount: command.amount,
      });
      // Given up by its owner between the insert and the read (the processor refused it): the key is free again.
      if (voided.kind === 'vanished') continue;
      const record = voided.record;
      if (voided.kind === 'claimed') {
        log.info({ chargeId: record.id, orderId: record.orderId }, 'charge voided');
        return toCharge(record);
      }
      if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError('charge');
      const ids = { chargeId: record.id, orderId: record.orderId, status: record.status };
      if (record.status !== 'PENDING') {
        log.info(ids, 'void found the charge done');
        return toCharge(record);
      }
      const now = this.now();
      if (record.leaseUntilMs > now) {
        log.info(ids, 'void found the charge in progress');
        throw new OperationInProgressError('charge');
      }
      const taken = await this.store.retakeCharge(record.id, record.attempt, now, now + this.options.claimLeaseMs);
      // Another retry took it over first: it is in progress again, which the next look answers.
      if (!taken) continue;
      log.info(ids, 'void completes a charge whose owner is gone');
      try {
        return await this.performCharge(taken, command, log);
      } catch (error) {
        // A definitive refusal deleted the claim (nothing was charged), so the key can be voided now.
        if (error instanceof ProcessorUnavailableError || !(error instanceof DomainError)) throw error;
      }
    }
  }

  private async refundOnce(input: RefundInput, log: OperationLog): Promise<Refund> {
    const command = parseRefundInput(input);
    const requestHash = refundFingerprint(command);
    const acquired = await this.acquire('refund', requestHash, {
      claim: (leaseUntilMs) =>
        this.store.claimRefund({
          id: this.newId(),
          idempotencyKey: command.idempotencyKey,
          requestHash,
          chargeId: command.chargeId,
          reason: command.reason,
          leaseUntilMs,
          amountFor: (charge, reserved) => refundAmount(charge, reserved, command),
        }),
      retake: (record, nowMs, leaseUntilMs) => this.store.retakeRefund(record.id, record.attempt, nowMs, leaseUntilMs),
    });
    if ('done' in acquired) {
      log.info({ refundId: acquired.done.id, chargeId: acquired.done.chargeId, replayed: true }, 'refund replayed');
      return toRefund(acquired.done);
    }
    return this.performRefund(acquired.owned, command, log);
  }

  private async acquire<R extends ClaimState & { readonly status: string }>(
    what: 'charge' | 'refund',
    requestHash: string,
    ops: {
      claim(leaseUntilMs: number): Promise<ClaimResult<R>>;
      retake(record: R, nowMs: number, leaseUntilMs: number): Promise<R | undefined>;
    },
  ): Promise<Acquired<R>> {
    const deadline = this.now() + this.options.inProgressWaitMs;
    let pause = POLL_FIRST_MS;
    for (;;) {
      const claim = await ops.claim(this.now() + this.options.claimLeaseMs);
      if (claim.kind === 'claimed') return { owned: claim.record };
      if (claim.kind === 'existing') {
        const record = claim.record;
        if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError(what);
        if (record.status !== 'PENDING') return { done: record };
        const now = this.now();
        if (record.leaseUntilMs <= now) {
          const taken = await ops.retake(record, now, now + this.options.claimLeaseMs);
          if (taken) return { owned: taken };
          continue;
        }
      }
      // PENDING under a live lease, or just given up by its owner: wait a little and look again.
      const now = this.now();
      if (now >= deadline) throw new OperationInProgressError(what);
      await this.sleep(Math.min(pause, deadline - now));
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  private async performCharge(record: ChargeRecord, command: ChargeCommand, log: OperationLog): Promise<Charge> {
    const ids = { chargeId: record.id, orderId: record.orderId, attempt: record.attempt };
    let outcome: ProcessorCharge;
    try {
      outcome = await withTimeout(
        this.processor.charge({
          idempotencyKey: record.id,
          amount: command.amount,
          paymentToken: command.paymentToken,
          orderId: command.orderId,
        }),
        this.options.processorTimeoutMs,
        `the processor did not answer within ${this.options.processorTimeoutMs} ms`,
      );
    } catch (error) {
      if (error instanceof DomainError) {
        // A definitive refusal: nothing was charged, so the key is freed for a corrected request.
        await this.store.abandonCharge(record.id, record.attempt);
        log.info({ ...ids, code: error.code, field: error.field }, 'charge refused by the processor');
        throw error;
      }
      await this.store.expireCharge(record.id, record.attempt, this.now());
      log.warn({ ...ids, error: errorName(error) }, 'charge outcome unknown; the claim is open to a retry');
      throw new ProcessorUnavailableError();
    }
    const done = await this.store.completeCharge(record.id, outcome);
    log.info(
      {
        ...ids,
        status: done.status,
        declineCode: done.declineCode,
        cardBrand: done.card?.brand,
        cardLast4: done.card?.last4,
      },
      'charge recorded',
    );
    return toCharge(done);
  }

  private async performRefund(record: RefundRecord, command: RefundCommand, log: OperationLog): Promise<Refund> {
    const ids = { refundId: record.id, chargeId: command.chargeId, attempt: record.attempt };
    let processorRefundId: string;
    try {
      const refund = await withTimeout(
        this.processor.refund({
          idempotencyKey: record.id,
          processorChargeId: record.processorChargeId,
          amount: record.amount,
        }),
        this.options.processorTimeoutMs,
        `the processor did not answer within ${this.options.processorTimeoutMs} ms`,
      );
      processorRefundId = refund.processorRefundId;
    } catch (error) {
      if (error instanceof DomainError) {
        // Nothing was refunded: free the key and the amount this claim set aside.
        await this.store.abandonRefund(record.id, record.attempt);
        log.info({ ...ids, code: error.code }, 'refund refused by the processor');
        throw error;
      }
      await this.store.expireRefund(record.id, record.attempt, this.now());
      log.warn({ ...ids, error: errorName(error) }, 'refund outcome unknown; the claim is open to a retry');
      throw new ProcessorUnavailableError();
    }
    const done = await this.store.completeRefund(record.id, processorRefundId);
    log.info({ ...ids, amount: done.amount.amount, currency: done.amount.currency }, 'refund recorded');
    return toRefund(done);
  }
}
