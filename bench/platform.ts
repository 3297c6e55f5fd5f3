import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import pg from 'pg';

const ROOT = path.join(__dirname, '..');
export const GATEWAY = 'http://127.0.0.1:8080';

export interface ChildPlatform {
  readonly child: ChildProcess;
  readonly readyMs: number;
  stop(): Promise<void>;
}

/** Starts the platform as `npm start` does (`bin/start.sh`), as its own process (so its memory can be read), and waits for the gateway. */
export async function startPlatformProcess(
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): Promise<ChildPlatform> {
  const started = Date.now();
  // BENCH_CPU_PROFILE_DIR: the platform writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE_DIR
    ? ` --cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`
    : '';
  // npm start's own script, with this Node first on PATH; `exec` there makes the child the platform's process.
  const child = spawn('bash', [path.join(ROOT, 'bin', 'start.sh')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''}${profile}`,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`the platform was not ready within ${timeoutMs} ms`);
    try {
      if ((await fetch(`${GATEWAY}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    readyMs: Date.now() - started,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process from /proc: the peak so far (VmHWM) or now (VmRSS), in MiB. */
export function rssMiB(pid: number, which: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${which}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** Every process under `root` (its children, theirs, ...), read from /proc. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, parent] of parentOf) if (parent === found[i]) found.push(pid);
  }
  return found;
}

const pssKiB = (pid: number): number => {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
};

/**
 * Proportional set size of the whole local platform in MiB: the platform's process tree plus the embedded
 * PostgreSQL's (its own process group, found through `postmaster.pid` in the data folder). PSS shares the pages
 * processes have in common among them, so unlike summed RSS it does not count shared memory twice.
 */
