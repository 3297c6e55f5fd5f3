import * as path from 'node:path';
import type { Queryable } from '../../../lib/runtime/db';
import type { BatchDeliveryRecords, ClaimOutcome } from '../domain/ports';

/**
 * The PostgreSQL schema of the local delivery records. The notification Lambda owns no PostgreSQL database in
 * the catalog (in the cloud its records live in DynamoDB), so the name is this adapter's own.
 */
export const NOTIFICATIONS_SCHEMA = 'notifications';

/** `migrations/NNNN_name.sql` of the delivery records table, applied with the kit's `migrate`. */
export const NOTIFICATION_MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');

export interface PostgresDeliveryRecordsOptions {
  /** The clock leases are compared with (the DynamoDB adapter's `:now`). @default - the system clock */
  readonly now?: () => Date;
}

// One statement, so two concurrent claims cannot both win: the upsert takes over only a lapsed
// IN_PROGRESS row; when it does not, the row as it stood tells a duplicate from a live claim. A row that
// vanished in between (released) reads as no row and is reported as in progress: retry, never resend.
const CLAIM = `
  WITH claimed AS (
    INSERT INTO delivery_records AS r (event_id, status, lease_expires_at, updated_at)
    VALUES ($1, 'IN_PROGRESS', $2::timestamptz, $3::timestamptz)
    ON CONFLICT (event_id) DO UPDATE
      SET lease_expires_at = EXCLUDED.lease_expires_at, updated_at = EXCLUDED.updated_at
      WHERE r.status = 'IN_PROGRESS' AND r.lease_expires_at < $3::timestamptz
    RETURNING r.event_id
  )
  SELECT 'claimed' AS outcome FROM claimed
  UNION ALL
  SELECT CASE WHEN status = 'COMPLETED' THEN 'completed' ELSE 'in-progress' END AS outcome
    FROM delivery_records
   WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM claimed)`;

// Unconditional, like the DynamoDB adapter's PutItem: the customer has been notified, whatever the row said.
const COMPLETE = `
  INSERT INTO delivery_records AS r (event_id, status, lease_expires_at, message_id, updated_at)
  VALUES ($1, 'COMPLETED', NULL, $2, $3::timestamptz)
  ON CONFLICT (event_id) DO UPDATE
    SET status = 'COMPLETED', lease_expires_at = NULL, message_id = EXCLUDED.message_id,
        updated_at = EXCLUDED.updated_at`;

// CLAIM for many ids in one statement, in id order (two batches claiming overlapping ids never wait on each other
// in a cycle). The outer query reads the rows as they stood before it (a data-modifying WITH is not seen by its
// own statement): an id inserted or taken over here is `claimed`, one left alone is completed or in progress.
const CLAIM_ALL = `
  WITH asked AS (SELECT DISTINCT unnest($1::text[]) AS event_id),
  claimed AS (
    INSERT INTO delivery_records AS r (event_id, status, lease_expires_at, updated_at)
    SELECT event_id, 'IN_PROGRESS', $2::timestamptz, $3::timestamptz FROM asked ORDER BY event_id
    ON CONFLICT (event_id) DO UPDATE
      SET lease_expires_at = EXCLUDED.lease_expires_at, updated_at = EXCLUDED.updated_at
      WHERE r.status = 'IN_PROGRESS' AND r.lease_expires_at < $3::timestamptz
    RETURNING r.event_id
  )
  SELECT a.event_id,
         CASE WHEN c.event_id IS NOT NULL THEN 'claimed'
              WHEN d.status = 'COMPLETED' THEN 'completed'
              ELSE 'in-progress' END AS outcome
    FROM asked a
    LEFT JOIN claimed c ON c.event_id = a.event_id
    LEFT JOIN delivery_records d ON d.event_id = a.event_id`;

const COMPLETE_ALL = `
  INSERT INTO delivery_records AS r (event_id, status, lease_expires_at, message_id, updated_at)
  SELECT DISTINCT ON (event_id) event_id, 'COMPLETED', NULL, message_id, $3::timestamptz
    FROM unnest($1::text[], $2::text[]) AS sent(event_id, message_id) ORDER BY event_id
  ON CONFLICT (event_id) DO UPDATE
    SET status = 'COMPLETED', lease_expires_at = NULL, message_id = EXCLUDED.message_id,
        updated_at = EXCLUDED.updated_at`;

const RELEASE = `DELETE FROM delivery_records WHERE event_id = $1 AND status = 'IN_PROGRESS'`;

const OUTCOMES: ReadonlySet<string> = new Set<ClaimOutcome>(['claimed', 'completed', 'in-progress']);

/**
 * Delivery records in PostgreSQL for the local platform: the DynamoDB adapter's claim/complete/
 * release protocol on a table `delivery_records`, so a restarted process never notifies an event twice.
 * Unlike DynamoDB there is no TTL: rows are kept (a local data folder is small and disposable).
 */
export class PostgresDeliveryRecords implements BatchDeliveryRecords {
  private readonly now: () => Date;

  constructor(
    private readonly db: Queryable,
    options: PostgresDeliveryRecordsOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async claim(eventId: string, leaseExpiresAt: Date): Promise<ClaimOutcome> {
    const result = await this.db.query<{ outcome: string }>(CLAIM, [
      eventId,
      leaseExpiresAt.toISOString(),
      this.now().toISOString(),
    ]);
    const outcome = result.rows[0]?.outcome ?? 'in-progress';
    if (!OUTCOMES.has(outcome)) throw new Error(`unexpected claim outcome '${outcome}'`);
    return outcome as ClaimOutcome;
  }

  async complete(eventId: string, messageId: string): Promise<void> {
    await this.db.query(COMPLETE, [eventId, messageId, this.now().toISOString()]);
  }

  async claimAll(eventIds: readonly string[], leaseExpiresAt: Date): Promise<ReadonlyMap<string, ClaimOutcome>> {
    if (eventIds.length === 0) return new Map();
    const result = await this.db.query<{ event_id: string; outcome: string }>(CLAIM_ALL, [
      eventIds,
      leaseExpiresAt.toISOString(),
      this.now().toISOString(),
    ]);
    const outcomes = new Map<string, ClaimOutcome>();
    for (const row of result.rows) {
      if (!OUTCOMES.has(row.outcome)) throw new Error(`unexpected claim outcome '${row.outcome}'`);
      outcomes.set(row.event_id, row.outcome as ClaimOutcome);
    }
    return outcomes;
  }

  async completeAll(sent: readonly { readonly eventId: string; readonly messageId: string }[]): Promise<void> {
    if (sent.length === 0) return;
    await this.db.query(COMPLETE_ALL, [
      sent.map((s) => s.eventId),
      sent.map((s) => s.messageId),
      this.now().toISOString(),
    ]);
  }

  async release(eventId: string): Promise<void> {
    await this.db.query(RELEASE, [eventId]);
  }
}
