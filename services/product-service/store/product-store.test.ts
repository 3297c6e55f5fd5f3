import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { describeProductStoreContract } from './product-store.contract';

// One database on the test run's PostgreSQL for the file; a fresh schema per test, a pool per open (so
// reservations race on separate connections, as replicas do).
let database: TestDatabase | undefined;

describeProductStoreContract('PostgreSQL (embedded server)', {
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
