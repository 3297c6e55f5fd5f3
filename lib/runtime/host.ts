import * as path from 'node:path';
import { shop } from '../platform';
import { ConfigError } from './config';
import { type Database, PostgresDatabase } from './db';
import { startLocalDatabase } from './embedded-postgres';
import { type EventBus, LocalEventLog, openKafkaEventBus, PostgresEventLog, tracedEventBus } from './events';
import type * as GrpcServer from './grpc-server';
import { Health } from './health';
import { listenHttp, type RunningHttpServer } from './http-server';
import { createLogger, type Logger } from './logger';
import { ServiceMetrics } from './metrics';
import { loadMigrations, migrate } from './migrate';
import { handleShutdown, type ShutdownStep } from './shutdown';
import { loadTracingConfig, Tracing } from './tracing';

/** The variables the host itself acts on; every service's config schema may declare them. */
export interface HostConfig {
  readonly LOG_LEVEL: string;
  readonly DATA_DIR?: string;
  readonly DATABASE_URL?: string;
  readonly KAFKA_BROKERS?: readonly string[];
  readonly KAFKA_MSK_IAM_REGION?: string;
}

type HttpApp = Parameters<typeof listenHttp>[0];

export interface ServiceDefinition<C extends HostConfig, O extends object = object, X extends object = object> {
  /** The catalog's name of the service: logger, metrics and Kafka client id. */
  readonly name: string;
  /** Parses the environment once; throws the kit's ConfigError naming every bad variable. */
  readonly config: (env: Record<string, string | undefined>) => C;
  /** The PostgreSQL schema the service owns and the folder of its migrations, applied at start. */
  readonly database?: { readonly schema: string; readonly migrations: string };
  /** The service publishes or consumes events: the host opens the bus (Kafka, the shared log, or its own log). */
  readonly eventBus?: boolean;
  /** How long one readiness probe may take. @default - the kit's Health default */
  readonly healthTimeoutMs?: (config: C) => number;
  /** Builds the service from what the host opened: adapters, domain, servers, workers. */
  readonly build: (context: ServiceContext<C, O>) => Promise<X>;
}

export interface ServiceContext<C, O> {
  readonly name: string;
  readonly config: C;
  readonly logger: Logger;
  /** The service's Prometheus registry (RED metrics, process defaults). */
  readonly metrics: ServiceMetrics;
  /** Readiness: the database and the bus are already checked; add the service's own dependencies. */
  readonly health: Health;
  /** The service's database, migrated. Only when the definition declares one. */
  readonly db: Database;
  /** The event bus, traced as this service (producer and consumer spans). Only when the definition declares it. */
  readonly bus: EventBus;
  /** The service's tracing: its tracer, for spans of its own beyond the kit's (servers, calls, the bus). */
  readonly tracing: Tracing;
  /** What the caller gave beyond the host's own options (a clock, a logger for one adapter, ...). */
  readonly options: O;
  /** Starts a gRPC server on `port`, reported as `ports[portName]`; closed first at stop. */
  serveGrpc(
    portName: string,
    port: number,
    options: Omit<GrpcServer.GrpcServerOptions, 'logger' | 'metrics' | 'health'>,
  ): Promise<void>;
  /** Listens with `app` on `port`, reported as `ports[portName]`; closed first at stop. */
  serveHttp(portName: string, port: number, app: HttpApp): Promise<RunningHttpServer>;
  /** Runs at stop once the servers have closed, in the reverse order of registration; also when the start fails. */
  onStop(name: string, run: () => Promise<void> | void): void;
}

export interface HostOptions {
  readonly env: Record<string, string | undefined>;
  readonly logger?: Logger;
  /** Where servers listen. @default '0.0.0.0' */
  readonly host?: string;
  /** A database opened by the caller, used instead of opening one; not closed by stop(). */
  readonly database?: Database;
  /** The bus to use when KAFKA_BROKERS is not set (the local platform's shared log); not closed by stop(). */
  readonly eventBus?: EventBus;
  /** The service's tracing, used instead of one configured from `env` (tests); shut down by stop(). */
  readonly tracing?: Tracing;
}

