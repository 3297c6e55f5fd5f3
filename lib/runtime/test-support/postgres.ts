import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Database, PostgresDatabase, type QueryResult } from '../db';
import { TEST_POSTGRES_URL } from './postgres-setup';

/** A database of its own on the test run's PostgreSQL: suites never see each other's rows. */
export interface TestDatabase {
  /** Its `postgres://` URL, for a service's DATABASE_URL. */
  readonly url: string;
  /** A schema of it, opened as a service opens its own (search_path), closed by drop(). */
  schema(name: string): Database;
  /** Runs one statement as the superuser (setup and assertions across schemas). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Closes what it opened and drops the database. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env[TEST_POSTGRES_URL];
  if (!url) {
    throw new Error(`${TEST_POSTGRES_URL} is not set: run the tests through jest (its global setup starts PostgreSQL)`);
  }
  return url;
}

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

/** Creates a fresh database on the test run's PostgreSQL. */
export async function freshDatabase(): Promise<TestDatabase> {
  const admin = serverUrl();
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = withDatabase(admin, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const opened: Database[] = [];
  return {
    url,
    schema: (schema) => {
      const db = new PostgresDatabase(url, schema);
      opened.push(db);
      return db;
    },
    query: async <T>(sql: string, params: readonly unknown[] = []) => {
      const result = await pool.query(sql, params as unknown[]);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    },
    drop: async () => {
      await Promise.allSettled(opened.map((db) => db.close()));
      await pool.end();
      const dropper = new pg.Client({ connectionString: admin });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
