import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  ANALYTICS_DATABASE_URL: env.postgresUrl().superRefine((url, ctx) => {
    const problem = url === undefined ? undefined : tlsProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
};

/**
 * What would make the results database's TLS settings fail only at the first query, said at start instead: the URL
 * itself is a secret, so the message names the parameter, never the value (the CA's path is not secret).
 */
function tlsProblem(url: string): string | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return 'must be a URL';
  }
  if (params.get('sslmode') === 'verify-ca' && params.get('uselibpqcompat') !== 'true') {
    return "sslmode=verify-ca needs uselibpqcompat=true: without it node-postgres checks the server's name as verify-full does";
  }
  const caFile = params.get('sslrootcert');
  if (caFile === null) return undefined;
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    return `sslrootcert ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    new X509Certificate(pem);
  } catch {
    return `sslrootcert ${caFile} holds no PEM certificate`;
  }
  return undefined;
}

export type GatewayConfig = z.infer<z.ZodObject<typeof configShape>>;

/** Parses the environment once; throws the kit's ConfigError naming every bad variable (never the secret). */
export function loadGatewayConfig(variables: Record<string, string | undefined>): GatewayConfig {
  return loadConfig(configShape, variables, ['JWT_SECRET', 'ANALYTICS_DATABASE_URL']);
}
