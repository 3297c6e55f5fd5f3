import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres, PGliteDatabase } from '../../../lib/runtime/db';
import { describePostgresDeliveryRecords } from './postgres-delivery-records.contract';

// One in-memory PGlite for the file (creating one is slow and large); a fresh schema per test.
let pglite: PGlite | undefined;

describePostgresDeliveryRecords('PGlite (embedded PostgreSQL)', {
  setup: async () => {
    pglite = await openEmbeddedPostgres(undefined);
  },
  open: (schema) => {
    if (!pglite) throw new Error('PGlite is not open');
    return new PGliteDatabase(pglite, schema);
  },
  teardown: async () => {
    await pglite?.close();
  },
});
