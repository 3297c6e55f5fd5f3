import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Database } from './db';
import { loadMigrations, migrate } from './migrate';
import { capturedLogger } from './test-support/logs';

/**
 * Migration behaviour, run in `npm test` on the test run's embedded PostgreSQL and in the integration tier on the
 * PostgreSQL of TEST_DATABASE_URL.
 */
export function migrationContract(open: (schema: string) => Promise<Database>): void {
  let counter = 0;
  const fresh = () => open(`mig_${process.pid}_${Date.now() % 100000}_${counter++}`);
  const { logger } = capturedLogger();
  const m = (version: number, sql: string) => ({
    version,
    name: `m${version}`,
    sql,
    checksum: `sum-${version}-${sql.length}`,
  });

  it('applies pending migrations once, in order, inside the service schema', async () => {
    const db = await fresh();
    try {
      const all = [
        m(1, 'CREATE TABLE items (id bigint PRIMARY KEY, note text)'),
        m(2, 'ALTER TABLE items ADD COLUMN qty integer NOT NULL DEFAULT 0'),
      ];
      expect(await migrate(db, all, logger)).toEqual([1, 2]);
      expect(await migrate(db, all, logger)).toEqual([]);
      await db.query('INSERT INTO items (id, note, qty) VALUES ($1, $2, $3)', [9007199254740000, 'big', 3]);
      const { rows } = await db.query<{ id: number; qty: number }>('SELECT id, qty FROM items');
      expect(rows).toEqual([{ id: 9007199254740000, qty: 3 }]);
      const where = await db.query<{ table_schema: string }>(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'items' AND table_schema = $1",
        [db.schema],
      );
      expect(where.rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('rolls back every migration of a run when one fails', async () => {
    const db = await fresh();
    try {
      await expect(
        migrate(db, [m(1, 'CREATE TABLE a (id int)'), m(2, 'CREATE TABLE broken (')], logger),
      ).rejects.toThrow();
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'a'",
        [db.schema],
      );
      expect(rows[0]?.n).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('refuses to start when an applied migration was edited', async () => {
    const db = await fresh();
    try {
      await migrate(db, [m(1, 'CREATE TABLE a (id int)')], logger);
      await expect(migrate(db, [{ ...m(1, 'CREATE TABLE a (id int)'), checksum: 'edited' }], logger)).rejects.toThrow(
        /migration 1 \(m1\) of schema .* changed after it was applied/,
      );
    } finally {
      await db.close();
    }
  });

  it('applies once when two starts race', async () => {
    const a = await fresh();
    try {
      const all = [m(1, 'CREATE TABLE once (id int)')];
      const results = await Promise.all([migrate(a, all, logger), migrate(a, all, logger)]);
      expect(results.flat()).toEqual([1]);
    } finally {
      await a.close();
    }
  });
}

export const loadMigrationsSuite = () =>
  describe('loadMigrations', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('rejects misnamed files and gaps', () => {
      writeFileSync(path.join(dir, '0001_init.sql'), 'SELECT 1');
      writeFileSync(path.join(dir, '0003_later.sql'), 'SELECT 1');
      expect(() => loadMigrations(dir)).toThrow(/without gaps; found 0003 at position 2/);
      writeFileSync(path.join(dir, '2_Bad-Name.sql'), 'SELECT 1');
      expect(() => loadMigrations(dir)).toThrow(/'2_Bad-Name.sql' .* must be named NNNN_lower_snake_name.sql/);
    });
  });
