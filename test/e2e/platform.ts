import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../lib/platform';
import { createLogger, type EventBus, PostgresEventLog } from '../../lib/runtime';
import { KafkaEventBus } from '../../lib/runtime/events/kafka';
import { capturedLogger } from '../../lib/runtime/test-support/logs';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { startLocalPlatform } from '../../services/platform';

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
  /** Where the storefront serves the shop's pages (and passes /api/v1 on to the gateway). */
  readonly shopUrl: string;
  /** DATA_DIR of the services: notifications.jsonl and analytics-results.jsonl are written here. */
  readonly dataDir: string;
  /** The bus order-service publishes to and the consumers read: the event log in their PostgreSQL, or Kafka. */
  readonly bus: EventBus;
  readonly analyticsClock: SkewableClock;
  /** Log lines of the notification consumer (JSON), to see it skip a redelivered event. */
  readonly notificationLogs: Record<string, unknown>[];
  readonly stop: () => Promise<void>;
}

export interface PlatformOptions {
  /** A PostgreSQL for every service; absent: a fresh database on the test run's embedded PostgreSQL. */
  readonly databaseUrl?: string;
  /** A real Kafka (`host:port,...`); absent: the event log in the services' PostgreSQL. */
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
 * The local platform as `npm start` composes it (every service of the catalog through the one host, wired by the
 * catalog), on ephemeral ports, with a fresh database on the test run's PostgreSQL and a LocalEventLog in a
 * temporary DATA_DIR unless a PostgreSQL or Kafka is given.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shopfront-e2e-'));
  const silent = createLogger({ service: 'e2e', level: 'silent' });
  const { databaseUrl, kafkaBrokers } = options;
  // Without a PostgreSQL given, a fresh database on the test run's embedded server.
  const testDatabase = databaseUrl ? undefined : await freshDatabase();
  const url = databaseUrl ?? (testDatabase as TestDatabase).url;
  let bus: EventBus;
  if (kafkaBrokers) {
    await createKafkaTopics(kafkaBrokers.split(','));
    bus = await KafkaEventBus.create({ brokers: kafkaBrokers.split(','), clientId: 'e2e-platform', logger: silent });
  } else {
    // The services' own event log: the one in their PostgreSQL, which this instance shares with them.
    const partitions = Object.fromEntries(shop.catalog.topics.map((t) => [t.name, t.partitions]));
    bus = new PostgresEventLog({ url, partitions, logger: silent, pollMs: 100 });
  }
  const closeResources = async () => {
    await bus.close();
    await testDatabase?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const notificationLog = capturedLogger('notification-lambda');
  const analyticsClock = new SkewableClock();
  try {
    const platform = await startLocalPlatform({
      env: {
        JWT_SECRET,
        DATABASE_URL: url,
        KAFKA_BROKERS: kafkaBrokers,
        DATA_DIR: dataDir,
        TRACES_FILE: path.join(dataDir, 'traces.jsonl'),
        LOG_LEVEL: 'silent',
        PASSWORD_HASH_MEMORY_KIB: '4096',
      },
      settings: {
        'user-service': { BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password },
        'product-service': { SEED_DEMO_PRODUCTS: 'true' },
        'order-service': { OUTBOX_POLL_MS: '50' },
        // The contract reads stock right after each order; the gateway cache's staleness bound has tests of its own.
        'api-gateway': { CATALOGUE_CACHE_TTL_MS: '0' },
        analytics: { ANALYTICS_OUT_OF_ORDERNESS_MS: '0', ANALYTICS_IDLE_TIMEOUT_MS: '200' },
      },
      overrides: {
        'notification-lambda': { logger: notificationLog.logger },
        analytics: { clock: analyticsClock },
      },
      host: '127.0.0.1',
    });
    return {
      url: `http://127.0.0.1:${platform.service('api-gateway').ports.http}`,
      shopUrl: `http://127.0.0.1:${platform.service('storefront').ports.http}/`,
      dataDir,
      bus,
      analyticsClock,
      notificationLogs: notificationLog.lines,
      stop: async () => {
        await platform.stop();
        await closeResources();
      },
    };
  } catch (error) {
    await closeResources().catch(() => undefined);
    throw error;
  }
}
