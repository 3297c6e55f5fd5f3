/**
 * The platform as separate processes, one per service, on a real PostgreSQL and Kafka: what the fault run starts,
 * kills and starts again. Each process appends its log to `<dir>/logs/<name>.log`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { shop } from '../../lib/platform';

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
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, this.script)], {
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

/** The seven processes of the platform, in start order, wired by the catalog's ports shifted by the offset. */
export function platformProcesses(settings: PlatformSettings): Record<string, ServiceProcess> {
  const port = (service: string, name: string): number => shop.port(service, name) + settings.portOffset;
  const logs = path.join(settings.dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const dataDir = (name: string) => {
    const dir = path.join(settings.dir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const common = {
    DATABASE_URL: settings.databaseUrl,
    JWT_SECRET: settings.jwtSecret,
    LOG_LEVEL: 'info',
  };
  const service = (name: string, script: string, env: Record<string, string>, readyUrl?: string) =>
    new ServiceProcess(
      name,
      script,
      { ...common, DATA_DIR: dataDir(name), ...env },
      path.join(logs, `${name}.log`),
      readyUrl,
    );
  const addr = (name: string, portName: string) => `127.0.0.1:${port(name, portName)}`;
  const gatewayUrl = `http://127.0.0.1:${port('api-gateway', 'http')}`;
  return {
    'user-service': service('user-service', 'services/user-service/main.ts', {
      GRPC_PORT: String(port('user-service', 'grpc')),
      METRICS_PORT: String(port('user-service', 'metrics')),
      BOOTSTRAP_ADMIN_EMAIL: settings.admin.email,
      BOOTSTRAP_ADMIN_PASSWORD: settings.admin.password,
    }),
    'product-service': service('product-service', 'services/product-service/main.ts', {
      HTTP_PORT: String(port('product-service', 'http')),
      GRPC_PORT: String(port('product-service', 'grpc')),
    }),
    'payment-service': service('payment-service', 'services/payment-service/main.ts', {
      GRPC_PORT: String(port('payment-service', 'grpc')),
      METRICS_PORT: String(port('payment-service', 'metrics')),
    }),
    'order-service': service('order-service', 'services/order-service/main.ts', {
      GRPC_PORT: String(port('order-service', 'grpc')),
      HTTP_PORT: String(port('order-service', 'http')),
      PRODUCT_SERVICE_ADDR: addr('product-service', 'grpc'),
      PAYMENT_SERVICE_ADDR: addr('payment-service', 'grpc'),
      KAFKA_BROKERS: settings.brokers,
    }),
    'notification-lambda': service('notification-lambda', 'services/notification-lambda/local.ts', {
      KAFKA_BROKERS: settings.brokers,
    }),
    analytics: service('analytics', 'services/analytics/main.ts', {
      KAFKA_BROKERS: settings.brokers,
      ...settings.analyticsEnv,
    }),
    'api-gateway': service(
      'api-gateway',
      'services/api-gateway/main.ts',
      {
        HTTP_PORT: String(port('api-gateway', 'http')),
        USER_SERVICE_ADDR: addr('user-service', 'grpc'),
        PRODUCT_SERVICE_ADDR: addr('product-service', 'grpc'),
        ORDER_SERVICE_ADDR: addr('order-service', 'grpc'),
      },
      `${gatewayUrl}/health`,
    ),
  };
}

export function gatewayUrlOf(portOffset: number): string {
  return `http://127.0.0.1:${shop.port('api-gateway', 'http') + portOffset}`;
}
