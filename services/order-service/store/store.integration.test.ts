import { PostgresDatabase } from '../../../lib/runtime/db';
import { describeStoreContract } from './store.contract';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  // A pool per database: claims and idempotent inserts race on real connections, as replicas do.
  describeStoreContract('PostgreSQL (pg pool)', {
    open: (schema) => new PostgresDatabase(url, schema),
  });
} else {
  describe.skip('order-service stores on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
