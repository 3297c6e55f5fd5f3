/**
 * The platform as separate processes, one per service, on a real PostgreSQL and Kafka: what the fault run starts,
 * kills and starts again. Each process appends its log to `<dir>/logs/<name>.log`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { localAddressing, serviceWiring, shop } from '../../lib/platform';
import { entryPoint, PLATFORM_SERVICES } from '../../services/platform';

const ROOT = path.join(__dirname, '..', '..');

export interface PlatformSettings {
  readonly dir: string;
  readonly databaseUrl: string;
  readonly brokers: string;
  readonly portOffset: number;
  readonly jwtSecret: string;
  readonly admin: { readonly email: string; readonly password: string };
  /** Extra variables of the analytics process (its watermark bound and idle timeout). */
  readonly analyticsEnv: Record<string, string>;
}

export class ServiceProcess {
  private child?: ChildProcess;
  private exits = 0;
  private killing = false;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    /** How to tell it is serving: an HTTP URL answering 200, or else the log line `"msg":"started"`. */
    private readonly readyUrl?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Processes that ended without being asked to (a crash), not counting kills by the fault run. */
  get unexpectedExits(): number {
    return this.exits;
  }

  async start(timeoutMs = 90_000): Promise<void> {
    const logOffset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    const fd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', this.script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.killing = false;
    child.once('exit', (code, signal) => {
      if (this.child === child && !this.killing) {
        this.exits += 1;
        process.stderr.write(`${this.name} exited unexpectedly (code ${code}, signal ${signal})\n`);
      }
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await this.isReady(logOffset))) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited during start: ${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms: ${this.tail()}`);
      await sleep(200);
    }
  }

  /** Sends `signal` and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    this.killing = true;
    child.kill(signal);
    await gone;
  }

  tail(lines = 15): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  private async isReady(logOffset: number): Promise<boolean> {
    if (this.readyUrl) {
      try {
        return (await fetch(this.readyUrl, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    }
    if (!existsSync(this.logFile)) return false;
    return readFileSync(this.logFile, 'utf8').slice(logOffset).includes('"msg":"started"');
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One process per service of the catalog, in start order, wired by the catalog's ports shifted by the offset. */
export function platformProcesses(settings: PlatformSettings): Record<string, ServiceProcess> {
  const addressing = localAddressing(settings.portOffset);
  const logs = path.join(settings.dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const common = {
    DATABASE_URL: settings.databaseUrl,
    KAFKA_BROKERS: settings.brokers,
    JWT_SECRET: settings.jwtSecret,
    LOG_LEVEL: 'info',
  };
  const extra: Record<string, Record<string, string>> = {
    'user-service': {
      BOOTSTRAP_ADMIN_EMAIL: settings.admin.email,
      BOOTSTRAP_ADMIN_PASSWORD: settings.admin.password,
    },
    analytics: settings.analyticsEnv,
  };
  const processes: Record<string, ServiceProcess> = {};
  for (const { name } of PLATFORM_SERVICES) {
    const dataDir = path.join(settings.dir, name);
    mkdirSync(dataDir, { recursive: true });
    const env = { ...common, DATA_DIR: dataDir, ...serviceWiring(shop, name, addressing), ...extra[name] };
    const readyUrl = name === 'api-gateway' ? `${gatewayUrlOf(settings.portOffset)}/health` : undefined;
    processes[name] = new ServiceProcess(name, entryPoint(name), env, path.join(logs, `${name}.log`), readyUrl);
  }
  return processes;
}

export function gatewayUrlOf(portOffset: number): string {
  return `http://127.0.0.1:${shop.port('api-gateway', 'http') + portOffset}`;
}
