import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres, PGliteDatabase } from './db';

describe('schemas sharing one embedded PostgreSQL', () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = await openEmbeddedPostgres(undefined);
  });
  afterAll(async () => {
    await pglite.close();
  });

  it('never runs a statement of one schema in another, however the work interleaves', async () => {
    const a = new PGliteDatabase(pglite, 'alpha');
    const b = new PGliteDatabase(pglite, 'beta');
    for (const db of [a, b]) {
      await pglite.exec(`CREATE SCHEMA ${db.schema}; CREATE TABLE ${db.schema}.things (owner text NOT NULL)`);
    }
    const work = Array.from({ length: 200 }, (_, i) => {
      const db = i % 3 === 0 ? a : b;
      return i % 5 === 0
        ? db.transaction(async (tx) => {
            await tx.query('INSERT INTO things (owner) VALUES ($1)', [db.schema]);
            await tx.query('SELECT count(*) FROM things');
          })
        : db.query('INSERT INTO things (owner) VALUES ($1)', [db.schema]);
    });
    await Promise.all(work);
    const rows = async (db: PGliteDatabase) =>
      (await db.query<{ owner: string; n: number }>('SELECT owner, count(*)::int AS n FROM things GROUP BY owner'))
        .rows;
    expect(await rows(a)).toEqual([{ owner: 'alpha', n: 67 }]);
    expect(await rows(b)).toEqual([{ owner: 'beta', n: 133 }]);
  });

  it('keeps going after a failed statement and rolls a failed transaction back', async () => {
    const a = new PGliteDatabase(pglite, 'alpha');
    await expect(a.query('SELECT * FROM no_such_table')).rejects.toThrow();
    await expect(
      a.transaction(async (tx) => {
        await tx.query("INSERT INTO things (owner) VALUES ('rolled-back')");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await a.query<{ n: number }>("SELECT count(*)::int AS n FROM things WHERE owner = 'rolled-back'");
    expect(rows[0]?.n).toBe(0);
  });
});
