import { PostgresDatabase } from './db';
import { migrationContract } from './migrate.contract';

const url = process.env.TEST_DATABASE_URL;
const suite = url ? describe : describe.skip;

suite(`migrations on a real PostgreSQL${url ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`, () => {
  migrationContract(async (schema) => new PostgresDatabase(url ?? '', schema));
});
