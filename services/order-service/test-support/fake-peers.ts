import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import {
  type ChargeRequest,
  type ChargeResult,
  ChargeStatus,
  type PaymentServiceServer,
  PaymentServiceService,
  type RefundResult,
  type VoidChargeRequest,
} from '../../../lib/contracts/gen/shopfront/payment/v1/payment';
import {
  type ProductServiceServer,
  ProductServiceService,
  RejectionReason,
  type Reservation,
  type ReservationRejection,
  type ReservedLine,
  StockLineField,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import {
  DomainError,
  type ErrorCode,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from '../../../lib/runtime/errors';
import {
  bindService,
  type GrpcServiceBinding,
  type RunningGrpcServer,
  startGrpcServer,
} from '../../../lib/runtime/grpc-server';
import { Health } from '../../../lib/runtime/health';
import { createLogger } from '../../../lib/runtime/logger';
import { ServiceMetrics } from '../../../lib/runtime/metrics';
import type { Money } from '../domain/order';

const CONTRACTS = path.join(__dirname, '../../../lib/contracts/proto');
const silent = createLogger({ service: 'fake-peer', level: 'silent' });

async function serve(binding: GrpcServiceBinding, proto: string): Promise<RunningGrpcServer> {
  return startGrpcServer(
    0,
    {
      logger: silent,
      metrics: new ServiceMetrics('fake-peer', { defaults: false }),
      health: new Health(silent),
      services: [binding],
      protoFiles: [path.join(CONTRACTS, proto)],
      protoIncludeDirs: [CONTRACTS],
    },
    '127.0.0.1',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** Scripted failures: the next `times` calls of an RPC fail with `code` before doing anything. */
class Script {
  private readonly queue: { rpc: string; code: ErrorCode }[] = [];

  private readonly always = new Map<string, ErrorCode>();

  failNext(rpc: string, code: ErrorCode, times = 1): void {
    for (let i = 0; i < times; i++) this.queue.push({ rpc, code });
  }

  /** Every call of `rpc` fails with `code` until `recover(rpc)` (a peer that is away for a while). */
  failUntilRecovered(rpc: string, code: ErrorCode): void {
    this.always.set(rpc, code);
  }

  recover(rpc: string): void {
    this.always.delete(rpc);
  }

  take(rpc: string): void {
    const always = this.always.get(rpc);
    if (always) throw new DomainError(always, `scripted ${always} from the fake`);
    const index = this.queue.findIndex((f) => f.rpc === rpc);
    if (index < 0) return;
    const [failure] = this.queue.splice(index, 1);
    if (failure) throw new DomainError(failure.code, `scripted ${failure.code} from the fake`);
  }
}

interface FakeReservation {
  readonly hash: string;
  readonly lines: ReservedLine[];
  status: 'RESERVED' | 'RELEASED';
}

/**
 * A product-service stand-in on a real gRPC socket: ReserveStock all-or-nothing and idempotent by
 * reservation id (a line without product or stock is a REJECTED reservation naming the line, as the real one
 * answers), ReleaseStock once.
 */
export class FakeProductService {
  readonly products = new Map<string, { price: Money; stock: number }>();
  readonly reservations = new Map<string, FakeReservation>();
  readonly calls: { rpc: string; reservationId: string }[] = [];
  readonly script = new Script();
  /** When set, the next ReserveStock answers this rejection as it is (to send what the real one would not). */
  nextRejection: ReservationRejection | undefined;
  private server: RunningGrpcServer | undefined;

  get address(): string {
    if (!this.server) throw new Error('the fake product-service is not running');
    return `127.0.0.1:${this.server.port}`;
  }

  addProduct(price: Money, stock = 100): string {
    const id = randomUUID();
    this.products.set(id, { price, stock });
    return id;
  }

  stockOf(id: string): number | undefined {
    return this.products.get(id)?.stock;
  }

  callsOf(rpc: string, reservationId?: string) {
    return this.calls.filter(
      (c) => c.rpc === rpc && (reservationId === undefined || c.reservationId === reservationId),
    );
  }

  async start(): Promise<this> {
    const binding = bindService<ProductServiceServer>(ProductServiceService, {
      listProducts: async () => ({ items: [], nextCursor: '' }),
      getProduct: async () => {
        throw new NotFoundError('product', 'id');
      },
      createProduct: async () => {
        throw new DomainError('PERMISSION_DENIED', 'not in the fake');
      },
      updateProduct: async () => {
        throw new DomainError('PERMISSION_DENIED', 'not in the fake');
      },
      reserveStock: async (request): Promise<Reservation> => {
        this.calls.push({ rpc: 'ReserveStock', reservationId: request.reservationId });
        this.script.take('ReserveStock');
        const rejected = (rejection: ReservationRejection): Reservation => ({
          reservationId: request.reservationId,
          lines: [],
          status: 'REJECTED',
          rejection,
        });
        if (this.nextRejection) {
          const rejection = this.nextRejection;
          this.nextRejection = undefined;
          return rejected(rejection);
        }
        const hash = fingerprint(request.lines);
        const existing = this.reservations.get(request.reservationId);
        if (existing) {
          if (existing.hash !== hash) throw new InvalidArgumentError('reservationId', 'reused for other lines');
          const { lines, status } = existing;
          return { reservationId: request.reservationId, lines, status, rejection: undefined };
        }
        const lines: ReservedLine[] = [];
        for (const [lineIndex, line] of request.lines.entries()) {
          const product = this.products.get(line.productId);
          if (!product) {
            return rejected({
              reason: RejectionReason.REJECTION_REASON_PRODUCT_NOT_FOUND,
              lineIndex,
              field: StockLineField.STOCK_LINE_FIELD_PRODUCT_ID,
            });
          }
          if (product.stock < line.quantity) {
            return rejected({
              reason: RejectionReason.REJECTION_REASON_OUT_OF_STOCK,
              lineIndex,
              field: StockLineField.STOCK_LINE_FIELD_QUANTITY,
            });
          }
          lines.push({ productId: line.productId, quantity: line.quantity, unitPrice: { ...product.price } });
        }
        for (const line of lines) {
          const product = this.products.get(line.productId);
          if (product) product.stock -= line.quantity;
        }
        this.reservations.set(request.reservationId, { hash, lines, status: 'RESERVED' });
        return { reservationId: request.reservationId, lines, status: 'RESERVED', rejection: undefined };
      },
      releaseStock: async (request) => {
        this.calls.push({ rpc: 'ReleaseStock', reservationId: request.reservationId });
        this.script.take('ReleaseStock');
        const reservation = this.reservations.get(request.reservationId);
        if (!reservation || reservation.status === 'RELEASED') return { released: false };
        reservation.status = 'RELEASED';
        for (const line of reservation.lines) {
          const product = this.products.get(line.productId);
          if (product) product.stock += line.quantity;
        }
        return { released: true };
      },
    });
    this.server = await serve(binding, 'shopfront/product/v1/product.proto');
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close(2000);
  }
}

const DECLINES: Record<string, string> = {
  tok_chargeDeclined: 'card_declined',
  tok_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  tok_chargeDeclinedProcessingError: 'processing_error',
};

/**
 * A payment-service stand-in on a real gRPC socket, idempotent by key like the real one: a replay returns
 * the first result, another request under the same key is INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED.
 * VoidCharge returns the charge under its key, or records the key VOIDED (`voids`; a later Charge of it answers
 * VOIDED and charges nothing), or answers UNAVAILABLE while a Charge of the key is held (`holdCharges`).
 * `chargeDelayMs` answers late (after the charge is made), to make the caller's deadline pass.
 */
export class FakePaymentService {
  /** The charges made (succeeded or declined), by idempotency key; voided keys are in `voids`. */
  readonly charges = new Map<string, { fingerprint: string; result: ChargeResult }>();
  readonly voids = new Map<string, { fingerprint: string; result: ChargeResult }>();
  readonly refunds = new Map<string, { fingerprint: string; result: RefundResult }>();
  readonly calls: { rpc: string; key: string }[] = [];
  readonly script = new Script();
  chargeDelayMs = 0;
  /** How many Charge calls answer late (then on time again); Infinity: all. */
  lateCharges = Number.POSITIVE_INFINITY;
  /**
   * When set, a Charge of a new key waits for it before the charge is made, its key in progress meanwhile (as
   * while the real one's processor call runs): a request that arrived but is not done.
   */
  holdCharges: Promise<void> | undefined;
  private readonly inProgress = new Set<string>();
  private server: RunningGrpcServer | undefined;

  get address(): string {
    if (!this.server) throw new Error('the fake payment-service is not running');
    return `127.0.0.1:${this.server.port}`;
  }

  callsOf(rpc: string) {
    return this.calls.filter((c) => c.rpc === rpc);
  }

  chargeFor(orderId: string): ChargeResult | undefined {
    return [...this.charges.values()].find((c) => c.result.orderId === orderId)?.result;
  }

  voidFor(orderId: string): ChargeResult | undefined {
    return [...this.voids.values()].find((c) => c.result.orderId === orderId)?.result;
  }

  refundsOf(chargeId: string): RefundResult[] {
    return [...this.refunds.values()].filter((r) => r.result.chargeId === chargeId).map((r) => r.result);
  }

  async start(): Promise<this> {
    const chargePrint = (request: ChargeRequest | VoidChargeRequest) =>
      fingerprint([request.amount, request.paymentToken, request.orderId, request.customerId]);
    /** What the key already holds (a charge or a void) for this request; throws when it holds another request. */
    const existing = (key: string, print: string) => {
      const stored = this.charges.get(key) ?? this.voids.get(key);
      if (stored && stored.fingerprint !== print) {
        throw new DomainError('INVALID_ARGUMENT', 'key reused', 'idempotencyKey', 'IDEMPOTENCY_KEY_REUSED');
      }
      return stored;
    };
    const binding = bindService<PaymentServiceServer>(PaymentServiceService, {
      charge: async (request) => {
        this.calls.push({ rpc: 'Charge', key: request.idempotencyKey });
        this.script.take('Charge');
        const print = chargePrint(request);
        let stored = existing(request.idempotencyKey, print);
        if (!stored) {
          const decline = DECLINES[request.paymentToken];
          if (decline === undefined && request.paymentToken !== 'tok_visa') {
            throw new InvalidArgumentError('paymentToken', 'unknown test token');
          }
          if (this.holdCharges) {
            this.inProgress.add(request.idempotencyKey);
            try {
              await this.holdCharges;
            } finally {
              this.inProgress.delete(request.idempotencyKey);
            }
          }
          stored = this.charges.get(request.idempotencyKey) ?? {
            fingerprint: print,
            result: {
              id: `ch_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
              idempotencyKey: request.idempotencyKey,
              orderId: request.orderId,
              amount: request.amount,
              status: decline ? ChargeStatus.CHARGE_STATUS_DECLINED : ChargeStatus.CHARGE_STATUS_SUCCEEDED,
              declineCode: decline ?? '',
              cardBrand: 'visa',
              cardLast4: '4242',
              refunded: { amount: 0, currency: request.amount?.currency ?? '' },
              createdAt: new Date().toISOString(),
            },
          };
          this.charges.set(request.idempotencyKey, stored);
        }
        if (this.chargeDelayMs > 0 && this.lateCharges > 0) {
          this.lateCharges -= 1;
          await sleep(this.chargeDelayMs);
        }
        return stored.result;
      },
      voidCharge: async (request) => {
        this.calls.push({ rpc: 'VoidCharge', key: request.idempotencyKey });
        this.script.take('VoidCharge');
        if (this.inProgress.has(request.idempotencyKey)) {
          throw new DomainError('UNAVAILABLE', 'charge in progress; retry with the same idempotency key');
        }
        const print = chargePrint(request);
        const stored = existing(request.idempotencyKey, print);
        if (stored) return stored.result;
        const result: ChargeResult = {
          id: `ch_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
          idempotencyKey: request.idempotencyKey,
          orderId: request.orderId,
          amount: request.amount,
          status: ChargeStatus.CHARGE_STATUS_VOIDED,
          declineCode: '',
          cardBrand: '',
          cardLast4: '',
          refunded: { amount: 0, currency: request.amount?.currency ?? '' },
          createdAt: new Date().toISOString(),
        };
        this.voids.set(request.idempotencyKey, { fingerprint: print, result });
        return result;
      },
      refund: async (request) => {
        this.calls.push({ rpc: 'Refund', key: request.idempotencyKey });
        this.script.take('Refund');
        const print = fingerprint([request.chargeId, request.amount]);
        const stored = this.refunds.get(request.idempotencyKey);
        if (stored) {
          if (stored.fingerprint !== print) {
            throw new DomainError('INVALID_ARGUMENT', 'key reused', 'idempotencyKey', 'IDEMPOTENCY_KEY_REUSED');
          }
          return stored.result;
        }
        const charge = [...this.charges.values()].find((c) => c.result.id === request.chargeId)?.result;
        if (!charge) throw new NotFoundError('charge', 'chargeId');
        if (charge.status !== ChargeStatus.CHARGE_STATUS_SUCCEEDED) {
          throw new FailedPreconditionError('only a succeeded charge can be refunded', 'NOT_REFUNDABLE', 'chargeId');
        }
        const amount = charge.amount ?? { amount: 0, currency: 'EUR' };
        charge.refunded = { ...amount };
        const result = {
          id: `re_${randomUUID().slice(0, 8)}`,
          chargeId: charge.id,
          amount,
          createdAt: new Date().toISOString(),
        };
        this.refunds.set(request.idempotencyKey, { fingerprint: print, result });
        return result;
      },
      getCharge: async (request) => {
        const charge = [...this.charges.values(), ...this.voids.values()].find(
          (c) => c.result.id === request.id,
        )?.result;
        if (!charge) throw new NotFoundError('charge', 'id');
        return charge;
      },
    });
    this.server = await serve(binding, 'shopfront/payment/v1/payment.proto');
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close(5000);
  }
}