export type StartOptions<O extends object = object> = HostOptions & Partial<O>;

export interface StartedService {
  readonly name: string;
  /** Bound ports by catalog port name. */
  readonly ports: Record<string, number>;
  readonly health: Health;
  /** Every shutdown step runs, even past a failed one; rejects with the first failure once all have run. */
  stop(): Promise<void>;
}

interface Launched<X> {
  readonly service: StartedService & X;
  readonly steps: readonly ShutdownStep[];
}

async function runAll(steps: readonly ShutdownStep[], logger: Logger): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      logger.error({ step: step.name, err: error }, 'shutdown step failed');
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/**
 * The bus a service uses: Kafka with KAFKA_BROKERS; else the one the caller shares; else the event log in the
 * platform's PostgreSQL (shared by every process on that database); else, with no database at all, a log of this
 * process only.
 */
async function openBus(config: HostConfig, name: string, options: HostOptions, logger: Logger, databaseUrl?: string) {
  if (config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0) {
    const bus = await openKafkaEventBus({
      brokers: config.KAFKA_BROKERS,
      clientId: name,
      logger,
      mskIamRegion: config.KAFKA_MSK_IAM_REGION,
    });
    return { bus, owned: true, kind: 'kafka' };
  }
  if (options.eventBus) return { bus: options.eventBus, owned: false, kind: 'shared' };
  const partitions = Object.fromEntries(shop.catalog.topics.map((t) => [t.name, t.partitions]));
  if (databaseUrl)
    return {
      bus: new PostgresEventLog({ url: databaseUrl, partitions, logger, applicationName: `${name} events` }),
      owned: true,
      kind: 'postgres',
    };
  logger.warn('neither KAFKA_BROKERS nor DATABASE_URL is set: using an event log of this process only');
  const bus = new LocalEventLog({ partitions, dataDir: path.join(config.DATA_DIR ?? '.data', 'events'), logger });
  return { bus, owned: true, kind: 'local' };
}

