import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { TokenVerifier } from '../../lib/runtime/auth';
import { ConfigError } from '../../lib/runtime/config';
import { type Database, openDatabase } from '../../lib/runtime/db';
import { type EventBus, KafkaEventBus, LocalEventLog } from '../../lib/runtime/events';
import { startGrpcServer } from '../../lib/runtime/grpc-server';
import { Health } from '../../lib/runtime/health';
import { createHttpApp, listenHttp } from '../../lib/runtime/http';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { ServiceMetrics } from '../../lib/runtime/metrics';
import { loadMigrations, migrate } from '../../lib/runtime/migrate';
import { handleShutdown, type ShutdownStep } from '../../lib/runtime/shutdown';
import { GrpcPaymentPort, GrpcStockPort, type PeerCallSettings } from './adapters/peers';
import { createOrderApp } from './app';
import {
  loadOrderServiceConfig,
  ORDERS_TOPIC,
  type OrderServiceConfig,
  RETRY_BACKOFF,
  SCHEMA,
  SERVICE_NAME,
} from './config';
import { orderGrpcService, PROTO_FILES, PROTO_INCLUDE_DIRS } from './transport/grpc';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** The shared embedded PostgreSQL of the local platform. */
  embedded?: PGlite;
  logger?: Logger;
  /** @default '0.0.0.0' */
  host?: string;
  /**
   * The event bus to publish order events to when KAFKA_BROKERS is not set (the local platform shares its
   * in-process log with the consumers). Not closed by stop(): its owner closes it.
   * @default - a LocalEventLog under DATA_DIR/events
   */
  eventBus?: EventBus;
}

export interface StartedService {
  name: string;
  /** Actual bound ports by catalog port name (`grpc`, `http`). */
  ports: Record<string, number>;
  health: Health;
  /** Drain, close servers gracefully (in-flight sagas finish), stop the relay and recoverer, close bus and db. */
  stop(): Promise<void>;
}

/** The bus the service publishes to, and whether it is this service's to close. */
async function openEventBus(
  config: OrderServiceConfig,
  options: StartOptions,
  logger: Logger,
): Promise<{ bus: EventBus; owned: boolean; kind: string }> {
  if (config.KAFKA_BROKERS) {
    const bus = await KafkaEventBus.create({
      brokers: config.KAFKA_BROKERS,
      clientId: SERVICE_NAME,
      logger,
      mskIamRegion: config.KAFKA_MSK_IAM_REGION,
    });
    return { bus, owned: true, kind: 'kafka' };
  }
  if (options.eventBus) return { bus: options.eventBus, owned: false, kind: 'shared' };
  const bus = new LocalEventLog({
    partitions: { [config.KAFKA_TOPIC_ORDERS]: ORDERS_TOPIC.partitions },
    dataDir: path.join(config.DATA_DIR, 'events'),
    logger,
  });
  return { bus, owned: true, kind: 'local' };
}

async function launch(options: StartOptions): Promise<{ service: StartedService; steps: ShutdownStep[] }> {
  const config = loadOrderServiceConfig(options.env);
  const logger = options.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
  const host = options.host ?? '0.0.0.0';
  const db: Database = await openDatabase({
    schema: SCHEMA,
    databaseUrl: config.DATABASE_URL,
    logger,
    embedded: options.embedded,
    dataDir: path.join(config.DATA_DIR, 'postgres'),
  });
  const cleanups: (() => Promise<void>)[] = [() => db.close()];
  const cleanUp = async () => {
    for (const close of cleanups.reverse()) await close().catch(() => undefined);
  };
  try {
    await migrate(db, loadMigrations(MIGRATIONS_DIR), logger);
    const { bus, owned, kind } = await openEventBus(config, options, logger);
    if (owned) cleanups.push(() => bus.close());

    const metrics = new ServiceMetrics(SERVICE_NAME);
    const health = new Health(logger).add('postgres', () => db.ping()).add('event-bus', () => bus.ping());
    const peerSettings: PeerCallSettings = {
      timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
      retry: { retries: config.DOWNSTREAM_RETRIES, ...RETRY_BACKOFF },
      metrics,
    };
    const stock = new GrpcStockPort(config.PRODUCT_SERVICE_ADDR, peerSettings);
    const payment = new GrpcPaymentPort(config.PAYMENT_SERVICE_ADDR, peerSettings);
    cleanups.push(async () => {
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
      outboxPollMs: config.OUTBOX_POLL_MS,
      recoveryPollMs: config.SAGA_RECOVERY_POLL_MS,
    });

    const grpc = await startGrpcServer(
      config.GRPC_PORT,
      {
        logger,
        metrics,
        health,
        services: [orderGrpcService(app.orders)],
        protoFiles: PROTO_FILES,
        protoIncludeDirs: PROTO_INCLUDE_DIRS,
      },
      host,
    );
    cleanups.push(() => grpc.close());
    // HTTP is for operators and probes only (/livez, /readyz, /metrics): orders reach this service through
    // the gateway over gRPC, which authenticates and maps errors in one place.
    const http = await listenHttp(createHttpApp({ logger, metrics, health }), config.HTTP_PORT, host);
    cleanups.push(() => http.close());
    app.startWorkers();
    logger.info(
      { grpc: grpc.port, http: http.port, database: db.kind, eventBus: kind, topic: config.KAFKA_TOPIC_ORDERS },
      'started',
    );

    const steps: ShutdownStep[] = [
      { name: 'drain', run: async () => health.drain() },
      // In-flight CreateOrder calls finish their sagas before the servers close.
      { name: 'close servers', run: async () => void (await Promise.all([grpc.close(), http.close()])) },
      { name: 'stop outbox relay and saga recoverer', run: () => app.stopWorkers() },
      {
        name: 'close peer clients',
        run: async () => {
          stock.close();
          payment.close();
        },
      },
      ...(owned ? [{ name: 'close event bus', run: () => bus.close() }] : []),
      { name: 'close database', run: () => db.close() },
    ];
    let stopping: Promise<void> | undefined;
    const service: StartedService = {
      name: SERVICE_NAME,
      ports: { grpc: grpc.port, http: http.port },
      health,
      stop: () => {
        stopping ??= (async () => {
          const errors: unknown[] = [];
          for (const step of steps) await step.run().catch((error: unknown) => errors.push(error));
          if (errors.length > 0) throw errors[0];
        })();
        return stopping;
      },
    };
    return { service, steps };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Starts order-service: migrations, gRPC and HTTP servers, the outbox relay and the saga recoverer. */
export async function start(options: StartOptions): Promise<StartedService> {
  return (await launch(options)).service;
}

async function main(): Promise<void> {
  let logger = createLogger({ service: SERVICE_NAME });
  try {
    const config = loadOrderServiceConfig(process.env);
    logger = createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
    const { steps } = await launch({ env: process.env, logger });
    handleShutdown(logger, steps);
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal(error.message);
    else logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  }
}

if (require.main === module) void main();
