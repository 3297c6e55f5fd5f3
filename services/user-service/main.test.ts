import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { TokenVerifier } from '../../lib/runtime/auth';
import { ConfigError } from '../../lib/runtime/config';
import type { StartedService } from '../../lib/runtime/host';
import { capturedLogger } from '../../lib/runtime/test-support/logs';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { start } from './main';
import { grpcErrorOf, healthClient, TEST_JWT_SECRET, testEnv, userServiceClient } from './test-support/clients';

const REPO = path.resolve(__dirname, '..', '..');

// One database on the test run's PostgreSQL for the file; every start below shares it (schema `users`), as the
// local platform's services share theirs.
let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function withService<T>(
  env: Record<string, string | undefined>,
  work: (service: StartedService, users: ReturnType<typeof userServiceClient>) => Promise<T>,
  logger = capturedLogger('user-service').logger,
): Promise<T> {
  const service = await start({
    env: testEnv({ DATABASE_URL: database.url, ...env }),
    logger,
    host: '127.0.0.1',
  });
  const users = userServiceClient(service.ports.grpc ?? 0);
  try {
    return await work(service, users);
  } finally {
    users.close();
    await service.stop();
  }
}

describe('bootstrap admin', () => {
  const ADMIN = 'root@shop.example';

  it('is created with role admin on the first start and never changed by a later start', async () => {
    const first = capturedLogger('user-service');
    const adminId = await withService(
      { BOOTSTRAP_ADMIN_EMAIL: ADMIN, BOOTSTRAP_ADMIN_PASSWORD: 'First-Admin-Pass-1' },
      async (_service, users) => {
        const session = await users.authenticate({ email: ADMIN, password: 'First-Admin-Pass-1' });
        const claims = await new TokenVerifier({ secret: TEST_JWT_SECRET }).verify(session.accessToken);
        expect(claims).toMatchObject({ email: ADMIN, role: 'admin' });
        return claims.sub;
      },
      first.logger,
    );
    expect(first.lines).toContainEqual(expect.objectContaining({ msg: 'bootstrap admin created', userId: adminId }));

    const second = capturedLogger('user-service');
    await withService(
      { BOOTSTRAP_ADMIN_EMAIL: ADMIN.toUpperCase(), BOOTSTRAP_ADMIN_PASSWORD: 'Second-Admin-Pass-2' },
      async (_service, users) => {
        const session = await users.authenticate({ email: ADMIN, password: 'First-Admin-Pass-1' });
        expect(session.user?.id).toBe(adminId);
        expect(await grpcErrorOf(users.authenticate({ email: ADMIN, password: 'Second-Admin-Pass-2' }))).toMatchObject({
          code: status.UNAUTHENTICATED,
        });
      },
      second.logger,
    );
    expect(second.lines).toContainEqual(
      expect.objectContaining({ msg: 'bootstrap admin already exists; left unchanged', userId: adminId }),
    );
  });

  it('does not turn an existing customer into an admin', async () => {
    const email = 'customer-first@shop.example';
    await withService({}, async (_service, users) => {
      await users.register({ email, password: 'Kestrel2Harbor', name: 'Early Bird' });
    });
    await withService(
      { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: 'Admin-Pass-2025' },
      async (_s, users) => {
        const session = await users.authenticate({ email, password: 'Kestrel2Harbor' });
        const claims = await new TokenVerifier({ secret: TEST_JWT_SECRET }).verify(session.accessToken);
        expect(claims.role).toBe('customer');
      },
    );
  });
});

