import { PostgresDatabase } from '../../../lib/runtime/db';
import { LocalEventLog } from '../../../lib/runtime/events';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { silentLogger } from '../test-support/service';
import { describeOutboxRelayContract } from './outbox-relay.contract';

// One fresh database on the test run's PostgreSQL for the file; the contract takes a fresh schema per test, and
// each open is a pool of its own (two relays are two replicas).
let database: TestDatabase | undefined;
const logger = silentLogger();
const partitions: Record<string, number> = {};
const bus = new LocalEventLog({ partitions, logger });

describeOutboxRelayContract('PostgreSQL and the in-process event log', {
  logger,
  setup: async () => {
    database = await freshDatabase();
  },
  open: (schema) => {
    if (!database) throw new Error('the test database is not created');
    return new PostgresDatabase(database.url, schema);
  },
  bus: () => bus,
  createTopic: async (name, count) => {
    partitions[name] = count;
  },
  teardown: async () => {
    await bus.close();
    await database?.drop();
  },
});
