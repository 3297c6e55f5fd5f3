import { z } from 'zod';
import { shop } from '../../lib/platform';
import { ConfigError, env, loadConfig } from '../../lib/runtime/config';
import { DomainError } from '../../lib/runtime/errors';
import { DEFAULT_MEMORY_KIB, MIN_MEMORY_KIB } from './adapters/scrypt-password-hasher';
import { checkPassword } from './domain/password-policy';
import { parseEmail } from './domain/validation';

export const SERVICE_NAME = 'user-service';

/** The database this service owns in the catalog; its schema name on a shared (embedded) PostgreSQL. */
export const DATABASE_SCHEMA = shop.postgresDatabase(SERVICE_NAME);

export const configShape = {
  GRPC_PORT: env.port(shop.port(SERVICE_NAME, 'grpc')),
  METRICS_PORT: env.port(shop.port(SERVICE_NAME, 'metrics')),
  DATABASE_URL: env.postgresUrl(),
  DATA_DIR: z.string().default('.data'),
  JWT_SECRET: env.secret(32),
  /** Access tokens are short-lived: there is no revocation list, so expiry is the revocation. */
  TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1, 'must be a whole number of seconds, 1 to 86400')
    .max(86_400, 'must be a whole number of seconds, 1 to 86400')
    .default(900),
  LOG_LEVEL: env.logLevel(),
  BOOTSTRAP_ADMIN_EMAIL: z.string().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().optional(),
  PASSWORD_HASH_MEMORY_KIB: z.coerce
    .number()
    .int()
    .refine(
      (kib) => kib >= MIN_MEMORY_KIB && kib <= 1_048_576 && Number.isInteger(Math.log2(kib)),
      `must be a power of two from ${MIN_MEMORY_KIB} to 1048576 KiB (scrypt N)`,
    )
    .default(DEFAULT_MEMORY_KIB),
  /** Password hashes computed at once (each holds PASSWORD_HASH_MEMORY_KIB and a libuv thread). */
  PASSWORD_HASH_CONCURRENCY: env.integer(1, 64, 2),
  /** Hashes that may wait for a slot; one more answers UNAVAILABLE (503 with Retry-After) at once. */
  PASSWORD_HASH_QUEUE: env.integer(0, 10_000, 32),
  /**
   * How long a hash may wait for a slot before it answers UNAVAILABLE; one that would wait longer, by the recent
   * hashes' time and its place in the queue, answers at once.
   */
  PASSWORD_HASH_QUEUE_TIMEOUT_MS: env.integer(1, 60_000, 2000),
};

/** Never printed, in a ConfigError or anywhere else. */
export const SECRET_VARIABLES = ['JWT_SECRET', 'BOOTSTRAP_ADMIN_PASSWORD'] as const;

export type UserServiceConfig = z.infer<z.ZodObject<typeof configShape>> & {
  readonly bootstrapAdmin?: { readonly email: string; readonly password: string };
};

/**
 * Reads the environment once. Beyond the per-variable rules: the bootstrap admin's email and password come
 * both or neither, and must pass the same checks as a registration, so a typo stops the start instead of
 * creating an account nobody can sign in to.
 */
export function loadUserServiceConfig(variables: Record<string, string | undefined>): UserServiceConfig {
  const config = loadConfig(configShape, variables, [...SECRET_VARIABLES]);
  const email = config.BOOTSTRAP_ADMIN_EMAIL;
  const password = config.BOOTSTRAP_ADMIN_PASSWORD;
  if (email === undefined && password === undefined) return config;
  if (email === undefined || password === undefined) {
    const missing = email === undefined ? 'BOOTSTRAP_ADMIN_EMAIL' : 'BOOTSTRAP_ADMIN_PASSWORD';
    const other = email === undefined ? 'BOOTSTRAP_ADMIN_PASSWORD' : 'BOOTSTRAP_ADMIN_EMAIL';
    throw new ConfigError([{ variable: missing, message: `must be set when ${other} is (set both or neither)` }]);
  }
  let normalizedEmail: string;
  try {
    normalizedEmail = parseEmail(email);
  } catch (error) {
    throw asConfigError(error, 'BOOTSTRAP_ADMIN_EMAIL');
  }
  try {
    checkPassword(password, normalizedEmail);
  } catch (error) {
    throw asConfigError(error, 'BOOTSTRAP_ADMIN_PASSWORD');
  }
  return { ...config, bootstrapAdmin: { email: normalizedEmail, password } };
}

function asConfigError(error: unknown, variable: string): unknown {
  // The domain's messages never contain the value, so they are safe to print.
  return error instanceof DomainError ? new ConfigError([{ variable, message: error.message }]) : error;
}
