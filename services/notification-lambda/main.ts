import * as path from 'node:path';
import { shop, TOPIC_ORDERS } from '../../lib/platform';
import { loadConfig } from '../../lib/runtime/config';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { JsonlFileNotifier } from './adapters/jsonl-file-notifier';
import { fromPino } from './adapters/pino-logger';
import {
  NOTIFICATION_MIGRATIONS_DIR,
  NOTIFICATIONS_SCHEMA,
  PostgresDeliveryRecords,
} from './adapters/postgres-delivery-records';
import { type LocalNotificationConfig, localConfigShape } from './local-config';
import {
  attemptsSpanning,
  createOrdersBatchHandler,
  createOrdersRecordHandler,
  LOCAL_LEASE_MS,
} from './transport/bus-consumer';

export const SERVICE_NAME = 'notification-lambda';
/** Where, under DATA_DIR, the local notifier appends one JSON line per confirmation. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl';

/**
 * The notification Lambda's domain code off AWS: consumes `orders` as the catalog's group for this service and
 * sends each confirmation through the JSONL file notifier (`<DATA_DIR>/notifications.jsonl`), at most once per
 * event id thanks to the delivery records kept in PostgreSQL (schema `notifications`).
 */
export const notificationLambda: ServiceDefinition<LocalNotificationConfig> = {
  name: SERVICE_NAME,
  config: (env) => loadConfig(localConfigShape, env, ['DATABASE_URL']),
  database: { schema: NOTIFICATIONS_SCHEMA, migrations: NOTIFICATION_MIGRATIONS_DIR },
  eventBus: true,
  build: async ({ config, db, bus, logger, onStop }) => {
    const file = path.join(config.DATA_DIR, NOTIFICATIONS_FILE);
    const groupId = shop.consumerGroup(SERVICE_NAME, TOPIC_ORDERS);
    const notifier = await JsonlFileNotifier.open(file);
    onStop('close the notifications file', () => notifier.close());
    const deps = { notifier, deliveryRecords: new PostgresDeliveryRecords(db), logger: fromPino(logger) };
    const subscription = await bus.subscribe({
      topic: TOPIC_ORDERS,
      groupId,
      maxAttempts: attemptsSpanning(LOCAL_LEASE_MS),
      handleBatch: createOrdersBatchHandler(deps),
      handle: createOrdersRecordHandler(deps),
    });
    onStop('stop consuming', () => subscription.stop());
    logger.info({ topic: TOPIC_ORDERS, group: groupId, file }, 'consuming');
    return {};
  },
};

export const start = (options: StartOptions) => startService(notificationLambda, options);

if (require.main === module) runService(notificationLambda);
