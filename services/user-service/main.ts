import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { TokenIssuer } from '../../lib/runtime/auth';
import { ConfigError } from '../../lib/runtime/config';
import { type Database, openDatabase } from '../../lib/runtime/db';
import { startGrpcServer } from '../../lib/runtime/grpc-server';
import { Health } from '../../lib/runtime/health';
import { createHttpApp, listenHttp } from '../../lib/runtime/http';
import { createLogger, type Logger } from '../../lib/runtime/logger';
import { ServiceMetrics } from '../../lib/runtime/metrics';
import { loadMigrations, migrate } from '../../lib/runtime/migrate';
import { handleShutdown, type ShutdownStep } from '../../lib/runtime/shutdown';
import { ScryptPasswordHasher } from './adapters/scrypt-password-hasher';
import { DATABASE_SCHEMA, loadUserServiceConfig, SERVICE_NAME } from './config';
import { UserAccounts } from './domain/accounts';
import { MIGRATIONS_DIR, SqlUserStore } from './store/user-store';
import { USER_PROTO, userServiceBinding } from './transport/grpc';

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** Shared embedded PostgreSQL of the local platform. */
  embedded?: PGlite;
  logger?: Logger;
  /** @default '0.0.0.0' */
  host?: string;
}

export interface StartedService {
  name: string;
  /** Actual bound ports by catalog port name. */
  ports: Record<string, number>;
  health: Health;
  /** Drain, close servers gracefully, close db. */
  stop(): Promise<void>;
}

const BOOTSTRAP_ADMIN_NAME = 'Administrator';

/** Starts the service and returns it with the shutdown steps `handleShutdown` runs on a signal. */
async function compose(options: StartOptions): Promise<{ service: StartedService; steps: ShutdownStep[] }> {
  const config = loadUserServiceConfig(options.env);
  const logger = options.logger ?? createLogger({ service: SERVICE_NAME, level: config.LOG_LEVEL });
  const host = options.host ?? '0.0.0.0';
  const opened: { close: () => Promise<void> }[] = [];
  const closeOpened = async () => {
    for (const resource of opened.reverse()) await resource.close().catch(() => undefined);
  };

  try {
    const db: Database = await openDatabase({
      schema: DATABASE_SCHEMA,
      databaseUrl: config.DATABASE_URL,
      logger,
      embedded: options.embedded,
      dataDir: path.join(config.DATA_DIR, 'postgres'),
    });
    opened.push(db);
    await migrate(db, loadMigrations(MIGRATIONS_DIR), logger);

    const accounts = new UserAccounts({
      users: new SqlUserStore(db),
      hasher: await ScryptPasswordHasher.create({ memoryKib: config.PASSWORD_HASH_MEMORY_KIB }),
      tokens: new TokenIssuer({ secret: config.JWT_SECRET, ttlSeconds: config.TOKEN_TTL_SECONDS }),
    });

    if (config.bootstrapAdmin) {
      const { created, user } = await accounts.ensureAdmin({ ...config.bootstrapAdmin, name: BOOTSTRAP_ADMIN_NAME });
      logger.info(
        { userId: user.id, role: user.role },
        created ? 'bootstrap admin created' : 'bootstrap admin already exists; left unchanged',
      );
      if (user.role !== 'admin') logger.warn({ userId: user.id }, 'the bootstrap admin email belongs to a non-admin');
    }

    const metrics = new ServiceMetrics(SERVICE_NAME);
    const health = new Health(logger).add('postgres', () => db.ping());

    const grpc = await startGrpcServer(
      config.GRPC_PORT,
      {
        logger,
        metrics,
        health,
        services: [userServiceBinding(accounts)],
        protoFiles: USER_PROTO.files,
        protoIncludeDirs: USER_PROTO.includeDirs,
      },
      host,
    );
    opened.push({ close: () => grpc.close() });
    const http = await listenHttp(createHttpApp({ logger, metrics, health }), config.METRICS_PORT, host);
    opened.push(http);

    const ports = { grpc: grpc.port, metrics: http.port };
    logger.info({ ports }, 'started');

    const steps: ShutdownStep[] = [
      { name: 'drain', run: async () => health.drain() },
      {
        name: 'close servers',
        run: async () => {
          await Promise.all([grpc.close(), http.close()]);
        },
      },
      { name: 'close database', run: () => db.close() },
    ];
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // Every step runs even when one fails, so a stuck server never leaves the database open.
        const failures: unknown[] = [];
        for (const step of steps) await step.run().catch((error: unknown) => failures.push(error));
        if (failures.length > 0) throw failures[0];
      })();
      return stopping;
    };
    return { service: { name: SERVICE_NAME, ports, health, stop }, steps };
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

/** Starts user-service: gRPC on GRPC_PORT, /livez /readyz /metrics on METRICS_PORT. */
export async function start(options: StartOptions): Promise<StartedService> {
  return (await compose(options)).service;
}

async function runFromProcess(): Promise<void> {
  // The level is only known once the config parsed; a config error is printed at the default level.
  let logger = createLogger({ service: SERVICE_NAME });
  try {
    logger = createLogger({ service: SERVICE_NAME, level: loadUserServiceConfig(process.env).LOG_LEVEL });
    const { steps } = await compose({ env: process.env, logger });
    handleShutdown(logger, steps);
  } catch (error) {
    if (error instanceof ConfigError) logger.fatal({ problems: error.problems }, error.message);
    else logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

if (require.main === module) void runFromProcess();
