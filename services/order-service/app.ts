import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import type { Database } from '../../lib/runtime/db';
import type { EventBus } from '../../lib/runtime/events';
import type { Logger } from '../../lib/runtime/logger';
import type { ServiceMetrics } from '../../lib/runtime/metrics';
import { Orders } from './domain/orders';
import type { AccessTokenVerifier, PaymentPort, StockPort } from './domain/ports';
import { OrderSaga, type SagaHooks, SagaRunner } from './domain/saga';
import { PostgresOrderStore } from './store/order-store';
import { PostgresOutboxStore } from './store/outbox-store';
import { OutboxRelay } from './workers/outbox-relay';
import { SagaRecoverer } from './workers/saga-recoverer';

export interface OrderAppDeps {
  readonly db: Database;
  readonly bus: EventBus;
  readonly topic: string;
  readonly logger: Logger;
  readonly metrics?: ServiceMetrics;
  readonly tokens: AccessTokenVerifier;
  readonly stock: StockPort;
  readonly payment: PaymentPort;
  /** Saga lease; an unfinished order idle this long is resumed by the recoverer. */
  readonly leaseMs: number;
  /** How long one saga run waits for a peer that is away before answering with the order PENDING. */
  readonly deadlineMs: number;
  /** How old an order may get waiting for a peer before it fails instead. */
  readonly pendingLimitMs?: number;
  readonly outboxPollMs: number;
  readonly recoveryPollMs: number;
  readonly hooks?: SagaHooks;
  readonly newId?: () => string;
  /** Relay tuning for tests. */
  readonly relay?: { readonly maxBackoffMs?: number; readonly batchSize?: number };
}

/** The order service without its servers: use cases, saga, outbox relay and recoverer over one database. */
export interface OrderApp {
  readonly orders: Orders;
  readonly runner: SagaRunner;
  readonly store: PostgresOrderStore;
  readonly outbox: PostgresOutboxStore;
  readonly relay: OutboxRelay;
  readonly recoverer: SagaRecoverer;
  /** Starts the relay and the recoverer loops. */
  startWorkers(): void;
  /** Stops them after the work in hand. */
  stopWorkers(): Promise<void>;
}

export function createOrderApp(deps: OrderAppDeps): OrderApp {
  const newId = deps.newId ?? randomUUID;
  const store = new PostgresOrderStore(deps.db);
  const outbox = new PostgresOutboxStore(deps.db);
  const relay = new OutboxRelay({
    store: outbox,
    bus: deps.bus,
    topic: deps.topic,
    logger: deps.logger.child({ worker: 'outbox-relay' }),
    registry: deps.metrics?.registry,
    pollMs: deps.outboxPollMs,
    ...deps.relay,
  });
  const settled = deps.metrics
    ? new Counter({
        name: 'order_sagas_settled_total',
        help: 'Order sagas that ended CONFIRMED or FAILED, by failure code and whether the recoverer finished them.',
        labelNames: ['status', 'failure_code', 'recovered'],
        registers: [deps.metrics.registry],
      })
    : undefined;
  const saga = new OrderSaga({
    store,
    stock: deps.stock,
    payment: deps.payment,
    newId,
    hooks: deps.hooks,
    pendingLimitMs: deps.pendingLimitMs,
  });
  const runner = new SagaRunner({
    store,
    saga,
    leaseMs: deps.leaseMs,
    deadlineMs: deps.deadlineMs,
    newId,
    logger: deps.logger,
    onSettled: (order, recovered) => {
      settled?.inc({ status: order.status, failure_code: order.failure?.code ?? '', recovered: String(recovered) });
      if (order.status === 'CONFIRMED') relay.wake();
    },
  });
  const recoverer = new SagaRecoverer({
    runner,
    logger: deps.logger.child({ worker: 'saga-recoverer' }),
    pollMs: deps.recoveryPollMs,
  });
  const orders = new Orders({ store, runner, tokens: deps.tokens, newId });
  return {
    orders,
    runner,
    store,
    outbox,
    relay,
    recoverer,
    startWorkers: () => {
      relay.start();
      recoverer.start();
    },
    stopWorkers: async () => {
      await Promise.all([relay.stop(), recoverer.stop()]);
    },
  };
}