async function launch<C extends HostConfig, O extends object, X extends object>(
  definition: ServiceDefinition<C, O, X>,
  options: StartOptions<O>,
): Promise<Launched<X>> {
  const config = definition.config(options.env);
  const tracing = options.tracing ?? new Tracing({ service: definition.name, config: loadTracingConfig(options.env) });
  const logger = options.logger ?? createLogger({ service: definition.name, level: config.LOG_LEVEL });
  const listenHost = options.host ?? '0.0.0.0';
  const health = new Health(logger, { timeoutMs: definition.healthTimeoutMs?.(config) });
  const servers: { name: string; close: () => Promise<void> }[] = [];
  const resources: ShutdownStep[] = [];
  const ports: Record<string, number> = {};
  // In-flight requests and calls finish before anything they use is released, in the reverse order of acquisition.
  const steps = (): ShutdownStep[] => [
    { name: 'drain', run: async () => health.drain() },
    {
      name: 'close servers',
      run: () =>
        runAll(
          servers.map((s) => ({ name: s.name, run: s.close })),
          logger,
        ),
    },
    ...[...resources].reverse(),
  ];
  const onStop = (name: string, run: () => Promise<void> | void) => resources.push({ name, run: async () => run() });
  // Released last: the spans of everything stopped before it are exported.
  onStop('flush traces', () => tracing.shutdown());
  let metrics: ServiceMetrics | undefined;
  const missing = (what: string) => () => {
    throw new Error(`${definition.name} uses ${what} but its definition does not declare it`);
  };
  let db: Database | undefined;
  let bus: EventBus | undefined;
  let url = config.DATABASE_URL;
  try {
    if (definition.database) {
      if (!options.database && !url) {
        // A service run alone without DATABASE_URL gets a PostgreSQL of its own under DATA_DIR.
        const local = await startLocalDatabase(config.DATA_DIR ?? '.data', logger);
        onStop('stop embedded postgres', () => local.stop());
        url = local.url;
        logger.warn({ dataDir: config.DATA_DIR }, 'DATABASE_URL is not set: started an embedded PostgreSQL');
      }
      const opened =
        options.database ??
        new PostgresDatabase(url as string, definition.database.schema, { logger, applicationName: definition.name });
      db = opened;
      if (!options.database) onStop('close database', () => opened.close());
      health.add('postgres', () => opened.ping());
      await migrate(opened, loadMigrations(definition.database.migrations), logger);
    }
    let busKind: string | undefined;
    if (definition.eventBus) {
      const opened = await openBus(config, definition.name, options, logger, url);
      bus = tracedEventBus(opened.bus, tracing, opened.kind === 'kafka' ? 'kafka' : 'shopfront_event_log');
      busKind = opened.kind;
      if (opened.owned) onStop('close event bus', () => opened.bus.close());
      health.add('event-bus', () => opened.bus.ping());
    }
    const context: ServiceContext<C, O> = {
      name: definition.name,
      config,
      logger,
      get metrics() {
        metrics ??= new ServiceMetrics(definition.name);
        return metrics;
      },
      health,
      get db() {
        return db ?? missing('a database')();
      },
      get bus() {
        return bus ?? missing('an event bus')();
      },
      tracing,
      options: options as unknown as O,
      serveGrpc: async (portName, port, grpcOptions) => {
        // Loaded by the services that serve gRPC only: with grpc-js it is ~3 MiB of heap, which the consumers and the
        // storefront do not need in theirs.
        const { startGrpcServer } = require('./grpc-server') as typeof GrpcServer;
        const server = await startGrpcServer(
          port,
          { ...grpcOptions, logger, metrics: context.metrics, health, tracing },
          listenHost,
        );
        servers.push({ name: portName, close: () => server.close() });
        ports[portName] = server.port;
      },
      serveHttp: async (portName, port, app) => {
        const server = await listenHttp(app, port, listenHost, tracing);
        servers.push({ name: portName, close: () => server.close() });
        ports[portName] = server.port;
        return server;
      },
      onStop,
    };
    const extras = await definition.build(context);
    logger.info({ ports, database: db?.kind, eventBus: busKind }, 'started');
    let stopping: Promise<void> | undefined;
    const service = {
      ...extras,
      name: definition.name,
      ports,
      health,
      stop: () => {
        stopping ??= runAll(steps(), logger);
        return stopping;
      },
    };
    return { service, steps: steps() };
  } catch (error) {
    await runAll(steps().slice(1), logger).catch(() => undefined);
    throw error;
  }
}

/** Starts a service in this process (the local platform and tests): config, database, bus, servers, readiness. */
export async function startService<C extends HostConfig, O extends object, X extends object>(
  definition: ServiceDefinition<C, O, X>,
  options: StartOptions<O>,
): Promise<StartedService & X> {
  return (await launch(definition, options)).service;
}

/**
 * Runs a service as the process's only one: starts it from process.env, stops it in order on SIGTERM/SIGINT,
 * and exits 1 with a clear message when the configuration is wrong or the start fails.
 */
export function runService<C extends HostConfig, O extends object, X extends object>(
  definition: ServiceDefinition<C, O, X>,
): void {
  let logger = createLogger({ service: definition.name });
  const fail = (error: unknown) => {
    if (error instanceof ConfigError) logger.fatal({ problems: error.problems }, error.message);
    else logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  };
  try {
    // The level is known only once the configuration parsed; a configuration error is logged at the default.
    logger = createLogger({ service: definition.name, level: definition.config(process.env).LOG_LEVEL });
  } catch (error) {
    fail(error);
    return;
  }
  launch(definition, { env: process.env, logger } as StartOptions<O>).then(
    ({ steps }) => void handleShutdown(logger, steps),
    fail,
  );
}
