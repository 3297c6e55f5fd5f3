import type { PGlite } from '@electric-sql/pglite';
import { openEmbeddedPostgres, PGliteDatabase } from '../../../lib/runtime/db';
import { describeSqlDeliveryRecords } from './sql-delivery-records.contract';

// One in-memory PGlite for the file (creating one is slow and large); a fresh schema per test.
let pglite: PGlite | undefined;

describeSqlDeliveryRecords('PGlite (embedded PostgreSQL)', {
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
