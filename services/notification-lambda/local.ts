import * as path from 'node:path';
import type { EventErrorCode } from '../../lib/events';
import { shop, TOPIC_ORDERS } from '../../lib/platform';
import { ConfigError, loadConfig } from '../../lib/runtime/config';
import { type Database, PostgresDatabase } from '../../lib/runtime/db';
import {
  type DeliveredMessage,
  defaultBackoff,
  type EventBus,
  openStandaloneEventBus,
  PoisonMessageError,
  type Subscription,
} from '../../lib/runtime/events';
import { Health } from '../../lib/runtime/health';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { loadMigrations, migrate } from '../../lib/runtime/migrate';
import { handleShutdown } from '../../lib/runtime/shutdown';
import { InMemoryDeliveryRecords } from './adapters/in-memory-delivery-records';
import { JsonlFileNotifier } from './adapters/jsonl-file-notifier';
import { fromPino } from './adapters/pino-logger';
import { NOTIFICATION_MIGRATIONS_DIR, NOTIFICATIONS_SCHEMA, SqlDeliveryRecords } from './adapters/sql-delivery-records';
import type { DeliveryRecords, Logger as DomainLogger, Notifier } from './domain/ports';
import { type BatchRecord, processBatch, type RecordFailureCode } from './domain/process-batch';
import { localConfigShape } from './local-config';
import { DEFAULT_LEASE_MS, LEASE_MARGIN_MS } from './transport/msk';

export const SERVICE_NAME = 'notification-lambda';
/** Where, under DATA_DIR, the local notifier appends one JSON line per confirmation. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl';

export interface LocalStartOptions {
  env: Record<string, string | undefined>;
  /** The bus carrying topic `orders` (the local platform's shared LocalEventLog, or Kafka). Not closed by stop(). */
  eventBus: EventBus;
  /**
   * Where delivery records are kept, in its own schema (open it with schema `notifications`, see
   * NOTIFICATIONS_SCHEMA); migrations are applied at start. Not closed by stop(): its owner closes it.
   * @default - in memory, so a restart may notify an event again
   */
  database?: Database;
  logger?: Logger;
}

export interface StartedService {
  name: string;
  /** None: the notifier only consumes. */
  ports: Record<string, number>;
  health: Health;
  /** Reports not ready, then stops consuming once the record in hand is handled and committed. */
  stop(): Promise<void>;
}

/** A record the domain rejected as malformed can never succeed: the bus dead-letters it at once. */
const POISON_CODES: ReadonlySet<RecordFailureCode> = new Set<EventErrorCode>([
  'NOT_JSON',
  'UNKNOWN_EVENT_TYPE',
  'INVALID_EVENT',
]);

/** A record that may succeed later (store or notifier unavailable, a live claim elsewhere): the bus retries it. */
export class NotificationNotDeliveredError extends Error {
  override readonly name = 'NotificationNotDeliveredError';

  constructor(readonly code: RecordFailureCode) {
    super(`notification not delivered: ${code}`);
  }
}

/** How long a claim holds locally: the Lambda's lease without an invocation deadline, plus its margin. */
export const LOCAL_LEASE_MS = DEFAULT_LEASE_MS + LEASE_MARGIN_MS;

/**
 * Attempts whose backoff delays add up to more than `ms`. A process that crashed between claim and complete
 * leaves a claim that lapses only with its lease; retrying for longer than the lease lets the redelivered
 * record take it over instead of being dead-lettered while it is still live.
 */
export const attemptsSpanning = (ms: number, backoff: (attempt: number) => number = defaultBackoff): number => {
  let waited = 0;
  let attempts = 1;
  while (waited <= ms) {
    waited += backoff(attempts);
    attempts += 1;
  }
  return attempts;
};

