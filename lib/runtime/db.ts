import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from './logger';

export interface QueryResult<T> {
  readonly rows: T[];
  readonly rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * A service's database: its own schema (search_path) on a PostgreSQL through `pg` — RDS or Cloud SQL in the cloud,
 * the embedded server of the local platform and the tests. The same SQL and migrations run everywhere.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres';
  readonly schema: string;
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA = /^[a-z][a-z0-9_]{0,62}$/;
const INT8_OID = 20;
const NUMERIC_OID = 1700;

function checkSchema(schema: string): string {
  if (!SCHEMA.test(schema)) throw new Error(`schema must match ${SCHEMA}, got ${JSON.stringify(schema)}`);
  return schema;
}

/** Distinct statement texts prepared by name; beyond it, a text (surely built with values in it) is parsed each time. */
const MAX_PREPARED = 1000;

/**
 * Parameterized statements run as named prepared statements: each connection parses and plans a text once
 * and then only binds values (the name is the text's hash, so one name never means two texts).
 */
class PreparedNames {
  private readonly names = new Map<string, string>();

  config(text: string, params: readonly unknown[]): pg.QueryConfig {
    const values = params as unknown[];
    if (values.length === 0) return { text, values };
    let name = this.names.get(text);
    if (name === undefined && this.names.size < MAX_PREPARED) {
      name = `s_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
      this.names.set(text, name);
    }
    return name === undefined ? { text, values } : { name, text, values };
  }
}

/** bigint and numeric arrive as JS numbers on both drivers (amounts are integer minor units < 2^53). */
const toNumber = (value: string) => Number(value);

export class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly logger?: Logger;
  private readonly prepared = new PreparedNames();

  constructor(
    connectionString: string,
    readonly schema: string,
    options: { max?: number; statementTimeoutMs?: number; logger?: Logger; applicationName?: string } = {},
  ) {
    checkSchema(schema);
    this.logger = options.logger;
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID || oid === NUMERIC_OID ? toNumber : pg.types.getTypeParser(oid, format),
    };
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      // Who holds each connection, in pg_stat_activity and the server's log lines.
      application_name: options.applicationName ?? schema,
      options: `-c search_path=${schema} -c statement_timeout=${options.statementTimeoutMs ?? 5000}`,
      types: types as pg.CustomTypesConfig,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    });
    // An idle pooled connection that breaks (the server restarted, a failover) is an 'error' event on the pool;
    // unhandled, it would end the process. The pool drops that connection and opens a new one when needed.
    this.pool.on('error', (error) => {
      this.logger?.warn({ err: error, schema }, 'an idle PostgreSQL connection failed; the pool replaces it');
    });
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    const result = await this.pool.query(this.prepared.config(sql, params));
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection that breaks while the transaction does other work between statements is an 'error' event on
    // the client (unhandled, it would end the process); the next statement fails, and the client is discarded.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
      this.logger?.warn({ err: error, schema: this.schema }, 'a PostgreSQL connection failed during a transaction');
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: readonly unknown[] = []) => {
          const result = await client.query(this.prepared.config(sql, params));
          return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
        },
        // Without values, pg uses the simple query protocol, which accepts several statements.
        exec: async (sql: string) => {
          await client.query(sql);
        },
      };
      const value = await work(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken ??= rollbackError;
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
