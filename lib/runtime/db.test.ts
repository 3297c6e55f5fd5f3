import { type Database, PostgresDatabase } from './db';
import { freshDatabase, type TestDatabase } from './test-support/postgres';

describe('PostgresDatabase: schemas sharing one PostgreSQL database', () => {
  let database: TestDatabase;
  let alpha: Database;
  let beta: Database;
  /** Opened by a test with its own options; closed after it. */
  let single: PostgresDatabase | undefined;

  /** A database over `schema` with one connection: every statement after a transaction runs on that connection. */
  const oneConnection = (schema: string) => {
    single = new PostgresDatabase(database.url, schema, { max: 1 });
    return single;
  };
  const count = async (where: string) =>
    (await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM alpha.things WHERE ${where}`)).rows[0]?.n;

  beforeAll(async () => {
    database = await freshDatabase();
    for (const schema of ['alpha', 'beta']) {
      await database.query(`CREATE SCHEMA ${schema}`);
      await database.query(`CREATE TABLE ${schema}.things (owner text NOT NULL)`);
    }
    alpha = database.schema('alpha');
    beta = database.schema('beta');
  });
  afterAll(async () => {
    await database.drop();
  });
  afterEach(async () => {
    await single?.close();
    single = undefined;
  });

  it('never runs a statement of one schema in another, however the work interleaves', async () => {
    await database.query('TRUNCATE alpha.things, beta.things');
    const work = Array.from({ length: 200 }, (_, i) => {
      const db = i % 3 === 0 ? alpha : beta;
      return i % 5 === 0
        ? db.transaction(async (tx) => {
            await tx.query('INSERT INTO things (owner) VALUES ($1)', [db.schema]);
            await tx.query('SELECT count(*) FROM things');
          })
        : db.query('INSERT INTO things (owner) VALUES ($1)', [db.schema]);
    });
    await Promise.all(work);
    const rows = async (db: Database) =>
      (await db.query<{ owner: string; n: number }>('SELECT owner, count(*)::int AS n FROM things GROUP BY owner'))
        .rows;
    expect(await rows(alpha)).toEqual([{ owner: 'alpha', n: 67 }]);
    expect(await rows(beta)).toEqual([{ owner: 'beta', n: 133 }]);
    // Seen from outside the two pools, by schema-qualified name: the same split.
    const all = await database.query<{ schema: string; owner: string; n: number }>(
      `SELECT 'alpha' AS schema, owner, count(*)::int AS n FROM alpha.things GROUP BY owner
       UNION ALL SELECT 'beta', owner, count(*)::int FROM beta.things GROUP BY owner ORDER BY 1`,
    );
    expect(all.rows).toEqual([
      { schema: 'alpha', owner: 'alpha', n: 67 },
      { schema: 'beta', owner: 'beta', n: 133 },
    ]);
  });

  it('points every connection and transaction at its own schema (search_path)', async () => {
    const current = 'SELECT current_schema() AS schema';
    expect((await alpha.query(current)).rows).toEqual([{ schema: 'alpha' }]);
    expect((await beta.query(current)).rows).toEqual([{ schema: 'beta' }]);
    expect(await beta.transaction(async (tx) => (await tx.query(current)).rows)).toEqual([{ schema: 'beta' }]);
  });

  it('commits a transaction whose work resolves, returning its value', async () => {
    const value = await alpha.transaction(async (tx) => {
      const inserted = await tx.query("INSERT INTO things (owner) VALUES ('committed-1'), ('committed-2')");
      // Not visible outside the transaction before it commits.
      expect(await count("owner LIKE 'committed-%'")).toBe(0);
      return inserted.rowCount;
    });
    expect(value).toBe(2);
    expect(await count("owner LIKE 'committed-%'")).toBe(2);
  });

  it('keeps going after a failed statement and rolls a failed transaction back', async () => {
    const db = oneConnection('alpha');
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO things (owner) VALUES ('rolled-back')");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    // On the transaction's own connection (the only one): the row is gone, so the transaction ended.
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM things WHERE owner = 'rolled-back'");
    expect(rows[0]?.n).toBe(0);
    expect(await count("owner = 'rolled-back'")).toBe(0);
  });

  it('rolls the whole transaction back when one of its statements fails, and the connection serves the next', async () => {
    const db = oneConnection('alpha');
    const failed = db.transaction(async (tx) => {
      await tx.query("INSERT INTO things (owner) VALUES ('before-the-error')");
      await tx.query('INSERT INTO things (owner) VALUES (NULL)');
      return 'committed';
    });
    await expect(failed).rejects.toMatchObject({ code: '23502' }); // not_null_violation
    expect(await count("owner = 'before-the-error'")).toBe(0);
    // The same connection is out of the failed transaction: it runs statements and commits again.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await db.transaction((tx) => tx.query("INSERT INTO things (owner) VALUES ('after-the-error')"));
    expect(await count("owner = 'after-the-error'")).toBe(1);
  });

  it('parses bigint and numeric as JS numbers, in and out of a transaction', async () => {
    const sql = 'SELECT 9007199254740000::bigint AS big, 74.48::numeric AS amount, count(*) AS n FROM things';
    const expected = { big: 9007199254740000, amount: 74.48, n: expect.any(Number) };
    expect((await beta.query(sql)).rows).toEqual([expected]);
    expect(await beta.transaction(async (tx) => (await tx.query(sql)).rows)).toEqual([expected]);
  });

  it('runs a script of several statements through exec, in and out of a transaction', async () => {
    await beta.exec('CREATE TABLE scripted (id int); INSERT INTO scripted VALUES (1); INSERT INTO scripted VALUES (2)');
    await beta.transaction((tx) => tx.exec('INSERT INTO scripted VALUES (3); INSERT INTO scripted VALUES (4)'));
    const { rows } = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM beta.scripted');
    expect(rows).toEqual([{ n: 4 }]);
  });

  it('cancels a statement that runs past its statement timeout', async () => {
    single = new PostgresDatabase(database.url, 'alpha', { statementTimeoutMs: 50 });
    await expect(single.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' }); // query_canceled
    await expect(single.ping()).resolves.toBeUndefined();
  });

  it('names its connections in pg_stat_activity: the application name given, else the schema', async () => {
    const named = new PostgresDatabase(database.url, 'alpha', { max: 1, applicationName: 'order-service' });
    single = new PostgresDatabase(database.url, 'beta', { max: 1 });
    try {
      const asSeen = (db: Database) =>
        db.query<{ name: string }>(
          'SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()',
        );
      expect((await asSeen(named)).rows).toEqual([{ name: 'order-service' }]);
      expect((await asSeen(single)).rows).toEqual([{ name: 'beta' }]);
    } finally {
      await named.close();
    }
  });

  it('refuses a schema name it would have to quote', () => {
    expect(() => new PostgresDatabase(database.url, 'Alpha; DROP SCHEMA beta')).toThrow(/schema must match/);
  });
});
