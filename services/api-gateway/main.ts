import type { PGlite } from '@electric-sql/pglite';
import { OrderServiceClient } from '../../lib/contracts/gen/shopfront/order/v1/order';
import { ProductServiceClient } from '../../lib/contracts/gen/shopfront/product/v1/product';
import { UserServiceClient } from '../../lib/contracts/gen/shopfront/user/v1/user';
import { TokenVerifier } from '../../lib/runtime/auth';
import { ConfigError } from '../../lib/runtime/config';
import { Health } from '../../lib/runtime/health';
import { listenHttp } from '../../lib/runtime/http';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { ServiceMetrics } from '../../lib/runtime/metrics';
import { handleShutdown } from '../../lib/runtime/shutdown';
import { loadGatewayConfig, SERVICE_NAME } from './config';
import { answerMalformedRequests, createGatewayApp } from './transport/http-app';
import { UpstreamHealthProbe } from './upstream/health-probe';
import { OrderServicePeer, ProductServicePeer, UserServicePeer } from './upstream/peers';

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** The shared embedded PostgreSQL of the local platform; the gateway has no database and ignores it. */
  embedded?: PGlite;
  logger?: Logger;
  /** @default '0.0.0.0' */
  host?: string;
}

export interface StartedService {
  name: string;
  /** Actual bound ports by port name. */
  ports: Record<string, number>;
  health: Health;
  /** Drain, close servers gracefully (in-flight requests finish), close the channels to the peers. */
  stop(): Promise<void>;
}

/**
 * Starts api-gateway: REST on HTTP_PORT translated to gRPC calls on user-service, product-service and
 * order-service.
 * Throws the kit's ConfigError for a bad environment.
 */
export async function start(options: StartOptions): Promise<StartedService> {
  const config = loadGatewayConfig(options.env);
  const logger = options.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
  const metrics = new ServiceMetrics(SERVICE_NAME);
  const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
  // Each probe has its own deadline; the kit's timeout is only a backstop.
  const health = new Health(logger, { timeoutMs: timeoutMs + 1000 });
  const users = new UserServicePeer(config.USER_SERVICE_ADDR, timeoutMs, config.CREDENTIALS_TIMEOUT_MS, metrics);
  const products = new ProductServicePeer(config.PRODUCT_SERVICE_ADDR, timeoutMs, metrics);
  const orders = new OrderServicePeer(config.ORDER_SERVICE_ADDR, timeoutMs, config.CREATE_ORDER_TIMEOUT_MS, metrics);
  const probes = [
    new UpstreamHealthProbe(config.USER_SERVICE_ADDR, UserServiceClient.serviceName, timeoutMs),
    new UpstreamHealthProbe(config.PRODUCT_SERVICE_ADDR, ProductServiceClient.serviceName, timeoutMs),
    new UpstreamHealthProbe(config.ORDER_SERVICE_ADDR, OrderServiceClient.serviceName, timeoutMs),
  ] as const;
  health
    .add('user-service', probes[0].check)
    .add('product-service', probes[1].check)
    .add('order-service', probes[2].check);
  const closeChannels = () => {
    for (const closable of [users, products, orders, ...probes]) closable.close();
  };

  const app = createGatewayApp({
    logger,
    metrics,
    health,
    users,
    products,
    orders,
    tokens: new TokenVerifier({ secret: config.JWT_SECRET }),
    maxBodyBytes: config.MAX_BODY_BYTES,
  });
  let http: Awaited<ReturnType<typeof listenHttp>>;
  try {
    http = await listenHttp(app, config.HTTP_PORT, options.host ?? '0.0.0.0');
    answerMalformedRequests(http.server);
  } catch (error) {
    closeChannels();
    throw error;
  }
  logger.info(
    {
      port: http.port,
      userService: config.USER_SERVICE_ADDR,
      productService: config.PRODUCT_SERVICE_ADDR,
      orderService: config.ORDER_SERVICE_ADDR,
    },
    'api-gateway listening',
  );

  let stopped: Promise<void> | undefined;
  return {
    name: SERVICE_NAME,
    ports: { http: http.port },
    health,
    stop: () => {
      stopped ??= (async () => {
        health.drain();
        try {
          await http.close();
        } finally {
          closeChannels();
        }
      })();
      return stopped;
    },
  };
}

if (require.main === module) {
  let logger = createLogger({ service: SERVICE_NAME });
  try {
    logger = createLogger({ service: SERVICE_NAME, level: loadGatewayConfig(process.env).LOG_LEVEL });
  } catch (error) {
    logger.fatal(error instanceof ConfigError ? error.message : String(error));
    process.exit(1);
  }
  start({ env: process.env, logger }).then(
    (service) => {
      handleShutdown(logger, [
        { name: 'drain', run: async () => service.health.drain() },
        { name: 'close servers and channels', run: () => service.stop() },
      ]);
    },
    (error: unknown) => {
      logger.fatal({ err: error }, 'api-gateway failed to start');
      process.exit(1);
    },
  );
}
