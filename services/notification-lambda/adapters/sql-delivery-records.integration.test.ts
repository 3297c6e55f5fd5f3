import { PostgresDatabase } from '../../../lib/runtime/db';
import { describeSqlDeliveryRecords } from './sql-delivery-records.contract';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  // A pool per store: concurrent claims race on real connections, as separate processes would.
  describeSqlDeliveryRecords('PostgreSQL (pg pool)', { open: (schema) => new PostgresDatabase(url, schema) });
} else {
  describe.skip('SqlDeliveryRecords on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
