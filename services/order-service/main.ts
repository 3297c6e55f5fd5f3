import * as path from 'node:path';
import { TokenVerifier } from '../../lib/runtime/auth';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { createProbeListener } from '../../lib/runtime/http-server';
import { GrpcPaymentPort, GrpcStockPort } from './adapters/peers';
import { createOrderApp } from './app';
import { loadOrderServiceConfig, type OrderServiceConfig, RETRY_BACKOFF, SCHEMA, SERVICE_NAME } from './config';
import { orderGrpcService, PROTO_FILES, PROTO_INCLUDE_DIRS } from './transport/grpc';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** order-service: the order saga over gRPC, the outbox relay to `orders`, and the recoverer of unfinished sagas. */
export const orderService: ServiceDefinition<OrderServiceConfig> = {
  name: SERVICE_NAME,
  config: loadOrderServiceConfig,
  database: { schema: SCHEMA, migrations: MIGRATIONS_DIR },
  eventBus: true,
  build: async ({ config, db, bus, logger, metrics, health, serveGrpc, serveHttp, onStop }) => {
    // Retries are bounded by each saga run's deadline (ORDER_DEADLINE_MS), not by a count.
    const retry = { retries: 0, ...RETRY_BACKOFF };
    const peerSettings = { timeoutMs: config.DOWNSTREAM_TIMEOUT_MS, retry, metrics };
    const stock = new GrpcStockPort(config.PRODUCT_SERVICE_ADDR, peerSettings);
    const payment = new GrpcPaymentPort(config.PAYMENT_SERVICE_ADDR, peerSettings);
    onStop('close peer clients', () => {
      stock.close();
      payment.close();
    });
    const app = createOrderApp({
      db,
      bus,
      topic: config.KAFKA_TOPIC_ORDERS,
      logger,
      metrics,
      tokens: new TokenVerifier({ secret: config.JWT_SECRET }),
      stock,
      payment,
      leaseMs: config.SAGA_RECOVERY_AFTER_MS,
      deadlineMs: config.ORDER_DEADLINE_MS,
      pendingLimitMs: config.ORDER_PENDING_LIMIT_MS,
      outboxPollMs: config.OUTBOX_POLL_MS,
      recoveryPollMs: config.SAGA_RECOVERY_POLL_MS,
    });
    // In-flight CreateOrder calls finish their sagas when the servers close, before the workers stop.
    app.startWorkers();
    onStop('stop outbox relay and saga recoverer', () => app.stopWorkers());
    await serveGrpc('grpc', config.GRPC_PORT, {
      services: [orderGrpcService(app.orders)],
      protoFiles: PROTO_FILES,
      protoIncludeDirs: PROTO_INCLUDE_DIRS,
    });
    // HTTP is for operators and probes only (/livez, /readyz, /metrics): orders arrive through the gateway over gRPC.
    await serveHttp('http', config.HTTP_PORT, createProbeListener({ logger, metrics, health }));
    return {};
  },
};

export const start = (options: StartOptions) => startService(orderService, options);

if (require.main === module) runService(orderService);
