import * as path from 'node:path';
import { z } from 'zod';
import { localAddressing, MAX_PORT_OFFSET, shop } from '../lib/platform';
import { env, loadConfig } from '../lib/runtime/config';
import { DataDirInUseError, type DataDirLock, lockDataDir } from '../lib/runtime/data-dir-lock';
import { portInUse } from '../lib/runtime/ports';
import { tracingConfigShape } from '../lib/runtime/tracing-config';

/**
 * What `npm start` (bin/local.ts) reads from its environment. Every variable of a service's own schema may be set
 * in the same environment: the supervisor passes the environment on to every service.
 */
export const localPlatformConfigShape = {
  /** The embedded PostgreSQL (`postgres/`), `secrets.json`, `notifications.jsonl`, `analytics-results.jsonl`. */
  DATA_DIR: z.string().min(1, 'must not be empty').default('.data'),
  /** Added to every catalog port, so a second platform can run beside the first. */
  SHOPFRONT_PORT_OFFSET: env.integer(0, MAX_PORT_OFFSET, 0),
  /** Where the services listen; 0.0.0.0 to reach them from another machine. */
  HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be a host name or an IP address, such as 127.0.0.1 or 0.0.0.0')
    .default('127.0.0.1'),
  /** `worker`: each service on a worker thread of its own; `process`: each in a process of its own. */
  SHOPFRONT_ISOLATION: z.enum(['worker', 'process'], { error: 'must be worker or process' }).default('worker'),
  SHOPFRONT_SERVICE_CODE: z
    .enum(['javascript', 'typescript'], { error: 'must be javascript or typescript' })
    .default('javascript'),
  LOG_LEVEL: env.logLevel(),
  /** Use this PostgreSQL instead of the embedded one (a schema per service, the event log in schema `events`). */
  DATABASE_URL: env.postgresUrl(),
  /** Use this Kafka instead of the event log in PostgreSQL. */
  KAFKA_BROKERS: env.kafkaBrokers(),
  /** Where every service appends its spans without a collector. @default - DATA_DIR/traces.jsonl */
  TRACES_FILE: tracingConfigShape.TRACES_FILE,
  /** Send every service's spans to this collector instead of the trace file. */
  OTEL_EXPORTER_OTLP_ENDPOINT: tracingConfigShape.OTEL_EXPORTER_OTLP_ENDPOINT,
};

export type LocalPlatformConfig = z.infer<z.ZodObject<typeof localPlatformConfigShape>>;

/** Parses npm start's environment; a bad value throws the kit's ConfigError naming the variable. */
export function loadLocalPlatformConfig(variables: Record<string, string | undefined>): LocalPlatformConfig {
  return loadConfig(localPlatformConfigShape, variables, ['DATABASE_URL']);
}

/** npm start cannot run as configured; `variable` is the setting that lets it. */
export class LocalStartRefused extends Error {
  constructor(
    message: string,
    readonly variable: 'DATA_DIR' | 'SHOPFRONT_PORT_OFFSET',
  ) {
    super(message);
    this.name = 'LocalStartRefused';
  }
}

/** A port the local platform binds: the catalog's port of a service shifted by the offset. */
export interface LocalPort {
  readonly service: string;
  readonly name: string;
  readonly port: number;
}

/** Every port the local platform binds with this offset (the embedded PostgreSQL takes any free port). */
export function localPorts(offset: number): LocalPort[] {
  const addressing = localAddressing(offset);
  return shop.catalog.services.flatMap((service) =>
    service.ports.map((port) => ({
      service: service.name,
      name: port.name,
      port: addressing.listenPort(service, port),
    })),
  );
}

async function firstBusy(ports: readonly LocalPort[], host: string): Promise<LocalPort | undefined> {
  for (const port of ports) if (await portInUse(port.port, host)) return port;
  return undefined;
}

/** The smallest offset, in steps of 1000, at which every port is free; undefined when there is none. */
async function freeOffset(host: string, except: number): Promise<number | undefined> {
  for (let offset = 1000; offset <= MAX_PORT_OFFSET; offset += 1000) {
    if (offset !== except && !(await firstBusy(localPorts(offset), host))) return offset;
  }
  return undefined;
}

export interface LocalStart {
  readonly dataDir: string;
  readonly portOffset: number;
  readonly host: string;
}

/**
 * What npm start checks before it opens anything: it claims DATA_DIR (a second platform on the same data would
 * fail later in PostgreSQL's lock, after its services had started), then makes sure every port it will bind is
 * free. Refuses with a LocalStartRefused naming the variable to change; resolves to the claim, released at stop.
 */
export async function claimLocalPlatform(start: LocalStart): Promise<DataDirLock> {
  const dataDir = path.resolve(start.dataDir);
  let lock: DataDirLock;
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    const offset = (await freeOffset(start.host, start.portOffset)) ?? 1000;
    throw new LocalStartRefused(
      `Shopfront is already running (pid ${error.pid}) on DATA_DIR ${dataDir}; stop it first, or set DATA_DIR and ` +
        `SHOPFRONT_PORT_OFFSET to run another beside it (e.g. DATA_DIR=${dataDir}-2 SHOPFRONT_PORT_OFFSET=${offset} ` +
        `npm start). If process ${error.pid} is not Shopfront, delete ${error.file}.`,
      'DATA_DIR',
    );
  }
  try {
    const busy = await firstBusy(localPorts(start.portOffset), start.host);
    if (busy) {
      const free = await freeOffset(start.host, start.portOffset);
      throw new LocalStartRefused(
        `port ${busy.port} (${busy.service} ${busy.name}) on ${start.host} is already in use, by another program or ` +
          `another Shopfront; set SHOPFRONT_PORT_OFFSET (now ${start.portOffset}) to move every port of the platform` +
          (free === undefined ? '' : ` (with SHOPFRONT_PORT_OFFSET=${free} every port is free)`),
        'SHOPFRONT_PORT_OFFSET',
      );
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  return lock;
}
