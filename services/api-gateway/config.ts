import { z } from 'zod';
import { shop } from '../../lib/platform';
import { env, loadConfig } from '../../lib/runtime/config';

export const SERVICE_NAME = 'api-gateway';

/** The environment the gateway reads; keys are the variable names. */
export const configShape = {
  HTTP_PORT: env.port(shop.port(SERVICE_NAME, 'http')),
  USER_SERVICE_ADDR: env.address(`localhost:${shop.port('user-service', 'grpc')}`),
  PRODUCT_SERVICE_ADDR: env.address(`localhost:${shop.port('product-service', 'grpc')}`),
  ORDER_SERVICE_ADDR: env.address(`localhost:${shop.port('order-service', 'grpc')}`),
  JWT_SECRET: env.secret(32),
  UPSTREAM_TIMEOUT_MS: env.positiveInt(2000),
  /**
   * CreateOrder runs the whole saga (reserve stock, charge, confirm, with order-service's own retries), so it gets
   * a longer deadline than a lookup. Past it the order may still complete: the client repeats the request with the
   * same Idempotency-Key.
   */
  CREATE_ORDER_TIMEOUT_MS: env.positiveInt(10_000),
  /**
   * Register and Authenticate hash a password with scrypt, memory-hard on purpose; a few at once queue on
   * user-service's hashing threads, past the lookup deadline on a busy machine. They get a deadline of their own.
   */
  CREDENTIALS_TIMEOUT_MS: env.positiveInt(10_000),
  MAX_BODY_BYTES: env.positiveInt(16_384),
  /**
   * How long a catalogue page or product read through the gateway is served from its cache: the staleness of stock
   * shown in listings (orders reserve against the real stock). 0 turns the cache off.
   */
  CATALOGUE_CACHE_TTL_MS: env.integer(0, 1000, 1000),
  LOG_LEVEL: env.logLevel(),
  /** Where the analytics twin keeps `analytics-results.jsonl`, read by the admin's windows query. */
  DATA_DIR: z.string().min(1).default('.data'),
  /**
   * The results database the Flink job writes (Cloud SQL), through a login holding `analytics_reader`: the admin's
   * windows query reads it instead of the twin's file. A secret (it carries the password).
   */
  ANALYTICS_DATABASE_URL: env.postgresUrl(),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof configShape>>;

/** Parses the environment once; throws the kit's ConfigError naming every bad variable (never the secret). */
export function loadGatewayConfig(variables: Record<string, string | undefined>): GatewayConfig {
  return loadConfig(configShape, variables, ['JWT_SECRET', 'ANALYTICS_DATABASE_URL']);
}
