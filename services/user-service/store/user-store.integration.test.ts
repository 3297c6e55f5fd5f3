import { randomUUID } from 'node:crypto';
import { PostgresDatabase } from '../../../lib/runtime/db';
import { sqlUserStoreContract } from './user-store.contract';

const url = process.env.TEST_DATABASE_URL;

// `npm run test:integration` starts a throwaway PostgreSQL and sets TEST_DATABASE_URL.
const describeWithPostgres = url ? describe : describe.skip;
if (!url)
  console.warn('PostgresUserStore on PostgreSQL skipped: TEST_DATABASE_URL is not set (run npm run test:integration)');

describeWithPostgres('PostgresUserStore on PostgreSQL', () => {
  sqlUserStoreContract(async () => {
    const schema = `users_it_${randomUUID().replaceAll('-', '')}`;
    const db = new PostgresDatabase(url ?? '', schema);
    return {
      db,
      close: async () => {
        await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await db.close();
      },
    };
  });
});
