import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres, PGliteDatabase } from '../../../lib/runtime/db';
import { LocalEventLog } from '../../../lib/runtime/events';
import { silentLogger } from '../test-support/service';
import { describeOutboxRelayContract } from './outbox-relay.contract';

let pglite: PGlite | undefined;
const logger = silentLogger();
const partitions: Record<string, number> = {};
const bus = new LocalEventLog({ partitions, logger });

describeOutboxRelayContract('PGlite and the in-process event log', {
  logger,
  setup: async () => {
    pglite = await openEmbeddedPostgres(undefined);
  },
  open: (schema) => {
    if (!pglite) throw new Error('PGlite is not open');
    return new PGliteDatabase(pglite, schema);
  },
  bus: () => bus,
  createTopic: async (name, count) => {
    partitions[name] = count;
  },
  teardown: async () => {
    await bus.close();
    await pglite?.close();
  },
});
