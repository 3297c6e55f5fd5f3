import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Workload } from '../lib/platform';
import { createLogger } from '../lib/runtime';
import { capturedLogger } from '../lib/runtime/test-support/logs';
import { nicenessAt } from '../lib/runtime/test-support/niceness';
import { freshDatabase, type TestDatabase } from '../lib/runtime/test-support/postgres';
import {
  BACKGROUND_NICENESS,
  localNiceness,
  type RunningServices,
  SERVICES_FILE,
  superviseLocalPlatform,
} from './supervisor';

const JWT_SECRET = 'supervisor-test-signing-secret-long-enough-0123456789';
// Ports above Linux's ephemeral range for gRPC (5005x + offset), apart from the other suites' platforms.
const OFFSET = 14_600;
const gateway = `http://127.0.0.1:${8080 + OFFSET}`;

async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the local platform supervisor', () => {
  let database: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'shopfront-supervisor-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const running = () => JSON.parse(readFileSync(path.join(dataDir, SERVICES_FILE), 'utf8')) as RunningServices;

  const env = () => ({
    DATABASE_URL: database.url,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    PASSWORD_HASH_MEMORY_KIB: '4096',
  });

  it('runs every service on a worker thread of its own, serves through the gateway, and stops them all', async () => {
    const platform = await superviseLocalPlatform({
      env: env(),
      portOffset: OFFSET,
      host: '127.0.0.1',
      isolation: 'worker',
      logger: createLogger({ service: 'supervisor-test', level: 'silent' }),
    });
    try {
      expect(platform.services.map((s) => s.name)).toEqual(expect.arrayContaining(['api-gateway', 'order-service']));
      expect(platform.services.find((s) => s.name === 'api-gateway')?.ports).toEqual({ http: 8080 + OFFSET });
      await until(async () => (await fetch(`${gateway}/health`)).ok);
      const page = (await (await fetch(`${gateway}/api/v1/products?limit=1`)).json()) as { items: unknown[] };
      expect(Array.isArray(page.items)).toBe(true);
      // The running services are described for tools: each on its own thread of this process.
      const described = running();
      expect(described.pid).toBe(process.pid);
      expect(described.services.map((s) => s.name).sort()).toEqual(platform.services.map((s) => s.name).sort());
      const threads = described.services.map((s) => s.thread);
      expect(new Set(threads).size).toBe(threads.length);
      for (const thread of threads) {
        expect(thread).not.toBe(process.pid);
        expect(existsSync(`/proc/${process.pid}/task/${thread}`)).toBe(true);
      }
      // The stream job runs at a lower priority; the request path and the notifications at this process's.
      const niceness = Object.fromEntries(
        described.services.map((s) => [s.name, nicenessAt(`/proc/self/task/${s.thread}`)]),
      );
      expect(niceness).toEqual({
        'api-gateway': getPriority(),
        storefront: getPriority(),
        'user-service': getPriority(),
        'product-service': getPriority(),
        'order-service': getPriority(),
        'payment-service': getPriority(),
        'notification-lambda': getPriority(),
        analytics: Math.max(getPriority(), BACKGROUND_NICENESS),
      });
    } finally {
      await platform.stop();
    }
    await expect(fetch(`${gateway}/health`)).rejects.toThrow();
    expect(existsSync(path.join(dataDir, SERVICES_FILE))).toBe(false);
  });

  it('restarts a service process that was killed, says so, and the platform answers again', async () => {
    const { logger, lines } = capturedLogger('supervisor-test');
    const platform = await superviseLocalPlatform({
      env: env(),
      portOffset: OFFSET,
      host: '127.0.0.1',
      isolation: 'process',
      logger,
      restartDelayMs: 100,
    });
    try {
      const product = platform.services.find((s) => s.name === 'product-service');
      const pid = product?.pid;
      expect(pid).toEqual(expect.any(Number));
      process.kill(pid as number, 'SIGKILL');
      await until(async () => (product?.restarts ?? 0) === 1 && product?.pid !== pid);
      await until(async () => (await fetch(`${gateway}/api/v1/products?limit=1`)).ok);
      // The description follows the restart: the new process, one restart.
      await until(async () => running().services.find((s) => s.name === 'product-service')?.pid === product?.pid);
      expect(running().services.find((s) => s.name === 'product-service')).toEqual(
        expect.objectContaining({ restarts: 1, thread: product?.pid }),
      );
      // The stream job in a process of its own runs at the lower priority too.
      const analytics = platform.services.find((s) => s.name === 'analytics')?.pid;
      expect(nicenessAt(`/proc/${analytics}`)).toBe(Math.max(getPriority(), BACKGROUND_NICENESS));
      expect(nicenessAt(`/proc/${product?.pid}`)).toBe(getPriority());
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ msg: 'product-service stopped unexpectedly; restarting it' }),
        ]),
      );
    } finally {
      await platform.stop();
    }
  });
});

describe('localNiceness', () => {
  it('lowers the stream jobs, and only them', () => {
    expect(localNiceness({ workload: Workload.CONTAINER })).toBe(0);
    expect(localNiceness({ workload: Workload.LAMBDA })).toBe(0);
    expect(localNiceness({ workload: Workload.STREAM_JOB })).toBe(BACKGROUND_NICENESS);
  });
});
