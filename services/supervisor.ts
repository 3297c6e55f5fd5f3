import { type ChildProcess, fork } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { localAddressing, type ServiceSpec, serviceWiring, shop, Workload } from '../lib/platform';
import { startLocalDatabase } from '../lib/runtime/embedded-postgres';
import type { Logger } from '../lib/runtime/logger';
import { compileForThisProcess } from './compile';
import { START_ORDER } from './start-order';
import type { FromWorker, ToWorker, WorkerStart } from './worker';

type Variables = Record<string, string | undefined>;

/**
 * How each service runs: a worker thread (its own event loop and heap in one process; a crash ends that thread only)
 * or a child process (its own process, as in Kubernetes, at the cost of a Node runtime each).
 */
export type Isolation = 'worker' | 'process';

export interface SupervisorOptions {
  /** Variables every service reads (DATA_DIR, JWT_SECRET, LOG_LEVEL, DATABASE_URL, KAFKA_BROKERS, any setting). */
  readonly env: Variables;
  /** Variables of one service beyond its wiring and `env`. */
  readonly settings?: Readonly<Record<string, Variables>>;
  /** The catalog's ports shifted by this offset. */
  readonly portOffset: number;
  /** Where the services listen. */
  readonly host: string;
  readonly isolation: Isolation;
  readonly logger: Logger;
  /** Delay before restarting a crashed service; doubles per crash in a row, up to 30 s. @default 500 */
  readonly restartDelayMs?: number;
  /**
   * What the services run: `javascript`, the sources transpiled at start into `<DATA_DIR>/.compiled`
   * (services/compile.ts), or `typescript`, the sources through tsx in every worker. @default 'javascript'
   */
  readonly code?: 'javascript' | 'typescript';
}

export interface SupervisedService {
  readonly name: string;
  readonly ports: Record<string, number>;
  /** Times the supervisor restarted it after a crash. */
  readonly restarts: number;
  /** Its process id, when it runs as a process of its own. */
  readonly pid?: number;
  /** The operating system's id of the thread running its event loop (Linux), for per-service CPU figures. */
  readonly thread?: number;
}

/** What `<DATA_DIR>/services.json` holds while the platform runs, rewritten after every restart. */
export interface RunningServices {
  /** The platform's process. */
  readonly pid: number;
  readonly services: readonly SupervisedService[];
}

/** The file describing the running services (process, thread, ports) for tools such as `npm run bench`. */
export const SERVICES_FILE = 'services.json';

export interface SupervisedPlatform {
  readonly services: readonly SupervisedService[];
  /** The embedded PostgreSQL's data folder, when the platform started one. */
  readonly databaseDir?: string;
  /** Stops every service in the reverse of the start order, each with its ordered shutdown, then the database. */
  stop(): Promise<void>;
}

const WORKER_ENTRY = path.join(__dirname, 'worker.ts');
/**
 * The young generation of each service's heap, capped. V8 grows it up to 16 MiB per semi-space under allocation
 * pressure, per isolate: eight services held ~260 MiB more after the order bench (`bench/orders.ts`, PSS 1320–1380
 * against 1056–1067 MiB at 4 or 8 MiB, with throughput within the runs' noise, 155–202 orders/s either way).
 */
const YOUNG_GENERATION_MB = 8;
const STOP_TIMEOUT_MS = 15_000;

/**
 * The nice value of the stream jobs locally (analytics: one-minute windows of orders, Flink on Dataproc when
 * deployed, where it runs on compute of its own). On a laptop's two cores it takes what the request path leaves, in
 * larger batches. The notification Lambda keeps the request path's priority: a customer waits for its email, and its
 * commit -> notification p99 has a target (< 500 ms) that nice 10 put at risk (539 ms in one 15 s order bench).
 * 15 s order benches (`bench/orders.ts`, settle 0, two pairs interleaved): 225 and 231 orders/s against 217 and 229
 * with every service at 0, commit -> notification p99 272-293 ms against 270-285 (decision 0010).
 */
export const BACKGROUND_NICENESS = 10;

/** The nice value a service's thread runs at locally (Linux; elsewhere every service runs at the same priority). */
export const localNiceness = (service: Pick<ServiceSpec, 'workload'>): number =>
  service.workload === Workload.STREAM_JOB ? BACKGROUND_NICENESS : 0;