describe('password hashing under a burst of sign-ups', () => {
  it('hashes PASSWORD_HASH_CONCURRENCY at once, queues the next, and refuses the rest at once as UNAVAILABLE', async () => {
    await withService(
      {
        PASSWORD_HASH_CONCURRENCY: '1',
        PASSWORD_HASH_QUEUE: '1',
        // A queued hash waits as long as it takes on a busy machine: only a full queue refuses here.
        PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000',
        PASSWORD_HASH_MEMORY_KIB: '65536',
      },
      async (_service, users) => {
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            users.register({ email: `burst-${i}@shop.example`, password: 'Kestrel2Harbor', name: `Burst ${i}` }).then(
              () => 'registered',
              (error: { code?: number }) => (error.code === status.UNAVAILABLE ? 'unavailable' : `other ${error.code}`),
            ),
          ),
        );
        // At most one hashing and one waiting at a time: the rest are refused without hashing; none fails otherwise.
        expect(outcomes.filter((o) => o === 'registered').length).toBeGreaterThanOrEqual(2);
        expect(outcomes.filter((o) => o === 'unavailable').length).toBeGreaterThanOrEqual(1);
        expect(outcomes.filter((o) => o !== 'registered' && o !== 'unavailable')).toEqual([]);
        // Once the burst is over, sign-ups are served again.
        await users.register({ email: 'after-burst@shop.example', password: 'Kestrel2Harbor', name: 'After' });
      },
    );
  });
});

describe('logs', () => {
  it('carry ids and outcomes but never a password, a token or the signing secret', async () => {
    const { logger, lines } = capturedLogger('user-service');
    const passwords = ['Bootstrap-Secret-Pass-77', 'Customer-Secret-Pass-88', 'Wrong-Secret-Pass-99', 'tinypw'];
    let token = '';
    await withService(
      { BOOTSTRAP_ADMIN_EMAIL: 'logs-admin@shop.example', BOOTSTRAP_ADMIN_PASSWORD: passwords[0] },
      async (_service, users) => {
        const email = 'logs-customer@shop.example';
        await users.register({ email, password: passwords[1] ?? '', name: 'Logged' });
        token = (await users.authenticate({ email, password: passwords[1] ?? '' })).accessToken;
        await grpcErrorOf(users.authenticate({ email, password: passwords[2] ?? '' }));
        await grpcErrorOf(users.register({ email: 'other@shop.example', password: passwords[3] ?? '', name: 'X' }));
      },
      logger,
    );
    const text = JSON.stringify(lines);
    // The capture works: the outcomes are there.
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'bootstrap admin created',
        'account registered',
        'authenticated',
        'authentication failed',
      ]),
    );
    for (const secret of [...passwords, token, TEST_JWT_SECRET]) expect(text).not.toContain(secret);
    expect(text).not.toContain('$scrypt$');
  });
});

