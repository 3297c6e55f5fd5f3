import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kafka, logLevel } from 'kafkajs';
import { shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../lib/platform';
import {
  createLogger,
  type Database,
  type EventBus,
  KafkaEventBus,
  LocalEventLog,
  openEmbeddedPostgres,
  PGliteDatabase,
  PostgresDatabase,
} from '../../lib/runtime';
import { capturedLogger } from '../../lib/runtime/test/support';
import { start as startAnalytics } from '../../services/analytics/main';
import { start as startGateway } from '../../services/api-gateway/main';
import { NOTIFICATIONS_SCHEMA } from '../../services/notification-lambda/adapters/sql-delivery-records';
import { start as startNotifications } from '../../services/notification-lambda/local';
import { start as startOrderService } from '../../services/order-service/main';
import { start as startPaymentService } from '../../services/payment-service/main';
import { start as startProductService } from '../../services/product-service/main';
import { start as startUserService } from '../../services/user-service/main';

export const JWT_SECRET = 'e2e-signing-secret-that-is-long-enough-0123456789';
export const ADMIN = { email: 'admin@e2e.example.com', password: 'Orchid-lantern-granite-42' };

/** Processing time of the analytics twin: the real clock, moved ahead by hand to close its open windows now. */
export class SkewableClock {
  private skewMs = 0;

  now(): Date {
    return new Date(Date.now() + this.skewMs);
  }

  /** From now on, processing time runs `ms` ahead of the real clock. */
  runAhead(ms: number): void {
    this.skewMs = ms;
  }
}

export interface RunningPlatform {
  readonly url: string;
  /** DATA_DIR of the services: notifications.jsonl and analytics-results.jsonl are written here. */
  readonly dataDir: string;
  /** The bus order-service publishes to and the consumers read: the shared LocalEventLog, or Kafka. */
  readonly bus: EventBus;
  readonly analyticsClock: SkewableClock;
  /** Log lines of the notification consumer (JSON), to see it skip a redelivered event. */
  readonly notificationLogs: Record<string, unknown>[];
  readonly stop: () => Promise<void>;
}

export interface PlatformOptions {
  /** A real PostgreSQL for every service; absent: one in-memory embedded PostgreSQL. */
  readonly databaseUrl?: string;
  /** A real Kafka (`host:port,...`); absent: one shared in-process LocalEventLog. */
  readonly kafkaBrokers?: string;
}

/** Auto-creation is off on the test broker (as on MSK): the topics the pipeline uses, as the catalog sizes them. */
async function createKafkaTopics(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'e2e-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [
      { topic: TOPIC_ORDERS, numPartitions: shop.topic(TOPIC_ORDERS).partitions },
      { topic: `${TOPIC_ORDERS}.dlq`, numPartitions: 1 },
      { topic: TOPIC_ANALYTICS_RESULTS, numPartitions: shop.topic(TOPIC_ANALYTICS_RESULTS).partitions },
    ].filter((t) => !existing.has(t.topic));
    if (topics.length > 0) {
      await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * The local platform as `npm start` composes it (user, product, payment, order, the two `orders` consumers,
 * gateway), on ephemeral ports, with an in-memory embedded PostgreSQL and a LocalEventLog in a temporary
 * DATA_DIR unless a real PostgreSQL or Kafka is given.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shopfront-e2e-'));
  const silent = createLogger({ service: 'e2e', level: 'silent' });
  const { databaseUrl, kafkaBrokers } = options;
  let embedded: PGlite | undefined;
  let notificationsDb: Database;
  if (databaseUrl) {
    notificationsDb = new PostgresDatabase(databaseUrl, NOTIFICATIONS_SCHEMA);
  } else {
    embedded = await openEmbeddedPostgres(undefined);
    notificationsDb = new PGliteDatabase(embedded, NOTIFICATIONS_SCHEMA);
  }
  let bus: EventBus;
  if (kafkaBrokers) {
    await createKafkaTopics(kafkaBrokers.split(','));
    bus = await KafkaEventBus.create({ brokers: kafkaBrokers.split(','), clientId: 'e2e-platform', logger: silent });
  } else {
    bus = new LocalEventLog({
      partitions: Object.fromEntries(shop.catalog.topics.map((t) => [t.name, t.partitions])),
      dataDir: path.join(dataDir, 'events'),
      logger: silent,
    });
  }

  const common = {
    JWT_SECRET,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PASSWORD_HASH_MEMORY_KIB: '4096',
  };
  const host = '127.0.0.1';
  const started: { stop(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const service of started.reverse()) await service.stop();
    await bus.close();
    await notificationsDb.close();
    await embedded?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  const track = <S extends { stop(): Promise<void> }>(service: S): S => {
    started.push(service);
    return service;
  };

  try {
    const user = track(
      await startUserService({
        env: {
          ...common,
          GRPC_PORT: '0',
          METRICS_PORT: '0',
          BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
          BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        },
        embedded,
        host,
      }),
    );
    const product = track(
      await startProductService({
        env: { ...common, HTTP_PORT: '0', GRPC_PORT: '0', SEED_DEMO_PRODUCTS: 'true' },
        embedded,
        host,
      }),
    );
    const payment = track(
      await startPaymentService({ env: { ...common, GRPC_PORT: '0', METRICS_PORT: '0' }, embedded, host }),
    );
    const order = track(
      await startOrderService({
        env: {
          ...common,
          GRPC_PORT: '0',
          HTTP_PORT: '0',
          PRODUCT_SERVICE_ADDR: `127.0.0.1:${product.ports.grpc}`,
          PAYMENT_SERVICE_ADDR: `127.0.0.1:${payment.ports.grpc}`,
          KAFKA_BROKERS: kafkaBrokers,
          OUTBOX_POLL_MS: '50',
        },
        embedded,
        host,
        eventBus: bus,
      }),
    );
    const notificationLog = capturedLogger('notification-lambda');
    track(
      await startNotifications({
        env: common,
        eventBus: bus,
        database: notificationsDb,
        logger: notificationLog.logger,
      }),
    );
    const analyticsClock = new SkewableClock();
    track(
      await startAnalytics({
        env: { ...common, ANALYTICS_OUT_OF_ORDERNESS_MS: '0', ANALYTICS_IDLE_TIMEOUT_MS: '200' },
        eventBus: bus,
        clock: analyticsClock,
      }),
    );
    const gateway = track(
      await startGateway({
        env: {
          ...common,
          HTTP_PORT: '0',
          USER_SERVICE_ADDR: `127.0.0.1:${user.ports.grpc}`,
          PRODUCT_SERVICE_ADDR: `127.0.0.1:${product.ports.grpc}`,
          ORDER_SERVICE_ADDR: `127.0.0.1:${order.ports.grpc}`,
        },
        host,
      }),
    );
    return {
      url: `http://127.0.0.1:${gateway.ports.http}`,
      dataDir,
      bus,
      analyticsClock,
      notificationLogs: notificationLog.lines,
      stop: closeAll,
    };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}