/** One running service, whatever carries it. */
interface Carrier {
  readonly pid?: number;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onExit(listener: (code: number | null, error?: Error) => void): void;
  kill(): void;
}

const defined = (variables: Variables): Record<string, string> =>
  Object.fromEntries(Object.entries(variables).filter((e): e is [string, string] => e[1] !== undefined));

/** `compiled`: the root of the transpiled mirror the carrier runs from; else the sources through tsx. */
function carry(isolation: Isolation, start: WorkerStart, compiled?: string): Carrier {
  const entry = compiled ? path.join(compiled, 'services', 'worker.js') : WORKER_ENTRY;
  if (isolation === 'worker') {
    const code = compiled
      ? `require(${JSON.stringify(entry)});`
      : `require('tsx/cjs'); require(${JSON.stringify(entry)});`;
    const worker = new Worker(code, {
      eval: true,
      workerData: start,
      env: defined({ ...process.env, ...start.env }),
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    let error: Error | undefined;
    worker.on('error', (e) => {
      error = e;
    });
    return {
      send: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.on('message', listener),
      onExit: (listener) => worker.on('exit', (code) => listener(code, error)),
      kill: () => void worker.terminate(),
    };
  }
  const child: ChildProcess = fork(entry, [], {
    // A semi-space of 3 MiB: the young generation of a worker's YOUNG_GENERATION_MB (two semi-spaces and one more).
    execArgv: [`--max-semi-space-size=${Math.ceil(YOUNG_GENERATION_MB / 3)}`, ...(compiled ? [] : ['--import', 'tsx'])],
    env: defined({ ...process.env, ...start.env, SHOPFRONT_WORKER: JSON.stringify(start) }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    pid: child.pid,
    send: (message) => child.send(message),
    onMessage: (listener) => child.on('message', (m) => listener(m as FromWorker)),
    onExit: (listener) => child.on('exit', (code) => listener(code)),
    kill: () => void child.kill('SIGKILL'),
  };
}

class Supervised implements SupervisedService {
  ports: Record<string, number> = {};
  restarts = 0;
  thread?: number;
  private carrier?: Carrier;

  get pid(): number | undefined {
    return this.carrier?.pid;
  }
  private stopping = false;
  private crashesInARow = 0;

  constructor(
    readonly name: string,
    private readonly start: WorkerStart,
    private readonly options: SupervisorOptions,
    private readonly compiled?: string,
    private readonly onRestarted: () => void = () => {},
  ) {}

  /** Starts it and resolves with its ports; rejects when it fails or exits before it is up. */
  launch(): Promise<void> {
    const carrier = carry(this.options.isolation, this.start, this.compiled);
    this.carrier = carrier;
    const startedAt = Date.now();
    return new Promise((resolve, reject) => {
      let up = false;
      carrier.onMessage((message) => {
        if (message.type === 'started') {
          up = true;
          this.ports = message.ports;
          this.thread = message.thread;
          if (message.priority && this.restarts === 0) {
            this.options.logger.info(
              { service: this.name, reason: message.priority },
              `${this.name} runs at the priority of the other services`,
            );
          }
          resolve();
        } else if (message.type === 'failed' && !up) {
          carrier.kill();
          reject(new Error(`${this.name} failed to start: ${message.message}`));
        }
      });
      carrier.onExit((code, error) => {
        if (!up) {
          reject(new Error(`${this.name} exited during start (code ${code})${error ? `: ${error.message}` : ''}`));
          return;
        }
        if (this.stopping || this.carrier !== carrier) return;
        // Crashes far apart do not add up: the delay grows only for a service that keeps crashing.
        this.crashesInARow = Date.now() - startedAt > 60_000 ? 1 : this.crashesInARow + 1;
        const delay = Math.min(30_000, (this.options.restartDelayMs ?? 500) * 2 ** (this.crashesInARow - 1));
        this.options.logger.error(
          { service: this.name, code, err: error, restartInMs: delay, restarts: this.restarts },
          `${this.name} stopped unexpectedly; restarting it`,
        );
        setTimeout(() => {
          if (this.stopping) return;
          this.restarts += 1;
          this.launch().then(
            () => {
              this.options.logger.info({ service: this.name, ports: this.ports }, `${this.name} restarted`);
              this.onRestarted();
            },
            (restartError: unknown) => this.options.logger.error({ err: restartError }, `${this.name} did not restart`),
          );
        }, delay).unref();
      });
    });
  }

  /** Runs its ordered shutdown; kills it when that takes longer than the deadline. */
  stop(): Promise<void> {
    this.stopping = true;
    const carrier = this.carrier;
    if (!carrier) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.error({ service: this.name }, `${this.name} did not stop in time; killed`);
        carrier.kill();
        resolve();
      }, STOP_TIMEOUT_MS);
      carrier.onMessage((message) => {
        if (message.type !== 'stopped') return;
        if (message.error)
          this.options.logger.error({ service: this.name, err: message.error }, 'stopped with an error');
        clearTimeout(timer);
        carrier.kill();
        resolve();
      });
      carrier.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      carrier.send({ type: 'stop' });
    });
  }
}

