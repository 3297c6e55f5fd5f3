import { z } from 'zod';
import { shop } from '../../lib/platform';
import { env } from '../../lib/runtime/config';

export const SERVICE_NAME = 'product-service';

const catalogPort = (name: string) => shop.port(SERVICE_NAME, name);

/** The schema this service's tables live in: the catalog's database name for it (`products`). */
export const SCHEMA = shop.postgresDatabase(SERVICE_NAME);

/**
 * A listening port; unlike the kit's `env.port` it accepts 0, which binds an ephemeral port (tests, and
 * several services in one process).
 */
const listenPort = (fallback: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535')
    .transform(Number)
    .pipe(z.number().int().min(0).max(65535, 'must be a port number from 0 to 65535'))
    .default(fallback);

export const configShape = {
  HTTP_PORT: listenPort(catalogPort('http')),
  GRPC_PORT: listenPort(catalogPort('grpc')),
  DATABASE_URL: env.postgresUrl(),
  DATA_DIR: z.string().min(1).default('.data'),
  JWT_SECRET: env.secret(32),
  LOG_LEVEL: env.logLevel(),
  SEED_DEMO_PRODUCTS: z.stringbool({ error: 'must be true or false' }).default(false),
};

/** Never echoed in a ConfigError: the signing key, and a URL that may carry a password. */
export const SECRET_VARIABLES = ['JWT_SECRET', 'DATABASE_URL'] as const;

export type ProductServiceConfig = z.infer<z.ZodObject<typeof configShape>>;
