#!/usr/bin/env node
/**
 * The whole platform on one machine: every service in this process on its catalog port, sharing one
 * embedded PostgreSQL kept under DATA_DIR (or a real one when DATABASE_URL is set) and one in-process event
 * log under DATA_DIR/events (or Kafka when KAFKA_BROKERS is set). Ctrl-C stops it.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { shop } from '../lib/platform';
import {
  createLogger,
  type Database,
  type EventBus,
  handleShutdown,
  KafkaEventBus,
  LocalEventLog,
  loadOrCreateLocalSecrets,
  openEmbeddedPostgres,
  PGliteDatabase,
  PostgresDatabase,
} from '../lib/runtime';
import { start as startAnalytics } from '../services/analytics/main';
import { start as startGateway } from '../services/api-gateway/main';
import { NOTIFICATIONS_SCHEMA } from '../services/notification-lambda/adapters/sql-delivery-records';
import { start as startNotifications } from '../services/notification-lambda/local';
import { start as startOrderService } from '../services/order-service/main';
import { start as startPaymentService } from '../services/payment-service/main';
import { start as startProductService } from '../services/product-service/main';
import { start as startUserService } from '../services/user-service/main';

/**
 * SHOPFRONT_PORT_OFFSET shifts every catalog port, so a second platform (a load test, a fuzz run) can run beside
 * the one on the catalog's ports.
 * The scripts' offsets (11000–15000) move the gRPC ports (5005x) above Linux's ephemeral range (32768–60999),
 * where a client's outgoing connection could already hold the port.
 */
const portOffset = (() => {
  const raw = process.env.SHOPFRONT_PORT_OFFSET ?? '0';
  const offset = Number(raw);
  if (!/^\d+$/.test(raw) || offset > 15_000) {
    process.stderr.write(`SHOPFRONT_PORT_OFFSET must be an integer from 0 to 15000, got '${raw}'\n`);
    process.exit(1);
  }
  return offset;
})();

const port = (service: string, name: string): number => shop.port(service, name) + portOffset;

