import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { sqlUserStoreContract } from './user-store.contract';

// One database on the test run's PostgreSQL for the file; a fresh schema (and pool) per test.
let database: TestDatabase;
let schemas = 0;

beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe("PostgresUserStore on PostgreSQL (the test run's embedded server)", () => {
  sqlUserStoreContract(async () => {
    const db = database.schema(`users_test_${++schemas}`);
    return { db, close: () => db.close() };
  });
});
