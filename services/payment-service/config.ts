import { z } from 'zod';
import { shop } from '../../lib/platform';
import { env } from '../../lib/runtime/config';
import type { PaymentTimings } from './domain/payments';

export const SERVICE_NAME = 'payment-service';

/** The schema this service's tables live in: the catalog's database name for it (`payments`). */
export const SCHEMA = shop.postgresDatabase(SERVICE_NAME);

// No JWT_SECRET: payment-service is called only by order-service, and the NetworkPolicy derived from the
// catalog's call graph admits no other caller. End-user authentication ends at api-gateway/order-service.
export const configShape = {
  GRPC_PORT: env.port(shop.port(SERVICE_NAME, 'grpc')),
  METRICS_PORT: env.port(shop.port(SERVICE_NAME, 'metrics')),
  DATABASE_URL: env.postgresUrl(),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: env.logLevel(),
  /** How long the mock processor takes to answer for `tok_slow` (timeout tests). */
  SLOW_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(600_000, 'must be at most 600000 (10 minutes)').default(3000),
};

/** Never echoed in a ConfigError: a URL may carry a password. */
export const SECRET_VARIABLES = ['DATABASE_URL'] as const;

export type PaymentServiceConfig = z.infer<z.ZodObject<typeof configShape>>;

/** The time budgets of charges and refunds, derived from the slowest answer the mock processor gives. */
export function paymentTimings(slowTokenDelayMs: number): PaymentTimings {
  const processorTimeoutMs = slowTokenDelayMs + 5_000;
  return {
    processorTimeoutMs,
    inProgressWaitMs: slowTokenDelayMs + 2_000,
    // Longer than any live owner can take, so a claim is only ever taken over from a dead or timed-out one.
    claimLeaseMs: Math.max(30_000, processorTimeoutMs + 5_000),
  };
}
