import type { Database } from '../../../lib/runtime/db';

export interface OutboxRow {
  readonly seq: number;
  readonly id: string;
  readonly key: string;
  readonly type: string;
  readonly payload: string;
  /** The W3C trace context the event was written in, when it was written in one. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface OutboxStats {
  /** Rows written and not yet published. */
  readonly unpublished: number;
  /** Age of the oldest of them, in seconds (0 when there are none). */
  readonly oldestAgeSeconds: number;
}

/** The relay's side of the outbox table (the saga writes rows through the order store, in its transactions). */
export interface OutboxStore {
  /**
   * Claims up to `limit` unpublished rows for `owner` for `claimMs`, oldest first, skipping rows another
   * relay holds and any row with an earlier unpublished row of the same key (so a key's events are
   * published in order even with several relays). Returned in seq order.
   */
  claim(owner: string, limit: number, claimMs: number): Promise<OutboxRow[]>;
  /** Marks the owner's claimed rows published, all in one statement. */
  markPublished(owner: string, ids: readonly string[]): Promise<void>;
  /** Gives the owner's claimed rows back (their publish failed) with the error, for the next attempt. */
  release(owner: string, ids: readonly string[], error: string): Promise<void>;
  stats(): Promise<OutboxStats>;
  /** Deletes rows published more than `hours` ago; returns how many. */
  purgePublished(hours: number): Promise<number>;
}

export class PostgresOutboxStore implements OutboxStore {
  constructor(private readonly db: Database) {}

  async claim(owner: string, limit: number, claimMs: number): Promise<OutboxRow[]> {
    // A short transaction: the claim (a lease on the rows) is what keeps other relays off while this one
    // publishes, so no transaction or connection is held across the broker call. FOR UPDATE SKIP LOCKED
    // keeps two relays claiming at the same moment from taking the same rows.
    const claimed = await this.db.query<{
      seq: number | string;
      id: string;
      message_key: string;
      event_type: string;
      payload: string;
      traceparent: string | null;
      tracestate: string | null;
    }>(
      `UPDATE outbox SET claimed_by = $1, claimed_until = now() + $2::integer * interval '1 millisecond',
         attempts = attempts + 1
       WHERE seq IN (
         SELECT o.seq FROM outbox o
         WHERE o.published_at IS NULL
           AND (o.claimed_until IS NULL OR o.claimed_until < now())
           AND NOT EXISTS (
             SELECT 1 FROM outbox e
             WHERE e.message_key = o.message_key AND e.published_at IS NULL AND e.seq < o.seq)
         ORDER BY o.seq LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING seq, id, message_key, event_type, payload, traceparent, tracestate`,
      [owner, claimMs, limit],
    );
    return claimed.rows
      .map((r) => ({
        seq: Number(r.seq),
        id: r.id,
        key: r.message_key,
        type: r.event_type,
        payload: r.payload,
        ...(r.traceparent ? { traceparent: r.traceparent } : {}),
        ...(r.tracestate ? { tracestate: r.tracestate } : {}),
      }))
      .sort((a, b) => a.seq - b.seq);
  }

  async markPublished(owner: string, ids: readonly string[]): Promise<void> {
    // One statement is its own transaction: all the rows or none, in one round trip.
    await this.db.query(
      `UPDATE outbox SET published_at = now(), claimed_by = NULL, claimed_until = NULL, last_error = NULL
       WHERE claimed_by = $1 AND id = ANY($2::uuid[]) AND published_at IS NULL`,
      [owner, [...ids]],
    );
  }

  async release(owner: string, ids: readonly string[], error: string): Promise<void> {
    await this.db.query(
      `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, last_error = $3
       WHERE claimed_by = $1 AND id = ANY($2::uuid[]) AND published_at IS NULL`,
      [owner, [...ids], error.slice(0, 500)],
    );
  }

  async stats(): Promise<OutboxStats> {
    const result = await this.db.query<{ unpublished: number; oldest: number | string | null }>(
      `SELECT count(*)::integer AS unpublished,
         EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest
       FROM outbox WHERE published_at IS NULL`,
    );
    const row = result.rows[0];
    return {
      unpublished: Number(row?.unpublished ?? 0),
      oldestAgeSeconds: row?.oldest == null ? 0 : Math.max(0, Number(row.oldest)),
    };
  }

  async purgePublished(hours: number): Promise<number> {
    const deleted = await this.db.query(
      `DELETE FROM outbox WHERE published_at < now() - $1::integer * interval '1 hour'`,
      [hours],
    );
    return deleted.rowCount;
  }
}
