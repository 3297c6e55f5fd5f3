import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Database } from './db';
import type { Logger } from './logger';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files in version order; rejects misnamed files and duplicate or missing versions. */
export function loadMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const migrations = files.map((file) => {
    const match = FILE.exec(file);
    if (!match) throw new Error(`migration file '${file}' in ${dir} must be named NNNN_lower_snake_name.sql`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    return {
      version: Number(match[1]),
      name: match[2] ?? '',
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `migrations in ${dir} must be numbered 0001, 0002, ... without gaps; found ${String(m.version).padStart(4, '0')} at position ${i + 1}`,
      );
    }
  });
  return migrations;
}

/**
 * Applies the migrations not yet applied to the database's schema, in one transaction under an advisory
 * lock (so replicas starting together apply them once). An applied migration whose file changed stops
 * the start: history is never rewritten silently.
 */
export async function migrate(db: Database, migrations: readonly Migration[], logger: Logger): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`shopfront:migrations:${db.schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${db.schema}.schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const applied = await tx.query<{ version: number; checksum: string }>(
      `SELECT version, checksum FROM ${db.schema}.schema_migrations ORDER BY version`,
    );
    const known = new Map(applied.rows.map((r) => [Number(r.version), r.checksum]));
    for (const [version, checksum] of known) {
      const file = migrations.find((m) => m.version === version);
      if (!file) throw new Error(`schema ${db.schema} has migration ${version} that this build does not know`);
      if (file.checksum !== checksum) {
        throw new Error(`migration ${version} (${file.name}) of schema ${db.schema} changed after it was applied`);
      }
    }
    const done: number[] = [];
    for (const migration of migrations) {
      if (known.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO ${db.schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      done.push(migration.version);
    }
    if (done.length > 0) logger.info({ schema: db.schema, applied: done }, 'migrations applied');
    return done;
  });
}
