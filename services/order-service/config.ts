import { z } from 'zod';
import { shop, TOPIC_ORDERS } from '../../lib/platform';
import { ConfigError, env, loadConfig } from '../../lib/runtime/config';

export const SERVICE_NAME = 'order-service';

/** The schema this service's tables live in: the catalog's database name for it (`orders`). */
export const SCHEMA = shop.postgresDatabase(SERVICE_NAME);

/** The catalog's topic of order events, produced by this service. */
export const ORDERS_TOPIC = shop.topic(TOPIC_ORDERS);

export const configShape = {
  GRPC_PORT: env.port(shop.port(SERVICE_NAME, 'grpc')),
  HTTP_PORT: env.port(shop.port(SERVICE_NAME, 'http')),
  DATABASE_URL: env.postgresUrl(),
  DATA_DIR: z.string().min(1).default('.data'),
  JWT_SECRET: env.secret(32),
  PRODUCT_SERVICE_ADDR: env.address(`localhost:${shop.port('product-service', 'grpc')}`),
  PAYMENT_SERVICE_ADDR: env.address(`localhost:${shop.port('payment-service', 'grpc')}`),
  KAFKA_BROKERS: env.kafkaBrokers(),
  KAFKA_MSK_IAM_REGION: env.awsRegion(),
  KAFKA_TOPIC_ORDERS: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (A-Z a-z 0-9 . _ -, at most 249)')
    .default(ORDERS_TOPIC.name),
  DOWNSTREAM_TIMEOUT_MS: env.integer(1, 60_000, 2000),
  DOWNSTREAM_RETRIES: env.integer(0, 10, 2),
  OUTBOX_POLL_MS: env.integer(1, 60_000, 200),
  SAGA_RECOVERY_AFTER_MS: env.integer(1000, 3_600_000, 60_000),
  SAGA_RECOVERY_POLL_MS: env.integer(10, 3_600_000, 5000),
  LOG_LEVEL: env.logLevel(),
};

/** Never echoed in a ConfigError: the signing key, and a URL that may carry a password. */
export const SECRET_VARIABLES = ['JWT_SECRET', 'DATABASE_URL'] as const;

export type OrderServiceConfig = z.infer<z.ZodObject<typeof configShape>>;

/** Backoff between retries of a peer call (exponential from the base, full jitter, capped). */
export const RETRY_BACKOFF = { baseDelayMs: 100, maxDelayMs: 1000 } as const;

/** The longest a saga step can spend on one peer call, retries and backoff included. */
export function longestPeerCallMs(config: Pick<OrderServiceConfig, 'DOWNSTREAM_TIMEOUT_MS' | 'DOWNSTREAM_RETRIES'>) {
  return (
    (config.DOWNSTREAM_RETRIES + 1) * config.DOWNSTREAM_TIMEOUT_MS +
    config.DOWNSTREAM_RETRIES * RETRY_BACKOFF.maxDelayMs
  );
}

/**
 * Parses the environment. Beyond each variable's own rule: a saga lease must outlast a step's peer call
 * with room to spare, or the recoverer would take over orders whose request is still running them.
 */
export function loadOrderServiceConfig(environment: Record<string, string | undefined>): OrderServiceConfig {
  const config = loadConfig(configShape, environment, [...SECRET_VARIABLES]);
  const needed = 2 * longestPeerCallMs(config);
  if (config.SAGA_RECOVERY_AFTER_MS < needed) {
    throw new ConfigError([
      {
        variable: 'SAGA_RECOVERY_AFTER_MS',
        message: `must be at least ${needed} (twice (DOWNSTREAM_RETRIES + 1) x DOWNSTREAM_TIMEOUT_MS plus backoff) (got ${config.SAGA_RECOVERY_AFTER_MS})`,
      },
    ]);
  }
  return config;
}
