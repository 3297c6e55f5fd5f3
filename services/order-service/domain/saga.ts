import { buildOrderCreated } from '../../../lib/events';
import type { Logger } from '../../../lib/runtime/logger';
import { DownstreamError, LeaseLostError } from './errors';
import {
  FailureCode,
  type FailureField,
  type Money,
  type OrderFailure,
  type OrderRecord,
  type SagaStep,
  totalOf,
} from './order';
import type {
  ChargeOutcome,
  Lease,
  OrderPatch,
  OrderStore,
  OutboxEvent,
  PaymentPort,
  ReserveOutcome,
  SagaContext,
  StockPort,
} from './ports';

/** CloudEvents `source` of the events this service produces. */
export const EVENT_SOURCE = '/services/order-service';

/** The payment idempotency key of an order: a replay of the saga never charges twice. */
export const chargeKeyOf = (orderId: string): string => `order:${orderId}`;
export const refundKeyOf = (orderId: string): string => `refund:order:${orderId}`;

export interface SagaHooks {
  /** After a charge succeeded, before the order is confirmed. Tests throw here to simulate a crash. */
  readonly afterCharge?: (orderId: string) => Promise<void> | void;
}

export interface OrderSagaDeps {
  readonly store: OrderStore;
  readonly stock: StockPort;
  readonly payment: PaymentPort;
  readonly newId: () => string;
  readonly now?: () => Date;
  readonly hooks?: SagaHooks;
  /**
   * How long after its creation an order whose peer is away is kept PENDING for the recoverer; past it the
   * order fails as when the peer refused. @default 15 minutes
   */
  readonly pendingLimitMs?: number;
}

/** A peer that is away (restarting, overloaded) rather than one that refused or failed. */
const isPeerAway = (error: DownstreamError) => error.status === 'UNAVAILABLE' || error.status === 'DEADLINE_EXCEEDED';

/** A run stops and leaves the order unfinished; `order` is as recorded. */
class Deferred {
  constructor(readonly order: OrderRecord) {}
}

/**
 * What a customer reads of a failure a peer caused (Order.failure_reason, the REST order's failureReason): what
 * happened to the order and what they can do, never which service failed or its status (those are `peer`).
 */
function customerReason(code: FailureCode, error: DownstreamError, field?: FailureField): string {
  if (field === 'PAYMENT_TOKEN')
    return 'the payment token was refused; pay with another one, under a new Idempotency-Key';
  switch (code) {
    case FailureCode.PAYMENT_FAILED:
      return error.indeterminate
        ? 'the payment could not be processed; any charge is refunded'
        : 'the payment could not be processed; nothing was charged';
    case FailureCode.PRODUCT_SERVICE_UNAVAILABLE:
      return 'the stock could not be checked in time; nothing was charged; try again later';
    default:
      return 'the stock could not be reserved; nothing was charged';
  }
}

/** A failure a peer caused: its wording for the customer, and which peer with which status for operators. */
const peerFailure = (code: FailureCode, error: DownstreamError, field?: FailureField): OrderFailure => ({
  code,
  reason: customerReason(code, error, field),
  peer: { name: error.peer, code: error.status },
  ...(field && { field }),
});

/** The request field payment-service names when it refuses the payment token (ChargeRequest.paymentToken). */
const PAYMENT_TOKEN_FIELD = 'paymentToken';

/** What an order records once compensation settled its unknown charge (`refused`: the void was refused). */
function settledCharge(outcome: ChargeOutcome | 'refused'): OrderPatch {
  if (outcome === 'refused') return { charge: 'NONE' };
  switch (outcome.kind) {
    case 'succeeded':
      return { charge: 'SUCCEEDED', paymentId: outcome.chargeId };
    case 'declined':
      return { charge: 'DECLINED' };
    case 'voided':
      return { charge: 'VOIDED' };
  }
}