export interface OrdersRecordHandlerDeps {
  readonly notifier: Notifier;
  readonly deliveryRecords: DeliveryRecords;
  readonly logger: DomainLogger;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/**
 * The event-bus handler for one `orders` record: the Lambda's own `processBatch` on a batch of one, its
 * outcome turned into what the bus understands. Resolves when the event was notified or was a duplicate;
 * throws PoisonMessageError (dead-lettered at once) for a malformed record, and NotificationNotDeliveredError
 * (retried) for a failure that may pass.
 */
export const createOrdersRecordHandler = (deps: OrdersRecordHandlerDeps) => {
  const now = deps.now ?? (() => new Date());
  return async (message: DeliveredMessage): Promise<void> => {
    const record: BatchRecord = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      value: Buffer.from(message.value, 'utf8'),
    };
    const leaseExpiresAt = new Date(now().getTime() + LOCAL_LEASE_MS);
    const { failures } = await processBatch([record], { ...deps, leaseExpiresAt });
    const failure = failures[0];
    if (failure === undefined) return;
    if (POISON_CODES.has(failure.code)) {
      throw new PoisonMessageError(`order event rejected: ${failure.code}`, failure.code);
    }
    throw new NotificationNotDeliveredError(failure.code);
  };
};

/**
 * Runs the notification Lambda's domain code on the local platform: consumes topic `orders` as the catalog's
 * group for this service, and sends each confirmation through the JSONL file notifier
 * (`<DATA_DIR>/notifications.jsonl`), at most once per event id thanks to the delivery records.
 */
export async function start(options: LocalStartOptions): Promise<StartedService> {
  const config = loadConfig(localConfigShape, options.env);
  const logger = options.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
  const { eventBus, database } = options;
  const health = new Health(logger).add('event-bus', () => eventBus.ping());

  let deliveryRecords: DeliveryRecords;
  if (database) {
    await migrate(database, loadMigrations(NOTIFICATION_MIGRATIONS_DIR), logger);
    deliveryRecords = new SqlDeliveryRecords(database);
    health.add('postgres', () => database.ping());
  } else {
    deliveryRecords = new InMemoryDeliveryRecords();
    logger.warn('no database given: delivery records are kept in memory, so a restart may notify an event again');
  }

  const file = path.join(config.DATA_DIR, NOTIFICATIONS_FILE);
  const groupId = shop.consumerGroup(SERVICE_NAME, TOPIC_ORDERS);
  const subscription: Subscription = await eventBus.subscribe({
    topic: TOPIC_ORDERS,
    groupId,
    maxAttempts: attemptsSpanning(LOCAL_LEASE_MS),
    handle: createOrdersRecordHandler({
      notifier: new JsonlFileNotifier(file),
      deliveryRecords,
      logger: fromPino(logger),
    }),
  });
  logger.info(
    { topic: TOPIC_ORDERS, group: groupId, file, deliveryRecords: database ? database.kind : 'memory' },
    'started',
  );

  let stopping: Promise<void> | undefined;
  return {
    name: SERVICE_NAME,
    ports: {},
    health,
    stop: () => {
      stopping ??= (async () => {
        health.drain();
        await subscription.stop();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

/**
 * The local notifier as its own process (the fault-injection run starts each service separately): Kafka with
 * KAFKA_BROKERS, delivery records in PostgreSQL with DATABASE_URL.
 */
async function main(): Promise<void> {
  let logger = createLogger({ service: SERVICE_NAME });
  try {
    const config = loadConfig(localConfigShape, process.env);
    logger = createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
    const eventBus = await openStandaloneEventBus({
      service: SERVICE_NAME,
      brokers: config.KAFKA_BROKERS,
      mskIamRegion: config.KAFKA_MSK_IAM_REGION,
      dataDir: config.DATA_DIR,
      partitions: { [TOPIC_ORDERS]: shop.topic(TOPIC_ORDERS).partitions },
      logger,
    });
    const database = config.DATABASE_URL
      ? new PostgresDatabase(config.DATABASE_URL, NOTIFICATIONS_SCHEMA, { logger })
      : undefined;
    const service = await start({ env: process.env, eventBus, database, logger });
    handleShutdown(logger, [
      { name: 'drain', run: async () => service.health.drain() },
      { name: 'stop consuming', run: () => service.stop() },
      { name: 'close event bus', run: () => eventBus.close() },
      { name: 'close database', run: async () => database?.close() },
    ]);
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal(error.message);
    else logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  }
}

if (require.main === module) void main();
