import { PostgresDatabase } from '../../../lib/runtime/db';
import { describePaymentStoreContract } from './payment-store.contract';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  // A pool per open: replicas race on real connections, as they do in production.
  describePaymentStoreContract('PostgreSQL (pg pools)', { open: (schema) => new PostgresDatabase(url, schema) });
} else {
  describe.skip('payment store on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
