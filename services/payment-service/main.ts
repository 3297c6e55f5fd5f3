import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { ConfigError, loadConfig } from '../../lib/runtime/config';
import { type Database, openDatabase } from '../../lib/runtime/db';
import { startGrpcServer } from '../../lib/runtime/grpc-server';
import { Health } from '../../lib/runtime/health';
import { createHttpApp, listenHttp } from '../../lib/runtime/http';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { ServiceMetrics } from '../../lib/runtime/metrics';
import { loadMigrations, migrate } from '../../lib/runtime/migrate';
import { handleShutdown } from '../../lib/runtime/shutdown';
import { MockCardProcessor } from './adapters/mock-card-processor';
import { configShape, paymentTimings, SCHEMA, SECRET_VARIABLES, SERVICE_NAME } from './config';
import { Payments } from './domain/payments';
import { PostgresPaymentStore } from './store/payment-store';
import { PROTO_FILES, PROTO_INCLUDE_DIRS, paymentGrpcService } from './transport/grpc';

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
  /** Actual bound ports by catalog port name (`grpc`, `metrics`). */
  ports: Record<string, number>;
  health: Health;
  /** Drain, close servers gracefully (in-flight calls and processor calls finish), close the database. */
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
  const db: Database = await openDatabase({
    schema: SCHEMA,
    databaseUrl: config.DATABASE_URL,
    logger,
    embedded: options.embedded,
    dataDir: path.join(config.DATA_DIR, 'postgres'),
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    await migrate(db, loadMigrations(MIGRATIONS_DIR), logger);
    const metrics = new ServiceMetrics(SERVICE_NAME);
    const health = new Health(logger).add('postgres', () => db.ping());
    const processor = new MockCardProcessor({ slowTokenDelayMs: config.SLOW_TOKEN_DELAY_MS });
    const payments = new Payments(new PostgresPaymentStore(db), processor, paymentTimings(config.SLOW_TOKEN_DELAY_MS));

    const grpc = await startGrpcServer(
      config.GRPC_PORT,
      {
        logger,
        metrics,
        health,
        services: [paymentGrpcService(payments)],
        protoFiles: PROTO_FILES,
        protoIncludeDirs: PROTO_INCLUDE_DIRS,
      },
      host,
    );
    closers.push(() => grpc.close());
    const http = await listenHttp(createHttpApp({ logger, metrics, health }), config.METRICS_PORT, host);
    closers.push(() => http.close());
    logger.info({ grpc: grpc.port, metrics: http.port, database: db.kind }, 'started');

    const closeServers = async () => {
      await Promise.all(closers.map((close) => close()));
      // A call whose client gave up (deadline) still records its processor outcome before the database closes.
      await payments.settled();
    };
    const closeDatabase = () => db.close();
    let stopping: Promise<void> | undefined;
    const service: StartedService = {
      name: SERVICE_NAME,
      ports: { grpc: grpc.port, metrics: http.port },
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

/** Starts payment-service: migrations, the gRPC server, and the metrics/health HTTP server. */
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
