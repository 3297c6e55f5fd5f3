import * as path from 'node:path';
import { TokenVerifier } from '../../lib/runtime/auth';
import { loadConfig } from '../../lib/runtime/config';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { configShape, type ProductServiceConfig, SCHEMA, SECRET_VARIABLES, SERVICE_NAME } from './config';
import { ProductCatalog } from './domain/catalog';
import { loadDemoProducts } from './seed/demo-products';
import { PostgresProductStore } from './store/product-store';
import { PROTO_FILES, PROTO_INCLUDE_DIRS, productGrpcService } from './transport/grpc';
import { createProductHttpApp } from './transport/http';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** product-service: the catalogue over gRPC and HTTP, stock reservations, an optional demo seed. */
export const productService: ServiceDefinition<ProductServiceConfig> = {
  name: SERVICE_NAME,
  config: (env) => loadConfig(configShape, env, [...SECRET_VARIABLES]),
  database: { schema: SCHEMA, migrations: MIGRATIONS_DIR },
  build: async ({ config, db, logger, metrics, health, serveGrpc, serveHttp }) => {
    const store = new PostgresProductStore(db);
    if (config.SEED_DEMO_PRODUCTS) {
      const inserted = await store.seedIfEmpty(loadDemoProducts());
      logger.info({ inserted }, inserted > 0 ? 'demo products seeded' : 'products present; demo seed skipped');
    }
    const catalog = new ProductCatalog(store, new TokenVerifier({ secret: config.JWT_SECRET }));
    await serveGrpc('grpc', config.GRPC_PORT, {
      services: [productGrpcService(catalog)],
      protoFiles: PROTO_FILES,
      protoIncludeDirs: PROTO_INCLUDE_DIRS,
    });
    await serveHttp('http', config.HTTP_PORT, createProductHttpApp({ logger, metrics, health, catalog }));
    return {};
  },
};

export const start = (options: StartOptions) => startService(productService, options);

if (require.main === module) runService(productService);