/** What an order records when product-service rejected a line of its reservation. */
function rejectionFailure(
  outcome: Extract<ReserveOutcome, { kind: 'rejected' }>,
  lines: readonly { productId: string }[],
): OrderFailure {
  const product = lines[outcome.line]?.productId;
  if (product === undefined) {
    return { code: FailureCode.STOCK_NOT_RESERVED, reason: 'product-service rejected a line the order does not have' };
  }
  const field: FailureField | undefined =
    outcome.field === 'productId' ? 'ITEM_PRODUCT_ID' : outcome.field === 'quantity' ? 'ITEM_QUANTITY' : undefined;
  // The position is recorded with the member of the item it is about, never alone.
  const at = field ? { field, itemIndex: outcome.line } : {};
  const path = `items[${outcome.line}]${outcome.field ? `.${outcome.field}` : ''}`;
  if (outcome.reason === 'OUT_OF_STOCK') {
    return { code: FailureCode.OUT_OF_STOCK, reason: `not enough stock for ${path} (product ${product})`, ...at };
  }
  if (outcome.reason === 'PRODUCT_NOT_FOUND') {
    return { code: FailureCode.PRODUCT_NOT_FOUND, reason: `${path}: product ${product} does not exist`, ...at };
  }
  return {
    code: FailureCode.STOCK_NOT_RESERVED,
    reason: `product-service rejected ${path} for a reason this service does not know`,
    ...at,
  };
}

/**
 * The order saga: reserve stock, charge, confirm with the order.created event in one transaction; on any
 * failure, record the decision first and compensate after (release the stock, refund a charge). Every step
 * is recorded before its side effect is attempted and every peer call is idempotent by key, so the saga can
 * be driven again from whatever step a crash left it in, by the request that replays it or the recoverer.
 */
export class OrderSaga {
  private readonly now: () => Date;
  private readonly pendingLimitMs: number;

  constructor(private readonly deps: OrderSagaDeps) {
    this.now = deps.now ?? (() => new Date());
    this.pendingLimitMs = deps.pendingLimitMs ?? 15 * 60_000;
  }

  /**
   * Drives the order from its step until it is done, or until a peer it needs stays away past the run's
   * deadline: then the order stays as recorded (PENDING while placing it, FAILED while compensating) and its
   * lease is handed to the recoverer. Throws LeaseLostError when another runner took over.
   */
  async drive(order: OrderRecord, lease: Lease, ctx: SagaContext): Promise<OrderRecord> {
    let current = order;
    try {
      for (;;) {
        switch (current.step) {
          case 'RESERVING':
            current = await this.reserve(current, lease, ctx);
            break;
          case 'CHARGING':
            current = await this.charge(current, lease, ctx);
            break;
          case 'COMPENSATING':
            current = await this.compensate(current, lease, ctx);
            break;
          case 'DONE':
            return current;
        }
      }
    } catch (error) {
      if (error instanceof Deferred) return error.order;
      throw error;
    }
  }

  /**
   * Whether a peer that is away should leave the order PENDING (retried by the recoverer) rather than fail it:
   * yes until the order is `pendingLimitMs` old.
   */
  private waitsForPeer(order: OrderRecord, error: DownstreamError): boolean {
    if (!isPeerAway(error)) return false;
    const created = Date.parse(order.createdAt);
    return Number.isNaN(created) || this.now().getTime() - created < this.pendingLimitMs;
  }

  /**
   * Records what is known, hands the lease to the recoverer at once (it takes the order at its next pass) and
   * stops this run: the caller answers with the order as it stands.
   */
  private async defer(
    order: OrderRecord,
    lease: Lease,
    from: SagaStep,
    facts: Pick<OrderPatch, 'stock' | 'charge'>,
    error: DownstreamError,
    ctx: SagaContext,
  ): Promise<never> {
    const recorded = await this.advance(order, lease, from, { ...facts, leaseMs: 0 });
    ctx.log.warn(
      { orderId: order.id, step: from, peer: error.peer, rpc: error.rpc, status: error.status },
      'a peer is away; the order stays unfinished and the saga recoverer resumes it',
    );
    throw new Deferred(recorded);
  }

  private async advance(
    order: OrderRecord,
    lease: Lease,
    from: SagaStep,
    patch: OrderPatch,
    event?: OutboxEvent,
  ): Promise<OrderRecord> {
    const next = await this.deps.store.advance(order.id, lease, from, patch, event);
    if (!next) throw new LeaseLostError(order.id);
    return next;
  }

  /** Records the failure (the customer sees FAILED from now on); compensation follows in `drive`. */
  private async fail(
    order: OrderRecord,
    lease: Lease,
    from: SagaStep,
    failure: OrderFailure,
    facts: Pick<OrderPatch, 'stock' | 'charge' | 'paymentId'>,
    ctx: SagaContext,
  ): Promise<OrderRecord> {
    const failed = await this.advance(order, lease, from, {
      status: 'FAILED',
      step: 'COMPENSATING',
      failure,
      ...facts,
    });
    ctx.log.info(
      {
        orderId: order.id,
        failureCode: failure.code,
        declineCode: failure.declineCode,
        field: failure.field,
        itemIndex: failure.itemIndex,
        peer: failure.peer?.name,
        peerCode: failure.peer?.code,
      },
      'order failed',
    );
    return failed;
  }