/**
 * The local platform with every service on its own event loop, as in Kubernetes: starts (unless DATABASE_URL is set)
 * one embedded PostgreSQL, then each service of the catalog, peers before callers, wired by the catalog's ports
 * shifted by the offset. Their event log lives in that PostgreSQL (or Kafka with KAFKA_BROKERS). A service that
 * crashes is restarted with a growing delay and the supervisor says so.
 */
export async function superviseLocalPlatform(options: SupervisorOptions): Promise<SupervisedPlatform> {
  const dataDir = options.env.DATA_DIR ?? '.data';
  let databaseUrl = options.env.DATABASE_URL;
  let stopDatabase: () => Promise<void> = async () => {};
  let databaseDir: string | undefined;
  // Transpiling the services and starting the database overlap: one is esbuild's process, the other PostgreSQL's.
  const compiling =
    (options.code ?? 'javascript') === 'javascript' ? compileForThisProcess() : Promise.resolve(undefined);
  compiling.catch(() => undefined);
  if (!databaseUrl) {
    databaseDir = path.join(dataDir, 'postgres');
    const local = await startLocalDatabase(dataDir, options.logger);
    stopDatabase = () => local.stop();
    databaseUrl = local.url;
  }
  let compiled: string | undefined;
  let removeCompiled = () => {};
  try {
    const made = await compiling;
    compiled = made?.root;
    if (made) removeCompiled = made.remove;
  } catch (error) {
    await stopDatabase();
    throw new Error(`the services could not be transpiled: ${error instanceof Error ? error.message : String(error)}`);
  }
  const dialHost = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const addressing = localAddressing(options.portOffset, dialHost);
  const started: Supervised[] = [];
  const servicesFile = path.join(dataDir, SERVICES_FILE);
  const describe = () => {
    const running: RunningServices = {
      pid: process.pid,
      services: started.map(({ name, ports, restarts, pid, thread }) => ({ name, ports, restarts, pid, thread })),
    };
    try {
      writeFileSync(`${servicesFile}.tmp`, `${JSON.stringify(running, null, 2)}\n`);
      renameSync(`${servicesFile}.tmp`, servicesFile);
    } catch (error) {
      options.logger.warn({ err: error, file: servicesFile }, 'could not write the running services');
    }
  };
  const stop = async () => {
    rmSync(servicesFile, { force: true });
    for (const service of [...started].reverse()) await service.stop();
    removeCompiled();
    await stopDatabase();
  };
  // Each service starts once the peers it calls are up, so those without peers start together (both cores busy)
  // and a caller never starts before its peers. `started` keeps the start order, for stopping in reverse.
  const launches = new Map<string, Promise<Supervised>>();
  const launch = (name: string): Promise<Supervised> => {
    let launched = launches.get(name);
    if (!launched) {
      launched = (async () => {
        await Promise.all(shop.service(name).calls.map(launch));
        const env = {
          ...options.env,
          DATABASE_URL: databaseUrl,
          ...serviceWiring(shop, name, addressing),
          ...options.settings?.[name],
        };
        const start = { name, env, host: options.host, niceness: localNiceness(shop.service(name)) };
        const service = new Supervised(name, start, options, compiled, describe);
        await service.launch();
        started.push(service);
        return service;
      })();
      launches.set(name, launched);
    }
    return launched;
  };
  const outcomes = await Promise.allSettled(START_ORDER.map(launch));
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await stop().catch(() => undefined);
    throw failed.reason;
  }
  describe();
  return { services: started, databaseDir, stop };
}
