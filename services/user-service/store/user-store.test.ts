import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres, PGliteDatabase } from '../../../lib/runtime/db';
import { sqlUserStoreContract } from './user-store.contract';

// One in-memory PGlite for the file (each costs seconds and hundreds of MB); a fresh schema per test.
let pglite: PGlite;
let schemas = 0;

beforeAll(async () => {
  pglite = await openEmbeddedPostgres(undefined);
});
afterAll(async () => {
  await pglite.close();
});

describe('PostgresUserStore on PGlite', () => {
  sqlUserStoreContract(async () => ({
    db: new PGliteDatabase(pglite, `users_test_${++schemas}`),
    close: async () => undefined,
  }));
});