  private async reserve(order: OrderRecord, lease: Lease, ctx: SagaContext): Promise<OrderRecord> {
    const lines = order.items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
    let outcome: ReserveOutcome;
    try {
      outcome = await this.deps.stock.reserve(order.id, lines, ctx);
    } catch (error) {
      if (!(error instanceof DownstreamError)) throw error;
      // The reservation may exist: a replay with the same id finds it (or makes it) when the peer is back.
      if (this.waitsForPeer(order, error))
        return this.defer(order, lease, 'RESERVING', { stock: 'UNKNOWN' }, error, ctx);
      const code = error.indeterminate ? FailureCode.PRODUCT_SERVICE_UNAVAILABLE : FailureCode.STOCK_NOT_RESERVED;
      // A reservation may exist when the peer did not answer: compensation releases it (releasing is harmless).
      const stock = error.indeterminate ? 'UNKNOWN' : 'NONE';
      return this.fail(order, lease, 'RESERVING', peerFailure(code, error), { stock }, ctx);
    }

    if (outcome.kind === 'rejected') {
      return this.fail(order, lease, 'RESERVING', rejectionFailure(outcome, lines), { stock: 'NONE' }, ctx);
    }
    if (outcome.status !== 'RESERVED') {
      const reason = `the stock reservation is ${outcome.status}, not RESERVED`;
      return this.fail(
        order,
        lease,
        'RESERVING',
        { code: FailureCode.STOCK_NOT_RESERVED, reason },
        { stock: 'RELEASED' },
        ctx,
      );
    }

    const prices = new Map(outcome.lines.map((l) => [l.productId.toLowerCase(), l]));
    const priced: { quantity: number; unitPrice: Money }[] = [];
    for (const item of order.items) {
      const line = prices.get(item.productId);
      if (!line || line.quantity !== item.quantity) {
        const reason = 'the stock reservation does not match the order';
        return this.fail(
          order,
          lease,
          'RESERVING',
          { code: FailureCode.STOCK_NOT_RESERVED, reason },
          { stock: 'RESERVED' },
          ctx,
        );
      }
      priced.push({ quantity: item.quantity, unitPrice: line.unitPrice });
    }
    const total = totalOf(priced);
    if (!total.ok) {
      return this.fail(
        order,
        lease,
        'RESERVING',
        { code: total.code, reason: total.reason },
        { stock: 'RESERVED' },
        ctx,
      );
    }
    // The intent to charge is durable before the charge is attempted: from here a crash is recovered by
    // replaying the charge with the same key and amount.
    return this.advance(order, lease, 'RESERVING', {
      step: 'CHARGING',
      stock: 'RESERVED',
      charge: 'UNKNOWN',
      unitPrices: priced.map((p) => p.unitPrice),
      total: total.total,
    });
  }

  private chargeRequest(order: OrderRecord) {
    if (!order.total || order.paymentToken === undefined) {
      throw new Error(`order ${order.id} is charging without a total or a payment token`);
    }
    return {
      idempotencyKey: chargeKeyOf(order.id),
      amount: order.total,
      paymentToken: order.paymentToken,
      orderId: order.id,
      customerId: order.userId,
    };
  }

  private async charge(order: OrderRecord, lease: Lease, ctx: SagaContext): Promise<OrderRecord> {
    let outcome: ChargeOutcome;
    try {
      outcome = await this.deps.payment.charge(this.chargeRequest(order), ctx);
    } catch (error) {
      if (!(error instanceof DownstreamError)) throw error;
      // The charge is recorded UNKNOWN already: the recoverer replays it by its key when the peer is back.
      if (this.waitsForPeer(order, error)) return this.defer(order, lease, 'CHARGING', {}, error, ctx);
      // Of a charge, only the payment token is the customer's to fix: amount, currency and ids are this service's.
      const tokenRefused = !error.indeterminate && error.field === PAYMENT_TOKEN_FIELD;
      const failure = peerFailure(FailureCode.PAYMENT_FAILED, error, tokenRefused ? 'PAYMENT_TOKEN' : undefined);
      // UNKNOWN: the charge may have happened; compensation voids it by its key, or refunds it if it exists.
      const charge = error.indeterminate ? 'UNKNOWN' : 'NONE';
      return this.fail(order, lease, 'CHARGING', failure, { charge }, ctx);
    }
    if (outcome.kind === 'voided') {
      // Only a compensation of this order voids its key, so another run failed it already, and recording this
      // normally fails with LeaseLostError. Either way nothing was or will be charged under the key.
      const failure = { code: FailureCode.PAYMENT_FAILED, reason: 'the charge was voided before it was made' };
      return this.fail(order, lease, 'CHARGING', failure, { charge: 'VOIDED' }, ctx);
    }
    if (outcome.kind === 'declined') {
      const failure = {
        code: FailureCode.PAYMENT_DECLINED,
        reason: 'the payment was declined',
        declineCode: outcome.declineCode,
      };
      return this.fail(order, lease, 'CHARGING', failure, { charge: 'DECLINED' }, ctx);
    }
    await this.deps.hooks?.afterCharge?.(order.id);
    return this.confirm(order, outcome.chargeId, lease, ctx);
  }

