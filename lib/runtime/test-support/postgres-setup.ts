import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type RunningPostgres, startEmbeddedPostgres } from '../embedded-postgres';

/** The environment variable through which Jest's workers find the run's PostgreSQL. */
export const TEST_POSTGRES_URL = 'SHOPFRONT_TEST_POSTGRES_URL';

const state = globalThis as { shopfrontTestPostgres?: { server: RunningPostgres; dir: string } };

/**
 * Jest global setup: one real PostgreSQL 17 (the embedded server `npm start` runs) for the whole test run, in a
 * temporary folder, without fsync (its data is thrown away). Suites take a fresh database each.
 */
export default async function setup(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shopfront-test-pg-'));
  // Run as root, the server runs as the `postgres` user, which must be able to reach its data folder.
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    // Every suite of every Jest worker opens pools of its own on this one server.
    settings: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=400'],
  });
  state.shopfrontTestPostgres = { server, dir };
  process.env[TEST_POSTGRES_URL] = server.url;
}

export async function teardown(): Promise<void> {
  const running = state.shopfrontTestPostgres;
  if (!running) return;
  await running.server.stop();
  await rm(running.dir, { recursive: true, force: true });
}
