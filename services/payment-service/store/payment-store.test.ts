import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { describePaymentStoreContract } from './payment-store.contract';

// One database on the test run's PostgreSQL for the file; a fresh schema per test, a pool per open (a
// separate replica, racing on its own connections).
let database: TestDatabase | undefined;

describePaymentStoreContract('PostgreSQL (embedded server)', {
  setup: async () => {
    database = await freshDatabase();
  },
  open: (schema) => {
    if (!database) throw new Error('the test database is not created');
    return database.schema(schema);
  },
  teardown: async () => {
    await database?.drop();
  },
});
