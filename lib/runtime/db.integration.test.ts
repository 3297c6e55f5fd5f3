import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresDatabase } from './db';
import { capturedLogger } from './test-support/logs';

const databaseUrl = process.env.TEST_DATABASE_URL;
const suite = databaseUrl ? describe : describe.skip;

suite('PostgresDatabase when the server drops its connections (real PostgreSQL)', () => {
  it('survives an idle connection being terminated, reports it, and serves the next query', async () => {
    const { logger, lines } = capturedLogger();
    const schema = `dropped_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const db = new PostgresDatabase(databaseUrl ?? '', schema, { logger });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      // Two idle connections in the pool, as after a burst of queries.
      await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT pg_sleep(0.05)')]);
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep(0.05)%'",
      );
      expect(killed.rowCount).toBe(2);
      for (let i = 0; i < 100 && lines.filter((l) => l.level === 'warn').length < 2; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const warnings = lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatchObject({ schema, msg: 'an idle PostgreSQL connection failed; the pool replaces it' });
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await db.close();
    }
  });

  it('fails a transaction whose connection is terminated between statements, without ending the process', async () => {
    const { logger, lines } = capturedLogger();
    const schema = `broken_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const db = new PostgresDatabase(databaseUrl ?? '', schema, { logger });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const outcome = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        // Work between statements, as a saga step does; the connection breaks meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await tx.query('SELECT 1');
        return 'committed';
      });
      await expect(outcome).rejects.toThrow();
      expect(lines.some((l) => l.msg === 'a PostgreSQL connection failed during a transaction')).toBe(true);
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await expect(
        db.transaction(async (tx) => (await tx.query<{ two: number }>('SELECT 2 AS two')).rows),
      ).resolves.toEqual([{ two: 2 }]);
    } finally {
      await admin.end();
      await db.close();
    }
  });
});