export function platformPssMiB(
  rootPid: number,
  dataDir: string,
): { total: number; postgres: number; processes: number } {
  const postmasterFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  const postmaster = existsSync(postmasterFile) ? Number(readFileSync(postmasterFile, 'utf8').split('\n')[0]) : 0;
  const postgres = postmaster ? descendants(postmaster) : [];
  // The embedded server is a child of the platform's process: its processes are counted once, as PostgreSQL's.
  const inPostgres = new Set(postgres);
  const node = descendants(rootPid).filter((pid) => !inPostgres.has(pid));
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + pssKiB(pid), 0);
  return {
    total: Math.round((sum(node) + sum(postgres)) / 1024),
    postgres: Math.round(sum(postgres) / 1024),
    processes: node.length + postgres.length,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The URL of the local platform's embedded PostgreSQL (its port from `postmaster.pid`, its password file). */
export function localDatabaseUrl(dataDir: string): string {
  const folder = path.join(dataDir, 'postgres');
  const port = readFileSync(path.join(folder, 'postmaster.pid'), 'utf8').split('\n')[3]?.trim();
  const password = readFileSync(`${folder}.password`, 'utf8').trim();
  return `postgres://shopfront:${encodeURIComponent(password)}@127.0.0.1:${port}/shopfront`;
}

/**
 * The work a database did between `start()` and `read()`: committed transactions and executed statements
 * (pg_stat_statements, loaded by the embedded server and scripts/with-postgres.sh), for a per-order figure.
 */
export async function databaseWork(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const commits = async () =>
    Number(
      (
        await client.query<{ n: string }>(
          'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]?.n,
    );
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await client.query('SELECT pg_stat_statements_reset()');
  await client.query('SELECT pg_stat_clear_snapshot()');
  const before = await commits();
  return {
    /** Transactions committed since, and statements executed (explicit BEGIN/COMMIT not counted as statements). */
    read: async () => {
      await client.query('SELECT pg_stat_clear_snapshot()');
      const statements = await client.query<{ n: string }>(
        `SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK') AND query NOT LIKE '%pg_stat_%'`,
      );
      const top = await client.query<{ query: string; calls: string; ms: string }>(
        `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS ms FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK') AND query NOT LIKE '%pg_stat_%'
         ORDER BY calls DESC LIMIT 14`,
      );
      const connections = await client.query<{ name: string; n: string }>(
        `SELECT application_name AS name, count(*) AS n FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 2 DESC, 1`,
      );
      const result = {
        /** Client connections open at the end, this one not counted. */
        connections: connections.rows.reduce((sum, row) => sum + Number(row.n), 0),
        /** The same by `application_name` (each service's pool and event log name themselves). */
        connectionsBy: connections.rows.map((row) => `${row.name || '(unnamed)'} ${row.n}`).join(', '),
        commits: (await commits()) - before,
        statements: Number(statements.rows[0]?.n),
        /** The most frequent statements: text (whitespace collapsed), calls and total execution time in ms. */
        top: top.rows.map((row) => ({ query: row.query, calls: Number(row.calls), ms: Number(row.ms) })),
      };
      await client.end();
      return result;
    },
  };
}

/** CPU seconds a thread or process has used (user + system), from its /proc stat line; 0 when it is gone. */
function cpuSeconds(statFile: string): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

/** The name a thread gave itself (`/proc/<pid>/task/<tid>/comm`). */
function threadName(pid: number, tid: number): string {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * CPU seconds used so far, by who used them: each service's event loop (its thread, from `<DATA_DIR>/services.json`),
 * the platform process's other threads by kind (V8's helper threads: garbage collection and compilation; libuv's
 * thread pool: file system and crypto; the supervisor), and PostgreSQL's server processes by the `application_name`
 * of the connection they serve (the services' pools and event logs name themselves) plus its background processes.
 * Read from /proc (Linux); the difference of two readings is the CPU a run cost, unlike a sampling profile, which
 * also counts the time a thread waits for a core.
 */
export async function cpuByUser(rootPid: number, dataDir: string, databaseUrl: string): Promise<Map<string, number>> {
  const used = new Map<string, number>();
  const add = (who: string, seconds: number) => used.set(who, (used.get(who) ?? 0) + seconds);
  const running = JSON.parse(readFileSync(path.join(dataDir, 'services.json'), 'utf8')) as {
    services: { name: string; pid?: number; thread?: number }[];
  };
  const serviceThreads = new Map<number, string>();
  for (const service of running.services) {
    if (service.pid) add(service.name, cpuSeconds(`/proc/${service.pid}/stat`));
    else if (service.thread) serviceThreads.set(service.thread, service.name);
  }
  for (const entry of readdirSync(`/proc/${rootPid}/task`)) {
    const tid = Number(entry);
    const seconds = cpuSeconds(`/proc/${rootPid}/task/${tid}/stat`);
    const service = serviceThreads.get(tid);
    if (service) {
      add(service, seconds);
      continue;
    }
    const name = threadName(rootPid, tid);
    add(
      name === 'V8Worker'
        ? 'V8 helper threads (GC, compiling)'
        : name === 'libuv-worker'
          ? 'libuv thread pool (files, crypto)'
          : 'supervisor and other threads',
      seconds,
    );
  }
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench' });
  await client.connect();
  try {
    const backends = await client.query<{ pid: number; name: string; type: string }>(
      'SELECT pid, application_name AS name, backend_type AS type FROM pg_stat_activity',
    );
    for (const backend of backends.rows) {
      const who =
        backend.type === 'client backend'
          ? `PostgreSQL for ${backend.name || 'unnamed connections'}`
          : 'PostgreSQL background processes';
      add(who, cpuSeconds(`/proc/${backend.pid}/stat`));
    }
  } finally {
    await client.end();
  }
  return used;
}

/** `after - before` per user, largest first; users that used less than 10 ms are left out. */
export function cpuDifference(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): [string, number][] {
  return [...after]
    .map(([who, seconds]): [string, number] => [who, seconds - (before.get(who) ?? 0)])
    .filter(([, seconds]) => seconds >= 0.01)
    .sort((a, b) => b[1] - a[1]);
}
