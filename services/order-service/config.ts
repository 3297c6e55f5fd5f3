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
  /** One run of an order's saga retries a peer that is away this long, then answers PENDING (api-gateway waits 10 s). */
  ORDER_DEADLINE_MS: env.integer(100, 120_000, 7000),
  /** An order whose peer is still away this long after its creation fails instead of staying PENDING. */
  ORDER_PENDING_LIMIT_MS: env.integer(1000, 86_400_000, 900_000),
  OUTBOX_POLL_MS: env.integer(1, 60_000, 200),
  SAGA_RECOVERY_AFTER_MS: env.integer(1000, 3_600_000, 60_000),
  SAGA_RECOVERY_POLL_MS: env.integer(10, 3_600_000, 2000),
  LOG_LEVEL: env.logLevel(),
};

/** Never echoed in a ConfigError: the signing key, and a URL that may carry a password. */
export const SECRET_VARIABLES = ['JWT_SECRET', 'DATABASE_URL'] as const;

export type OrderServiceConfig = z.infer<z.ZodObject<typeof configShape>>;

/** Backoff between retries of a peer call (exponential from the base, full jitter, capped). */
export const RETRY_BACKOFF = { baseDelayMs: 100, maxDelayMs: 1000 } as const;

/** The longest one run of a saga spends on peer calls: retries stop at the deadline, no attempt outlasts it. */
export function longestRunMs(config: Pick<OrderServiceConfig, 'DOWNSTREAM_TIMEOUT_MS' | 'ORDER_DEADLINE_MS'>) {
  return config.ORDER_DEADLINE_MS + config.DOWNSTREAM_TIMEOUT_MS;
}

/**
 * Parses the environment. Beyond each variable's own rule: a saga lease must outlast a run with room to spare,
 * or the recoverer would take over orders whose request is still running them.
 */
export function loadOrderServiceConfig(environment: Record<string, string | undefined>): OrderServiceConfig {
  const config = loadConfig(configShape, environment, [...SECRET_VARIABLES]);
  const needed = 2 * longestRunMs(config);
  if (config.SAGA_RECOVERY_AFTER_MS < needed) {
    throw new ConfigError([
      {
        variable: 'SAGA_RECOVERY_AFTER_MS',
        message: `must be at least ${needed} (twice ORDER_DEADLINE_MS + DOWNSTREAM_TIMEOUT_MS) (got ${config.SAGA_RECOVERY_AFTER_MS})`,
      },
    ]);
  }
  return config;
}
