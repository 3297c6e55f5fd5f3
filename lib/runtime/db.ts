import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
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
 * A service's database: its own schema (search_path) on a real PostgreSQL through `pg`, or on an embedded
 * PGlite shared by the local platform. The same SQL and migrations run on both.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
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

/** bigint and numeric arrive as JS numbers on both drivers (amounts are integer minor units < 2^53). */
const toNumber = (value: string) => Number(value);

export class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly logger?: Logger;

  constructor(
    connectionString: string,
    readonly schema: string,
    options: { max?: number; statementTimeoutMs?: number; logger?: Logger } = {},
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
    const result = await this.pool.query(sql, params as unknown[]);
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
          const result = await client.query(sql, params as unknown[]);
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

/** One per PGlite instance: the schema its session points at, and the queue of work using it. */
interface SchemaGate {
  current?: string;
  tail: Promise<void>;
}
const gates = new WeakMap<PGlite, SchemaGate>();

/**
 * A schema of an embedded PGlite. PGlite is one connection shared by every service of the local platform,
 * so all work on it goes through one queue per instance: the session's search_path is switched only when
 * the next piece of work belongs to another schema, and a transaction runs whole before the next piece.
 * (A statement of one service can therefore never run in another service's schema.)
 */
export class PGliteDatabase implements Database {
  readonly kind = 'pglite';
  private readonly gate: SchemaGate;

  constructor(
    private readonly db: PGlite,
    readonly schema: string,
    private readonly ownsInstance = false,
  ) {
    checkSchema(schema);
    let gate = gates.get(db);
    if (!gate) {
      gate = { tail: Promise.resolve() };
      gates.set(db, gate);
    }
    this.gate = gate;
  }

  /** Runs `work` alone on the instance, with the session in this schema. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.gate.tail.then(async () => {
      if (this.gate.current !== this.schema) {
        this.gate.current = undefined;
        await this.db.exec(`SET search_path TO ${this.schema}`);
        this.gate.current = this.schema;
      }
      return work();
    });
    this.gate.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return this.exclusive(async () => {
      const result = await this.db.query<T>(sql, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    });
  }

  exec(sql: string): Promise<void> {
    return this.exclusive(async () => {
      await this.db.exec(sql);
    });
  }

  /** Work inside must use `tx`; calling this database's own methods from inside would wait forever. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.exclusive(() =>
      this.db.transaction(async (tx) =>
        work({
          query: async <R>(sql: string, params: readonly unknown[] = []) => {
            const result = await tx.query<R>(sql, params as unknown[]);
            return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
          },
          exec: async (sql: string) => {
            await tx.exec(sql);
          },
        }),
      ),
    );
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.ownsInstance) await this.db.close();
  }
}

/**
 * Opens an embedded PostgreSQL kept in `dataDir` (created on first use; in memory when absent), with the
 * same number parsing as `pg`. Memory: shared_buffers is 16 MB instead of PostgreSQL's 128 MB (the local
 * platform's data is small), and a data folder created now is closed and reopened once so the memory
 * initdb used is released instead of staying resident for the life of the process.
 */
export async function openEmbeddedPostgres(dataDir: string | undefined): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const options = {
    dataDir,
    parsers: { [INT8_OID]: toNumber, [NUMERIC_OID]: toNumber },
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
  };
  if (!dataDir) return PGlite.create(options);
  // PGlite creates the last folder of the path only.
  mkdirSync(dataDir, { recursive: true });
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  const db = await PGlite.create(options);
  if (!fresh) return db;
  await db.close();
  return PGlite.create(options);
}

export interface OpenDatabaseOptions {
  readonly schema: string;
  /** A real PostgreSQL; when absent the service uses an embedded one. */
  readonly databaseUrl?: string;
  /** A shared embedded instance (the local platform passes one to every service). */
  readonly embedded?: PGlite;
  /** Where an embedded instance keeps its files when none is shared. */
  readonly dataDir?: string;
  /** Where a real PostgreSQL's connection failures are reported. */
  readonly logger?: Logger;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return new PostgresDatabase(options.databaseUrl, options.schema, { logger: options.logger });
  if (options.embedded) return new PGliteDatabase(options.embedded, options.schema);
  return new PGliteDatabase(await openEmbeddedPostgres(options.dataDir), options.schema, true);
}
