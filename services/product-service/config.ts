import { z } from 'zod';
import { shop } from '../../lib/platform';
import { env } from '../../lib/runtime/config';

export const SERVICE_NAME = 'product-service';

/** The schema this service's tables live in: the catalog's database name for it (`products`). */
export const SCHEMA = shop.postgresDatabase(SERVICE_NAME);

export const configShape = {
  HTTP_PORT: env.port(shop.port(SERVICE_NAME, 'http')),
  GRPC_PORT: env.port(shop.port(SERVICE_NAME, 'grpc')),
  DATABASE_URL: env.postgresUrl(),
  DATA_DIR: z.string().min(1).default('.data'),
  JWT_SECRET: env.secret(32),
  LOG_LEVEL: env.logLevel(),
  SEED_DEMO_PRODUCTS: z.stringbool({ error: 'must be true or false' }).default(false),
};

/** Never echoed in a ConfigError: the signing key, and a URL that may carry a password. */
export const SECRET_VARIABLES = ['JWT_SECRET', 'DATABASE_URL'] as const;

export type ProductServiceConfig = z.infer<z.ZodObject<typeof configShape>>;
