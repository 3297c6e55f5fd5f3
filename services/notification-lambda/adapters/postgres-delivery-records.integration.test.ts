import { PostgresDatabase } from '../../../lib/runtime/db';
import { describePostgresDeliveryRecords } from './postgres-delivery-records.contract';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  // A pool per store: concurrent claims race on real connections, as separate processes would.
  describePostgresDeliveryRecords('PostgreSQL (pg pool)', { open: (schema) => new PostgresDatabase(url, schema) });
} else {
  describe.skip('PostgresDeliveryRecords on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
