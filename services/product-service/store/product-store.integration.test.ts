import { PostgresDatabase } from '../../../lib/runtime/db';
import { describeProductStoreContract } from './product-store.contract';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  // A pool per database: reservations race on real connections, as replicas do in production.
  describeProductStoreContract('PostgreSQL (pg pool)', { open: (schema) => new PostgresDatabase(url, schema) });
} else {
  describe.skip('product store on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
