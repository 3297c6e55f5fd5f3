import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { TokenVerifier } from '../../lib/runtime/auth';
import { ConfigError, loadConfig } from '../../lib/runtime/config';
import { type Database, openDatabase } from '../../lib/runtime/db';
import { startGrpcServer } from '../../lib/runtime/grpc-server';
import { Health } from '../../lib/runtime/health';
import { listenHttp } from '../../lib/runtime/http';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { ServiceMetrics } from '../../lib/runtime/metrics';
import { loadMigrations, migrate } from '../../lib/runtime/migrate';
import { handleShutdown } from '../../lib/runtime/shutdown';
import { configShape, SCHEMA, SECRET_VARIABLES, SERVICE_NAME } from './config';
import { ProductCatalog } from './domain/catalog';
import { loadDemoProducts } from './seed/demo-products';
import { PostgresProductStore } from './store/product-store';
import { PROTO_FILES, PROTO_INCLUDE_DIRS, productGrpcService } from './transport/grpc';
import { createProductHttpApp } from './transport/http';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** The shared embedded PostgreSQL of the local platform. */
  embedded?: PGlite;
  logger?: Logger;
  /** @default '0.0.0.0' */
  host?: string;
}

export interface StartedService {
  name: string;
  /** Actual bound ports by catalog port name (`http`, `grpc`). */
  ports: Record<string, number>;
  health: Health;
  /** Drain, close servers gracefully (in-flight requests finish), close the database. */
  stop(): Promise<void>;
}

interface Launched {
  readonly service: StartedService;
  readonly closeServers: () => Promise<void>;
  readonly closeDatabase: () => Promise<void>;
}

async function launch(options: StartOptions): Promise<Launched> {
  const config = loadConfig(configShape, options.env, [...SECRET_VARIABLES]);
  const logger = options.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
  const host = options.host ?? '0.0.0.0';
  const dataDir = path.join(config.DATA_DIR, 'postgres');
  // PGlite creates only the last folder of its data directory; a fresh checkout has no .data yet.
  if (!config.DATABASE_URL && !options.embedded) mkdirSync(dataDir, { recursive: true });
  const db: Database = await openDatabase({
    schema: SCHEMA,
    databaseUrl: config.DATABASE_URL,
    logger,
    embedded: options.embedded,
    dataDir,
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    await migrate(db, loadMigrations(MIGRATIONS_DIR), logger);
    const store = new PostgresProductStore(db);
    if (config.SEED_DEMO_PRODUCTS) {
      const inserted = await store.seedIfEmpty(loadDemoProducts());
      logger.info({ inserted }, inserted > 0 ? 'demo products seeded' : 'products present; demo seed skipped');
    }

    const metrics = new ServiceMetrics(SERVICE_NAME);
    const health = new Health(logger).add('postgres', () => db.ping());
    const catalog = new ProductCatalog(store, new TokenVerifier({ secret: config.JWT_SECRET }));

    const grpc = await startGrpcServer(
      config.GRPC_PORT,
      {
        logger,
        metrics,
        health,
        services: [productGrpcService(catalog)],
        protoFiles: PROTO_FILES,
        protoIncludeDirs: PROTO_INCLUDE_DIRS,
      },
      host,
    );
    closers.push(() => grpc.close());
    const http = await listenHttp(createProductHttpApp({ logger, metrics, health, catalog }), config.HTTP_PORT, host);
    closers.push(() => http.close());
    logger.info({ http: http.port, grpc: grpc.port, database: db.kind }, 'started');

    const closeServers = async () => {
      await Promise.all(closers.map((close) => close()));
    };
    const closeDatabase = () => db.close();
    let stopping: Promise<void> | undefined;
    const service: StartedService = {
      name: SERVICE_NAME,
      ports: { http: http.port, grpc: grpc.port },
      health,
      stop: () => {
        stopping ??= (async () => {
          health.drain();
          await closeServers();
          await closeDatabase();
        })();
        return stopping;
      },
    };
    return { service, closeServers, closeDatabase };
  } catch (error) {
    await Promise.allSettled(closers.map((close) => close()));
    await db.close().catch(() => undefined);
    throw error;
  }
}

/** Starts product-service: migrations, optional demo seed, gRPC and HTTP servers. */
export async function start(options: StartOptions): Promise<StartedService> {
  return (await launch(options)).service;
}

async function main(): Promise<void> {
  let logger = createLogger({ service: SERVICE_NAME });
  try {
    const config = loadConfig(configShape, process.env, [...SECRET_VARIABLES]);
    logger = createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
    const { service, closeServers, closeDatabase } = await launch({ env: process.env, logger });
    handleShutdown(logger, [
      { name: 'drain', run: async () => service.health.drain() },
      { name: 'close servers', run: closeServers },
      { name: 'close database', run: closeDatabase },
    ]);
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal(error.message);
    else logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  }
}

if (require.main === module) void main();
