import { OrderServiceClient } from '../../lib/contracts/gen/shopfront/order/v1/order';
import { ProductServiceClient } from '../../lib/contracts/gen/shopfront/product/v1/product';
import { UserServiceClient } from '../../lib/contracts/gen/shopfront/user/v1/user';
import { TokenVerifier } from '../../lib/runtime/auth';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { analyticsWindowsSource } from './adapters/analytics-windows-source';
import { CachedCatalogue } from './adapters/catalogue';
import { UpstreamHealthProbe } from './adapters/health-probe';
import { OrderServicePeer, ProductServicePeer, UserServicePeer } from './adapters/peers';
import { type GatewayConfig, loadGatewayConfig, SERVICE_NAME } from './config';
import { answerMalformedRequests, createGatewayApp } from './transport/http-app';

/** api-gateway: REST on HTTP_PORT, authenticated, translated to gRPC calls on user-, product- and order-service. */
export const apiGateway: ServiceDefinition<GatewayConfig> = {
  name: SERVICE_NAME,
  config: loadGatewayConfig,
  // Each upstream probe has its own deadline; the kit's timeout is only a backstop.
  healthTimeoutMs: (config) => config.UPSTREAM_TIMEOUT_MS + 1000,
  build: async ({ config, logger, metrics, health, serveHttp, onStop }) => {
    const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
    const users = new UserServicePeer(config.USER_SERVICE_ADDR, timeoutMs, config.CREDENTIALS_TIMEOUT_MS, metrics);
    const productService = new ProductServicePeer(config.PRODUCT_SERVICE_ADDR, timeoutMs, metrics);
    const products = new CachedCatalogue(productService, config.CATALOGUE_CACHE_TTL_MS);
    const orders = new OrderServicePeer(config.ORDER_SERVICE_ADDR, timeoutMs, config.CREATE_ORDER_TIMEOUT_MS, metrics);
    const upstreams = [
      ['user-service', config.USER_SERVICE_ADDR, UserServiceClient.serviceName],
      ['product-service', config.PRODUCT_SERVICE_ADDR, ProductServiceClient.serviceName],
      ['order-service', config.ORDER_SERVICE_ADDR, OrderServiceClient.serviceName],
    ] as const;
    const probes = upstreams.map(([name, address, grpcService]) => {
      const probe = new UpstreamHealthProbe(address, grpcService, timeoutMs);
      health.add(name, probe.check);
      return probe;
    });
    onStop('close upstream channels', () => {
      for (const closable of [users, productService, orders, ...probes]) closable.close();
    });
    const windows = analyticsWindowsSource({
      databaseUrl: config.ANALYTICS_DATABASE_URL,
      dataDir: config.DATA_DIR,
      logger,
    });
    onStop('close the results database', windows.close);
    const app = createGatewayApp({
      logger,
      metrics,
      health,
      users,
      products,
      orders,
      analyticsWindows: windows.source,
      tokens: new TokenVerifier({ secret: config.JWT_SECRET }),
      maxBodyBytes: config.MAX_BODY_BYTES,
    });
    answerMalformedRequests((await serveHttp('http', config.HTTP_PORT, app)).server);
    return {};
  },
};

export const start = (options: StartOptions) => startService(apiGateway, options);

if (require.main === module) runService(apiGateway);
