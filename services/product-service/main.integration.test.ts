import { PostgresDatabase } from '../../lib/runtime/db';
import { createLogger } from '../../lib/runtime/logger';
import { SCHEMA } from './config';
import { start } from './main';
import { testEnv } from './test-support/service';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  describe('product-service replicas on PostgreSQL', () => {
    const admin = new PostgresDatabase(url, 'public');
    const dropSchema = () => admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);

    beforeEach(dropSchema);
    afterAll(async () => {
      await dropSchema();
      await admin.close();
    });

    it('migrates and seeds once when two replicas start together (20 products, not 40)', async () => {
      const logger = createLogger({ service: 'product-service', level: 'silent' });
      const env = testEnv({ DATABASE_URL: url, SEED_DEMO_PRODUCTS: 'true' });
      const replicas = await Promise.all([
        start({ env, logger, host: '127.0.0.1' }),
        start({ env, logger, host: '127.0.0.1' }),
      ]);
      try {
        for (const replica of replicas) expect((await replica.health.report()).ready).toBe(true);
        const count = await admin.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${SCHEMA}.products`);
        expect(count.rows[0]?.n).toBe(20);
      } finally {
        await Promise.all(replicas.map((r) => r.stop()));
      }
      const again = await start({ env, logger, host: '127.0.0.1' });
      await again.stop();
      const count = await admin.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${SCHEMA}.products`);
      expect(count.rows[0]?.n).toBe(20);
    });
  });
} else {
  describe.skip('product-service replicas on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
