import type { z } from 'zod';
import { shop } from '../../lib/platform';
import { env, loadConfig } from '../../lib/runtime/config';

export const SERVICE_NAME = 'storefront';

/** The environment the storefront reads; keys are the variable names. */
export const configShape = {
  HTTP_PORT: env.port(shop.port(SERVICE_NAME, 'http')),
  /** Where `/api/v1` is passed on to, so the pages and the API share an origin without the load balancer. */
  API_GATEWAY_SERVICE_ADDR: env.address(`localhost:${shop.port('api-gateway', 'http')}`),
  /** How long a request passed on to the gateway may take before the page gets a 504. */
  API_PROXY_TIMEOUT_MS: env.positiveInt(15_000),
  LOG_LEVEL: env.logLevel(),
};

export type StorefrontConfig = z.infer<z.ZodObject<typeof configShape>>;

/** Parses the environment once; throws the kit's ConfigError naming every bad variable. */
export function loadStorefrontConfig(variables: Record<string, string | undefined>): StorefrontConfig {
  return loadConfig(configShape, variables);
}
