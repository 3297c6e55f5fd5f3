/**
 * Holds the results database's reader login to what the deploy promises, on a real PostgreSQL 17 with SCRAM
 * authentication: migrate.sh (as the cloud runs it, as an owner that is no superuser) makes the API gateway's login
 * from RESULTS_READER_PASSWORD, which then logs in over SCRAM, may read analytics_windows and nothing else, and is a
 * member of analytics_reader only; a second run with a new password rotates it; a run without one leaves the login
 * as it is; and neither the server's statement log (every statement of the owner's sessions) nor pg_stat_statements
 * ever holds the plain password. Also the bad inputs of migrate.sh and of the callback. Prints a table; exits 1 on
 * any failure.
 *
 * Run by scripts/flink-vectors.sh, which provides TEST_DATABASE_URL and PG_SERVER_LOG (scripts/with-postgres.sh)
 * and MIGRATE_LIB (the jars of analytics/flink-job/migrate/pom.xml).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { RESULTS_DATABASE } from '../../../lib/platform';
import { FLINK_JOB_DIR } from '../template';

const MIGRATE = join(FLINK_JOB_DIR, 'migrate.sh');
const MIGRATIONS = join(FLINK_JOB_DIR, 'migrations');
const OWNER = 'analytics_owner';
const WRITER = 'analytics_job';
const READER = RESULTS_DATABASE.readerLogin;
const DATABASE = 'reader_login';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (run scripts/flink-vectors.sh)`);
  return value;
};

const serverUrl = new URL(env('TEST_DATABASE_URL'));
const migrateLib = env('MIGRATE_LIB');
const serverLog = env('PG_SERVER_LOG');
const ownerPassword = randomBytes(18).toString('base64url');
// Letters and digits, as AWS generates it, plus what would break a careless quoting: quotes, a dollar, a space, é.
const firstPassword = `${randomBytes(24).toString('base64url')}'"$ é`;
const secondPassword = randomBytes(36).toString('base64url');

const results: { check: string; ok: boolean; detail?: string }[] = [];
async function check(name: string, body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
    results.push({ check: name, ok: true });
  } catch (error) {
    results.push({ check: name, ok: false, detail: (error as Error).message });
  }
}
function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** migrate.sh with the owner's settings plus `extra`; its exit status and what it printed. */
function migrate(extra: Record<string, string | undefined>, shellPrefix = '') {
  const settings: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    FLYWAY_URL: `jdbc:postgresql://${serverUrl.hostname}:${serverUrl.port}/${DATABASE}`,
    FLYWAY_USER: OWNER,
    FLYWAY_PASSWORD: ownerPassword,
    RESULTS_WRITER_USER: WRITER,
    RESULTS_READER_USER: READER,
    ...extra,
  };
  const run = spawnSync('bash', ['-c', `${shellPrefix}exec bash "$0" "$1" "$2"`, MIGRATE, migrateLib, MIGRATIONS], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function migrated(extra: Record<string, string | undefined>): string {
  const run = migrate(extra);
  expect(run.status === 0, `migrate.sh exited with ${run.status}: ${run.output.split('\n').slice(-15).join('\n')}`);
  return run.output;
}

async function connect(user: string, password: string, database = DATABASE): Promise<Client> {
  const client = new Client({ host: serverUrl.hostname, port: Number(serverUrl.port), user, password, database });
  await client.connect();
  return client;
}

const superuser = (database = DATABASE) =>
  connect(decodeURIComponent(serverUrl.username), decodeURIComponent(serverUrl.password), database);

/** Resolves with the error message of a login that fails, or undefined when it succeeds. */
async function loginError(password: string): Promise<string | undefined> {
  try {
    const client = await connect(READER, password);
    await client.end();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function refused(client: Client, sql: string): Promise<string> {
  try {
    await client.query(sql);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${READER} was allowed: ${sql}`);
}

async function main(): Promise<void> {
  const admin = await superuser('postgres');
  const logStart = readFileSync(serverLog, 'utf8').length;
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    for (const role of [READER, WRITER, OWNER]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    // The owner as Cloud SQL's built-in user is to the schema: it may create roles, it is no superuser. Every
    // statement of its sessions goes to the server's log, where the password must never appear.
    await admin.query(`CREATE ROLE ${OWNER} LOGIN CREATEROLE PASSWORD '${ownerPassword}'`);
    await admin.query(`ALTER ROLE ${OWNER} SET log_statement = 'all'`);
    await admin.query(`CREATE ROLE ${WRITER} LOGIN PASSWORD '${randomBytes(18).toString('base64url')}'`);
    await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${OWNER}`);
  } finally {
    await admin.end();
  }
  const dbAdmin = await superuser();
  await dbAdmin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await dbAdmin.query('SELECT pg_stat_statements_reset()');

  await check('bad input: no RESULTS_READER_USER', () => {
    const run = migrate({ RESULTS_READER_USER: undefined });
    expect(run.status === 2, `exit ${run.status}`);
    expect(/RESULTS_READER_USER must be a PostgreSQL role name/.test(run.output), run.output);
  });
  await check('bad input: a reader name that is no role name', () => {
    const run = migrate({ RESULTS_READER_USER: 'gateway"; DROP TABLE x; --' });
    expect(run.status === 2 && /RESULTS_READER_USER must be a PostgreSQL role name/.test(run.output), run.output);
  });
  await check('bad input: a password that is not UTF-8', () => {
    const run = migrate({}, `RESULTS_READER_PASSWORD="$(printf 'ab\\377cd')" `);
    expect(
      run.status === 2 && /ScramVerifier: the password on standard input is not UTF-8/.test(run.output),
      run.output,
    );
  });

  await check('without a password: migrates, says so, makes no login', async () => {
    const output = migrated({ RESULTS_READER_PASSWORD: undefined });
    expect(output.includes(`no $RESULTS_READER_PASSWORD: the login ${READER} is neither made nor changed`), output);
    const { rowCount } = await dbAdmin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [READER]);
    expect(rowCount === 0, `${READER} exists`);
  });

  await check('with a password: the login is made and logs in over SCRAM', async () => {
    const output = migrated({ RESULTS_READER_PASSWORD: firstPassword });
    expect(output.includes('goes to the server as a SCRAM-SHA-256 verifier'), output);
    const { rows } = await dbAdmin.query<{ scram: boolean }>(
      `SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = $1`,
      [READER],
    );
    expect(rows[0]?.scram === true, `stored password: ${JSON.stringify(rows)}`);
    const hba = await dbAdmin.query<{ auth_method: string }>(
      `SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE type = 'host'`,
    );
    expect(
      hba.rows.length === 1 && hba.rows[0]?.auth_method === 'scram-sha-256',
      `the server's TCP logins are not SCRAM only: ${JSON.stringify(hba.rows)}`,
    );
    const error = await loginError(firstPassword);
    expect(error === undefined, `login refused: ${error}`);
  });

  await check('it reads analytics_windows and may change nothing', async () => {
    await dbAdmin.query(
      `INSERT INTO analytics_windows VALUES ('2026-12-04T09:00:00Z', '2026-12-04T09:01:00Z', 2, '{"EUR": 1250}', 1)`,
    );
    const reader = await connect(READER, firstPassword);
    try {
      const { rows } = await reader.query('SELECT order_count FROM analytics_windows');
      expect(rows.length === 1 && Number(rows[0]?.order_count) === 2, JSON.stringify(rows));
      for (const sql of [
        `INSERT INTO analytics_windows VALUES (now(), now() + interval '1 minute', 1, '{"EUR": 1}', 1)`,
        'UPDATE analytics_windows SET order_count = 9',
        'DELETE FROM analytics_windows',
        'CREATE TABLE public.sneaky (id int)',
        'CREATE SCHEMA sneaky',
      ]) {
        const message = await refused(reader, sql);
        expect(/permission denied/.test(message), `${sql}: ${message}`);
      }
    } finally {
      await reader.end();
    }
  });

  await check('it is a member of analytics_reader only, with no attribute beyond LOGIN', async () => {
    const { rows } = await dbAdmin.query<{ rolname: string }>(
      `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
         JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1`,
      [READER],
    );
    expect(JSON.stringify(rows.map((r) => r.rolname)) === '["analytics_reader"]', JSON.stringify(rows));
    const attributes = await dbAdmin.query(
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin
         FROM pg_roles WHERE rolname = $1`,
      [READER],
    );
    expect(
      JSON.stringify(attributes.rows[0]) ===
        '{"rolsuper":false,"rolcreatedb":false,"rolcreaterole":false,"rolreplication":false,"rolbypassrls":false,"rolcanlogin":true}',
      JSON.stringify(attributes.rows[0]),
    );
  });

  await check('a run with a new password rotates it: the old is refused, the new accepted', async () => {
    migrated({ RESULTS_READER_PASSWORD: secondPassword });
    const old = await loginError(firstPassword);
    expect(old !== undefined && /password authentication failed/.test(old), `old password: ${old ?? 'accepted'}`);
    const current = await loginError(secondPassword);
    expect(current === undefined, `new password refused: ${current}`);
  });

  await check('a run without a password leaves the login as it is', async () => {
    migrated({ RESULTS_READER_PASSWORD: undefined });
    const current = await loginError(secondPassword);
    expect(current === undefined, `password refused after a run without one: ${current}`);
  });

  await check('a login holding more than analytics_reader stops the run, naming what it holds', async () => {
    await dbAdmin.query(`GRANT analytics_writer TO ${READER}`);
    try {
      const run = migrate({ RESULTS_READER_PASSWORD: secondPassword });
      expect(run.status !== 0, 'migrate.sh succeeded');
      expect(/must hold analytics_reader only, but is also a member of analytics_writer/.test(run.output), run.output);
    } finally {
      await dbAdmin.query(`REVOKE analytics_writer FROM ${READER}`);
    }
    migrated({ RESULTS_READER_PASSWORD: secondPassword });
  });

  await check("neither the server's log nor pg_stat_statements holds a plain password", async () => {
    const log = readFileSync(serverLog, 'utf8').slice(logStart);
    // The log held the owner's statements, the one that set the password among them, as a verifier.
    expect(/statement: .*SCRAM-SHA-256\$4096:/s.test(log), `the server's log has no statement setting a verifier`);
    const statements = await dbAdmin.query<{ query: string }>('SELECT query FROM pg_stat_statements');
    expect(
      statements.rows.some((r) => r.query.includes(READER)),
      `pg_stat_statements has no statement naming ${READER}`,
    );
    for (const [name, password] of [
      ['first', firstPassword],
      ['second', secondPassword],
    ] as const) {
      expect(!log.includes(password), `the server's log holds the ${name} password`);
      expect(!statements.rows.some((r) => r.query.includes(password)), `pg_stat_statements holds the ${name} password`);
    }
  });
  await dbAdmin.end();

  const width = Math.max(...results.map((r) => r.check.length));
  console.log(`\n${'reader login'.padEnd(width)}  result`);
  for (const r of results) {
    console.log(`${r.check.padEnd(width)}  ${r.ok ? 'PASS' : 'FAIL'}`);
    if (!r.ok) console.log(`      ${r.detail}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`reader-login: ${results.length - failed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