async function main(): Promise<void> {
  const started = Date.now();
  const dataDir = path.resolve(process.env.DATA_DIR ?? '.data');
  const host = process.env.HOST ?? '127.0.0.1';
  const logger = createLogger({ service: 'local-platform', level: process.env.LOG_LEVEL ?? 'info' });
  mkdirSync(dataDir, { recursive: true });
  const { secrets, created } = loadOrCreateLocalSecrets(dataDir);
  const databaseUrl = process.env.DATABASE_URL;
  const kafkaBrokers = process.env.KAFKA_BROKERS;

  let embedded: PGlite | undefined;
  let notificationsDb: Database;
  if (databaseUrl) {
    notificationsDb = new PostgresDatabase(databaseUrl, NOTIFICATIONS_SCHEMA, { logger });
  } else {
    embedded = await openEmbeddedPostgres(path.join(dataDir, 'postgres'));
    notificationsDb = new PGliteDatabase(embedded, NOTIFICATIONS_SCHEMA);
  }
  // ONE bus for the producer (order-service) and the consumers: the in-process log has Kafka's semantics only
  // within one instance. With KAFKA_BROKERS, order-service opens its own Kafka producer from the variable.
  const bus: EventBus = kafkaBrokers
    ? await KafkaEventBus.create({ brokers: kafkaBrokers.split(','), clientId: 'local-platform', logger })
    : new LocalEventLog({
        partitions: Object.fromEntries(shop.catalog.topics.map((t) => [t.name, t.partitions])),
        dataDir: path.join(dataDir, 'events'),
        logger,
      });

  const common = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: secrets.jwtSecret,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const user = await startUserService({
    env: {
      ...common,
      GRPC_PORT: String(port('user-service', 'grpc')),
      METRICS_PORT: String(port('user-service', 'metrics')),
      BOOTSTRAP_ADMIN_EMAIL: secrets.adminEmail,
      BOOTSTRAP_ADMIN_PASSWORD: secrets.adminPassword,
    },
    embedded,
    host,
  });
  const product = await startProductService({
    env: {
      ...common,
      HTTP_PORT: String(port('product-service', 'http')),
      GRPC_PORT: String(port('product-service', 'grpc')),
      SEED_DEMO_PRODUCTS: 'true',
    },
    embedded,
    host,
  });
  const payment = await startPaymentService({
    env: {
      ...common,
      GRPC_PORT: String(port('payment-service', 'grpc')),
      METRICS_PORT: String(port('payment-service', 'metrics')),
    },
    embedded,
    host,
  });
  const order = await startOrderService({
    env: {
      ...common,
      GRPC_PORT: String(port('order-service', 'grpc')),
      HTTP_PORT: String(port('order-service', 'http')),
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${product.ports.grpc}`,
      PAYMENT_SERVICE_ADDR: `127.0.0.1:${payment.ports.grpc}`,
      KAFKA_BROKERS: kafkaBrokers,
    },
    embedded,
    host,
    eventBus: bus,
  });
  // The consumers of `orders`: the notification Lambda's code with a JSONL notifier, and the analytics twin.
  const notifications = await startNotifications({ env: common, eventBus: bus, database: notificationsDb });
  const analytics = await startAnalytics({
    env: {
      ...common,
      ANALYTICS_OUT_OF_ORDERNESS_MS: process.env.ANALYTICS_OUT_OF_ORDERNESS_MS,
      ANALYTICS_IDLE_TIMEOUT_MS: process.env.ANALYTICS_IDLE_TIMEOUT_MS,
    },
    eventBus: bus,
  });
  const gateway = await startGateway({
    env: {
      ...common,
      HTTP_PORT: String(port('api-gateway', 'http')),
      USER_SERVICE_ADDR: `127.0.0.1:${user.ports.grpc}`,
      PRODUCT_SERVICE_ADDR: `127.0.0.1:${product.ports.grpc}`,
      ORDER_SERVICE_ADDR: `127.0.0.1:${order.ports.grpc}`,
    },
    host,
  });
  // Stopped in this order: the reverse of the start.
  const services = [gateway, analytics, notifications, order, payment, product, user];
  // npm start runs node with --expose-gc: one collection here returns what first-start initdb used.
  (globalThis as { gc?: () => void }).gc?.();

  handleShutdown(
    logger,
    [
      ...services.map((s) => ({ name: s.name, run: () => s.stop() })),
      { name: 'event bus', run: () => bus.close() },
      { name: 'notifications database', run: () => notificationsDb.close() },
      { name: 'embedded postgres', run: async () => embedded?.close() },
    ],
    // Seven services, each draining and finishing in-flight work, then the bus and the databases.
    { deadlineMs: 20_000 },
  );

  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${gateway.ports.http}`;
  const lines = [
    '',
    `Shopfront is up in ${((Date.now() - started) / 1000).toFixed(1)} s — ${databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`}, ${kafkaBrokers ? 'Kafka at KAFKA_BROKERS' : `event log in ${path.join(dataDir, 'events')}`}`,
    `  ${'gateway'.padEnd(20)} ${url}   (OpenAPI: ${url}/api/v1/openapi.json)`,
    ...services.map(
      (s) =>
        `  ${s.name.padEnd(20)} ${
          Object.entries(s.ports)
            .map(([n, p]) => `${n}:${p}`)
            .join('  ') || '(consumes orders)'
        }`,
    ),
    `  ${'notifications'.padEnd(20)} ${path.join(dataDir, 'notifications.jsonl')}`,
    `  ${'analytics windows'.padEnd(20)} ${path.join(dataDir, 'analytics-results.jsonl')}`,
    `  ${'admin'.padEnd(20)} ${secrets.adminEmail} / ${secrets.adminPassword}${created ? `   (new; kept in ${path.join(dataDir, 'secrets.json')})` : ''}`,
    '',
    'Try:',
    `  curl -s ${url}/api/v1/products?limit=3`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