describe('configuration', () => {
  it.each([
    ['missing', undefined],
    ['too short', 'only-twenty-chars-ok'],
  ])('refuses to start when JWT_SECRET is %s, naming it and never printing it', async (_what, secret) => {
    const error = await start({ env: testEnv({ JWT_SECRET: secret, DATABASE_URL: database.url }) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['JWT_SECRET']);
    if (secret) expect((error as ConfigError).message).not.toContain(secret);
  });
});

describe('stop', () => {
  it('drains, closes its servers and is idempotent', async () => {
    const service = await start({ env: testEnv({ DATABASE_URL: database.url }), host: '127.0.0.1' });
    const users = userServiceClient(service.ports.grpc ?? 0);
    try {
      await users.register({ email: 'before-stop@shop.example', password: 'Kestrel2Harbor', name: 'B' });
      await Promise.all([service.stop(), service.stop()]);
      expect((await service.health.report()).ready).toBe(false);
      expect((await grpcErrorOf(users.getUser({ id: '9b2f4c1e-3d5a-4f6b-8c7d-0e1f2a3b4c5d' }))).code).toBe(
        status.UNAVAILABLE,
      );
      await expect(fetch(`http://127.0.0.1:${service.ports.metrics}/livez`)).rejects.toThrow();
    } finally {
      users.close();
    }
  });
});

describe('run as a process', () => {
  const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
  const main = path.join(__dirname, 'main.ts');

  function run(env: Record<string, string | undefined>) {
    const child = spawn(tsx, [main], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let stderr = '';
    let buffered = '';
    const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts.filter(Boolean)) {
        const line = JSON.parse(part) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.match(line))) waiter.resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // 'close', not 'exit': the process may be gone before its last output lines have been read.
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lineWhere = (match: (line: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const found = lines.find(match);
        if (found) return resolve(found);
        waiters.push({ match, resolve: () => resolve(lines.find(match) ?? {}) });
        void exited.then((code) => reject(new Error(`exited ${code} first; stderr: ${stderr}`)));
      });
    return { child: child as ChildProcess, lines, exited, lineWhere };
  }

  it('prints a configuration error through the logger, naming JWT_SECRET, and exits 1', async () => {
    const proc = run({ JWT_SECRET: 'too-short-to-sign' });
    expect(await proc.exited).toBe(1);
    const fatal = proc.lines.find((l) => l.level === 'fatal');
    expect(fatal).toMatchObject({ service: 'user-service', msg: expect.stringContaining('JWT_SECRET') });
    expect(JSON.stringify(proc.lines)).not.toContain('too-short-to-sign');
  });

  /** Ends a PostgreSQL a killed process left running on `dataDir` (PostgreSQL writes its pid in postmaster.pid). */
  function stopLeftoverPostgres(dataDir: string): void {
    const pidFile = path.join(dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // Already gone.
    }
  }

  it('serves until SIGTERM, then drains, closes servers and database, stops its own PostgreSQL, and exits 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'user-service-'));
    // Run as root, the embedded server runs as the `postgres` user, which must be able to reach DATA_DIR.
    chmodSync(dataDir, 0o755);
    const postgresDir = path.join(dataDir, 'postgres');
    // Without DATABASE_URL the process starts a PostgreSQL of its own under DATA_DIR (it runs outside Jest here).
    const proc = run({ ...testEnv({ LOG_LEVEL: 'info' }), DATA_DIR: dataDir });
    try {
      const started = await proc.lineWhere((l) => l.msg === 'started');
      expect(existsSync(path.join(postgresDir, 'PG_VERSION'))).toBe(true);
      expect(existsSync(path.join(postgresDir, 'postmaster.pid'))).toBe(true);
      const ports = started.ports as { grpc: number; metrics: number };
      const health = healthClient(ports.grpc);
      try {
        expect(await health.status('')).toBe('SERVING');
      } finally {
        health.close();
      }
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      const steps = proc.lines.filter((l) => l.msg === 'shutdown step done').map((l) => l.step);
      expect(steps).toEqual([
        'drain',
        'close servers',
        'stop password hashing threads',
        'close database',
        'stop embedded postgres',
        'flush traces',
      ]);
      expect(proc.lines.at(-1)).toMatchObject({ msg: 'stopped', code: 0 });
      // The server is gone too: PostgreSQL removes postmaster.pid when it shuts down cleanly.
      expect(existsSync(path.join(postgresDir, 'postmaster.pid'))).toBe(false);
    } finally {
      proc.child.kill('SIGKILL');
      stopLeftoverPostgres(postgresDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('readiness', () => {
  it('tells the truth: /readyz and grpc.health.v1 turn NOT_SERVING when the database stops answering', async () => {
    // A database of its own, dropped under the running service (its connections are ended, new ones refused).
    const doomed = await freshDatabase();
    let dropped = false;
    const service = await start({ env: testEnv({ DATABASE_URL: doomed.url }), host: '127.0.0.1' });
    const health = healthClient(service.ports.grpc ?? 0);
    try {
      expect(await health.status('')).toBe('SERVING');
      await doomed.drop();
      dropped = true;
      // The kit caches a probe for a second; ask until a fresh probe has run (no assertion on how long).
      const readyz = () => fetch(`http://127.0.0.1:${service.ports.metrics}/readyz`);
      let ready = await readyz();
      while (ready.status === 200) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ready = await readyz();
      }
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { postgres: { ok: false } } });
      expect(await health.status('')).toBe('NOT_SERVING');
      expect(await health.status('shopfront.user.v1.UserService')).toBe('NOT_SERVING');
    } finally {
      health.close();
      await service.stop().catch(() => undefined);
      if (!dropped) await doomed.drop();
    }
  });
});
