import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { describePostgresDeliveryRecords } from './postgres-delivery-records.contract';

// One database on the test run's PostgreSQL for the file; a fresh schema per test, a pool per store.
let database: TestDatabase | undefined;

describePostgresDeliveryRecords("PostgreSQL (the test run's embedded server)", {
  setup: async () => {
    database = await freshDatabase();
  },
  open: (schema) => {
    if (!database) throw new Error('the test database is not created yet');
    return database.schema(schema);
  },
  teardown: async () => {
    await database?.drop();
  },
});