  private orderCreated(order: OrderRecord): OutboxEvent {
    const id = this.deps.newId();
    const total = order.total;
    if (!total) throw new Error(`order ${order.id} has no total`);
    const items = order.items.map((item) => {
      if (!item.unitPrice) throw new Error(`order ${order.id} has an item without a price`);
      return { productId: item.productId, quantity: item.quantity, unitPrice: item.unitPrice };
    });
    const event = buildOrderCreated({
      id,
      source: EVENT_SOURCE,
      time: this.now(),
      data: {
        orderId: order.id,
        userId: order.userId,
        userEmail: order.userEmail,
        items,
        total,
        createdAt: order.createdAt,
      },
    });
    return { id, key: order.id, type: event.type, payload: JSON.stringify(event) };
  }

  /** The order, its prices and total, and its order.created event, in one transaction. */
  private async confirm(order: OrderRecord, chargeId: string, lease: Lease, ctx: SagaContext): Promise<OrderRecord> {
    const charged = { charge: 'SUCCEEDED', paymentId: chargeId } as const;
    const failure = { code: FailureCode.CONFIRMATION_FAILED, reason: 'the order could not be confirmed' };
    let event: OutboxEvent;
    try {
      event = this.orderCreated(order);
    } catch (error) {
      ctx.log.error({ orderId: order.id, err: error }, 'the order.created event is invalid; compensating');
      return this.fail(order, lease, 'CHARGING', failure, charged, ctx);
    }
    try {
      const confirmed = await this.advance(
        order,
        lease,
        'CHARGING',
        { status: 'CONFIRMED', step: 'DONE', ...charged, erasePaymentToken: true },
        event,
      );
      ctx.log.info({ orderId: order.id, paymentId: chargeId }, 'order confirmed');
      return confirmed;
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      ctx.log.error({ orderId: order.id, err: error }, 'confirming the charged order failed; compensating');
      // When recording the failure fails too (the database is away), this throws: the order stays CHARGING
      // under its lease and the recoverer replays the charge (the same charge) and confirms it later.
      return this.fail(order, lease, 'CHARGING', failure, charged, ctx);
    }
  }

  /**
   * Release the stock, settle an unknown charge by voiding its key (payment-service answers with the charge
   * when one exists, and otherwise makes sure none ever will), refund a charge; each fact recorded as it is
   * established. Stops at the first peer that does not answer (or, voiding, still has the charge in progress);
   * the recoverer continues later from the recorded facts.
   */
  private async compensate(order: OrderRecord, lease: Lease, ctx: SagaContext): Promise<OrderRecord> {
    let current = order;
    try {
      if (current.stock === 'RESERVED' || current.stock === 'UNKNOWN') {
        await this.deps.stock.release(current.id, ctx);
        current = await this.advance(current, lease, 'COMPENSATING', { stock: 'RELEASED' });
      }
      if (current.charge === 'UNKNOWN') {
        // Voided, never replayed: a replay would make the charge if the first attempt never arrived, and a
        // void leaves a late first attempt nothing to charge.
        let outcome: ChargeOutcome | 'refused';
        try {
          outcome = await this.deps.payment.voidCharge(this.chargeRequest(current), ctx);
        } catch (error) {
          if (!(error instanceof DownstreamError) || error.indeterminate) throw error;
          outcome = 'refused';
        }
        current = await this.advance(current, lease, 'COMPENSATING', settledCharge(outcome));
      }
      if (current.charge === 'SUCCEEDED') {
        if (!current.paymentId) throw new Error(`order ${current.id} was charged without a charge id`);
        await this.deps.payment.refund(
          { idempotencyKey: refundKeyOf(current.id), chargeId: current.paymentId, reason: 'order failed' },
          ctx,
        );
        current = await this.advance(current, lease, 'COMPENSATING', { charge: 'REFUNDED' });
        ctx.log.info({ orderId: current.id, paymentId: current.paymentId }, 'charge refunded');
      }
      const done = await this.advance(current, lease, 'COMPENSATING', { step: 'DONE', erasePaymentToken: true });
      ctx.log.info({ orderId: done.id, stock: done.stock, charge: done.charge }, 'order compensated');
      return done;
    } catch (error) {
      if (!(error instanceof DownstreamError)) throw error;
      return this.defer(current, lease, 'COMPENSATING', {}, error, ctx);
    }
  }
}

