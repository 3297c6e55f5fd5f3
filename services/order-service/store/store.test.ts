import { PostgresDatabase } from '../../../lib/runtime/db';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { describeStoreContract } from './store.contract';

// One fresh database on the test run's PostgreSQL for the file; the contract takes a fresh schema per test, and
// each open is a pool of its own, so racing stores really run at the same time.
let database: TestDatabase | undefined;

describeStoreContract("PostgreSQL (the test run's server, pg pools)", {
  setup: async () => {
    database = await freshDatabase();
  },
  open: (schema) => {
    if (!database) throw new Error('the test database is not created');
    return new PostgresDatabase(database.url, schema);
  },
  teardown: async () => {
    await database?.drop();
  },
});
