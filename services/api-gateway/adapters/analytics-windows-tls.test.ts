import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import {
  POSTGRES_PORT,
  RESULTS_DATABASE,
  RESULTS_DATABASE_SERVER_CA,
  RESULTS_DATABASE_URL_TEMPLATE,
} from '../../../lib/platform';
import { PostgresDatabase } from '../../../lib/runtime/db';
import { type RunningPostgres, startEmbeddedPostgres } from '../../../lib/runtime/embedded-postgres';
import { type CertificateFiles, serverCertificate, throwawayCa } from '../../../lib/runtime/test-support/tls';
import { analyticsWindowsSource } from './analytics-windows-source';

// The gateway's own client (analyticsWindowsSource → PostgresDatabase → node-postgres) against a real PostgreSQL 17
// with TLS, reached with the URL External Secrets renders for it in the cloud: only the CA file's path differs (in
// the pod it is the ConfigMap's mount). The server's certificate names a host, not 127.0.0.1, as Cloud SQL's names
// the instance, not its private address: the chain must be verified, the name not.
const SERVER_NAME = 'shopfront-analytics-db.test';
const MIGRATIONS = path.join(__dirname, '..', '..', '..', 'analytics', 'flink-job', 'migrations');

let work: string;
let server: RunningPostgres;
let ca: CertificateFiles;
let otherCa: CertificateFiles;
const password = randomBytes(18).toString('base64url');
const window = {
  windowStart: '2026-12-04T09:00:00.000Z',
  windowEnd: '2026-12-04T09:01:00.000Z',
  orderCount: 2,
  revenue: { EUR: 1250 },
  uniqueUsers: 1,
};

/** The URL the ExternalSecret's template renders from the login's secret, with the CA file at `caFile`. */
function gatewayUrl(caFile: string, port: string): string {
  const secret: Record<string, string> = {
    username: RESULTS_DATABASE.readerLogin,
    password,
    host: '127.0.0.1',
    port,
    dbname: RESULTS_DATABASE.database,
  };
  const rendered = RESULTS_DATABASE_URL_TEMPLATE.replace(/\{\{ \.(\w+)( \| urlquery)? \}\}/g, (_m, key: string) =>
    encodeURIComponent(secret[key] ?? ''),
  );
  expect(rendered).toContain(`sslrootcert=${RESULTS_DATABASE_SERVER_CA.path}`);
  return rendered.replace(`sslrootcert=${RESULTS_DATABASE_SERVER_CA.path}`, `sslrootcert=${caFile}`);
}

const portOf = (url: string) => new URL(url).port;

async function readWindows(url: string) {
  const chosen = analyticsWindowsSource({ databaseUrl: url, dataDir: '/nonexistent' });
  try {
    return await chosen.source.windowsBetween(new Date(window.windowStart), new Date(window.windowEnd));
  } finally {
    await chosen.close();
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'gateway-tls-'));
  const tls = path.join(work, 'tls');
  ca = throwawayCa(tls, 'results-db-ca');
  otherCa = throwawayCa(tls, 'another-ca');
  const cert = serverCertificate(tls, ca, SERVER_NAME);
  // PostgreSQL reads its key only if no one else may: as root, the server runs as `postgres`, who must own it.
  chmodSync(tls, 0o755);
  chmodSync(cert.keyFile, 0o600);
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(cert.keyFile, uid, -1);
  }
  server = await startEmbeddedPostgres({
    dataDir: path.join(work, 'data'),
    settings: ['fsync=off', 'ssl=on', `ssl_cert_file=${cert.certFile}`, `ssl_key_file=${cert.keyFile}`],
  });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${RESULTS_DATABASE.database}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: server.urlOf(RESULTS_DATABASE.database) });
  await db.connect();
  try {
    await db.query(readFileSync(path.join(MIGRATIONS, 'V1__analytics_windows.sql'), 'utf8'));
    await db.query(
      `CREATE ROLE ${RESULTS_DATABASE.readerLogin} LOGIN PASSWORD '${password}' IN ROLE ${RESULTS_DATABASE.readerRole}`,
    );
    await db.query(`INSERT INTO analytics_windows VALUES ($1, $2, $3, $4, $5)`, [
      window.windowStart,
      window.windowEnd,
      window.orderCount,
      JSON.stringify(window.revenue),
      window.uniqueUsers,
    ]);
  } finally {
    await db.end();
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the gateway's connection to the results database, with the URL the ExternalSecret renders", () => {
  it("is verify-ca with the mounted CA in libpq's meaning, to the default port", () => {
    const url = new URL(gatewayUrl(ca.certFile, String(POSTGRES_PORT)));
    expect(Object.fromEntries(url.searchParams)).toEqual({
      sslmode: 'verify-ca',
      uselibpqcompat: 'true',
      sslrootcert: ca.certFile,
    });
  });

  it('reads the windows over TLS when the server is signed by the CA it is given', async () => {
    const url = gatewayUrl(ca.certFile, portOf(server.url));
    await expect(readWindows(url)).resolves.toEqual([window]);
    // The same client code, asked what the server saw: an encrypted session.
    const db = new PostgresDatabase(url, 'public', { max: 1 });
    try {
      const { rows } = await db.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await db.close();
    }
  });

  it('refuses a server signed by another CA', async () => {
    const url = gatewayUrl(otherCa.certFile, portOf(server.url));
    await expect(readWindows(url)).rejects.toThrow(/unable to verify the first certificate/);
  });

  it("does not check the server's name, which is not the address it connects to (verify-full would)", async () => {
    const url = gatewayUrl(ca.certFile, portOf(server.url)).replace('sslmode=verify-ca', 'sslmode=verify-full');
    await expect(readWindows(url)).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
  });

  it('needs uselibpqcompat: without it, node-postgres reads verify-ca as verify-full and checks the name', async () => {
    const url = gatewayUrl(ca.certFile, portOf(server.url)).replace('&uselibpqcompat=true', '');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await expect(readWindows(url)).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses a CA file that is missing, naming it', async () => {
    const missing = path.join(work, 'nowhere', 'server-ca.pem');
    await expect(readWindows(gatewayUrl(missing, portOf(server.url)))).rejects.toThrow(
      new RegExp(`ENOENT: no such file or directory, open '${missing}'`),
    );
  });

  it('refuses to go on in plain text when the server offers no TLS', async () => {
    const plain = await startEmbeddedPostgres({ dataDir: path.join(work, 'plain'), settings: ['fsync=off'] });
    try {
      await expect(readWindows(gatewayUrl(ca.certFile, portOf(plain.url)))).rejects.toThrow(
        /The server does not support SSL connections/,
      );
    } finally {
      await plain.stop();
    }
  }, 30_000);
});
