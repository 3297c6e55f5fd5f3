import { loadMigrationsSuite, migrationContract } from './migrate.contract';
import { freshDatabase, type TestDatabase } from './test-support/postgres';

describe("migrations on PostgreSQL (the test run's embedded server)", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  migrationContract(async (schema) => database.schema(schema));
});

loadMigrationsSuite();