/** Drives sagas under leases: fresh orders, replays of unfinished ones, and stale ones (the recoverer). */
export class SagaRunner {
  private readonly inflight = new Map<string, Promise<OrderRecord>>();

  constructor(
    private readonly deps: {
      readonly store: OrderStore;
      readonly saga: OrderSaga;
      /** How long a lease lasts without a step; an unfinished order idle this long is resumed. */
      readonly leaseMs: number;
      /** How long one run may wait for a peer that is away before it answers with the order unfinished. */
      readonly deadlineMs: number;
      readonly newId: () => string;
      readonly logger: Logger;
      /** Called when a run took the order from PENDING to CONFIRMED or FAILED (metrics, waking the relay). */
      readonly onSettled?: (order: OrderRecord, recovered: boolean) => void;
    },
  ) {}

  /** A lease for a run that is about to start. */
  newLease(): Lease {
    return { owner: this.deps.newId(), ms: this.deps.leaseMs };
  }

  /** Drives an order whose lease `lease` holds. */
  drive(order: OrderRecord, lease: Lease, ctx: SagaContext, recovered = false): Promise<OrderRecord> {
    const run = (async () => {
      try {
        // The caller's deadline (less time to answer), or this service's own, whichever comes first.
        const deadline = Math.min(ctx.deadline ?? Number.POSITIVE_INFINITY, Date.now() + this.deps.deadlineMs);
        const result = await this.deps.saga.drive(order, lease, { ...ctx, deadline });
        if (order.status === 'PENDING' && result.status !== 'PENDING') this.deps.onSettled?.(result, recovered);
        return result;
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        ctx.log.warn({ orderId: order.id }, 'another runner took the saga over');
        return (await this.deps.store.get(order.id)) ?? order;
      } finally {
        this.inflight.delete(order.id);
      }
    })();
    this.inflight.set(order.id, run);
    return run;
  }

  /**
   * An unfinished order met again (a replayed request): wait for this process's run of it; or take its
   * lease over when it expired (a crash left it) and drive it; or return it as it stands (another replica
   * is running it right now).
   */
  async resume(order: OrderRecord, ctx: SagaContext): Promise<OrderRecord> {
    if (order.step === 'DONE') return order;
    const running = this.inflight.get(order.id);
    if (running) return running;
    const lease = this.newLease();
    const leased = await this.deps.store.takeLease(order.id, lease);
    if (!leased) return (await this.deps.store.get(order.id)) ?? order;
    ctx.log.info({ orderId: order.id, step: leased.step }, 'resuming an unfinished order');
    return this.drive(leased, lease, ctx, true);
  }

  /**
   * One pass of the recoverer: takes up to `limit` orders whose lease expired, one lease at a time, and drives
   * them side by side (after a peer's outage many orders wait for it; each run retries it until its own
   * deadline). Returns how many it took once they are all done.
   */
  async recoverStale(limit: number): Promise<number> {
    const runs: Promise<void>[] = [];
    while (runs.length < limit) {
      const lease = this.newLease();
      const [id] = await this.deps.store.takeStaleLeases(lease, 1, [...this.inflight.keys()]);
      if (!id) break;
      runs.push(this.recoverOne(id, lease));
    }
    await Promise.all(runs);
    return runs.length;
  }

  private async recoverOne(id: string, lease: Lease): Promise<void> {
    const log = this.deps.logger.child({ requestId: `recovery:${id}` });
    try {
      const order = await this.deps.store.get(id);
      if (!order) return;
      log.info({ orderId: id, step: order.step }, 'recovering an unfinished order');
      const result = await this.drive(order, lease, { requestId: `recovery:${id}`, log }, true);
      log.info({ orderId: id, status: result.status, step: result.step }, 'recovery pass done');
    } catch (error) {
      log.error({ orderId: id, err: error }, 'recovery failed; retried when the lease expires');
    }
  }
}
