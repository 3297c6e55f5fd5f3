import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres, PGliteDatabase } from './db';
import { loadMigrationsSuite, migrationContract } from './migrate.contract';

describe('migrations on embedded PostgreSQL (PGlite)', () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = await openEmbeddedPostgres(undefined);
  });
  afterAll(async () => {
    await pglite.close();
  });
  migrationContract(async (schema) => new PGliteDatabase(pglite, schema));
});

loadMigrationsSuite();
