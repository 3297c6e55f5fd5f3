import type { Database, Queryable } from '../../../lib/runtime/db';
import type { DeclineCode, ProcessorCharge } from '../domain/card-processor';
import type {
  ChargeRecord,
  ClaimResult,
  NewChargeClaim,
  NewRefundClaim,
  NewVoidedCharge,
  PaymentStore,
  RefundRecord,
} from '../domain/payments';

interface ChargeRow {
  id: string;
  idempotency_key: string;
  request_hash: string;
  order_id: string;
  customer_id: string;
  amount: number | string;
  currency: string;
  status: ChargeRecord['status'];
  decline_code: string | null;
  card_brand: string | null;
  card_last4: string | null;
  processor_charge_id: string | null;
  attempt: number;
  lease_until_ms: number | string;
  created_at_utc: string;
  refunded: number | string;
}

interface RefundRow {
  id: string;
  idempotency_key: string;
  request_hash: string;
  charge_id: string;
  amount: number | string;
  currency: string;
  reason: string;
  status: RefundRecord['status'];
  attempt: number;
  lease_until_ms: number | string;
  created_at_utc: string;
  processor_charge_id: string | null;
}

const UTC_RFC3339 = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
/** Epoch milliseconds in, timestamptz out; leases are compared in the service's clock, not the database's. */
const AT = (param: string) => `to_timestamp(${param}::double precision / 1000)`;

const CHARGE_COLUMNS = `c.id, c.idempotency_key, c.request_hash, c.order_id, c.customer_id, c.amount, c.currency,
  c.status, c.decline_code, c.card_brand, c.card_last4, c.processor_charge_id, c.attempt,
  (extract(epoch FROM c.lease_until) * 1000)::bigint AS lease_until_ms,
  to_char(c.created_at AT TIME ZONE 'UTC', ${UTC_RFC3339}) AS created_at_utc,
  (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.charge_id = c.id AND r.status = 'SUCCEEDED') AS refunded`;

const REFUND_COLUMNS = `r.id, r.idempotency_key, r.request_hash, r.charge_id, r.amount, c.currency, r.reason, r.status,
  r.attempt, (extract(epoch FROM r.lease_until) * 1000)::bigint AS lease_until_ms,
  to_char(r.created_at AT TIME ZONE 'UTC', ${UTC_RFC3339}) AS created_at_utc, c.processor_charge_id`;

function toChargeRecord(row: ChargeRow): ChargeRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    orderId: row.order_id,
    customerId: row.customer_id,
    amount: { amount: Number(row.amount), currency: row.currency },
    status: row.status,
    ...(row.decline_code ? { declineCode: row.decline_code as DeclineCode } : {}),
    ...(row.card_brand && row.card_last4 ? { card: { brand: row.card_brand, last4: row.card_last4 } } : {}),
    ...(row.processor_charge_id ? { processorChargeId: row.processor_charge_id } : {}),
    refunded: Number(row.refunded),
    attempt: row.attempt,
    leaseUntilMs: Number(row.lease_until_ms),
    createdAt: row.created_at_utc,
  };
}

function toRefundRecord(row: RefundRow): RefundRecord {
  if (!row.processor_charge_id) throw new Error(`refund ${row.id} belongs to a charge without a processor id`);
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    chargeId: row.charge_id,
    amount: { amount: Number(row.amount), currency: row.currency },
    reason: row.reason,
    status: row.status,
    processorChargeId: row.processor_charge_id,
    attempt: row.attempt,
    leaseUntilMs: Number(row.lease_until_ms),
    createdAt: row.created_at_utc,
  };
}

/** Charges and refunds in the service's schema, on any PostgreSQL (the embedded server or a managed one). */
export class PostgresPaymentStore implements PaymentStore {
  constructor(private readonly db: Database) {}

  claimCharge(claim: NewChargeClaim): Promise<ClaimResult<ChargeRecord>> {
    return this.insertCharge(claim, 'PENDING', claim.leaseUntilMs);
  }

  voidCharge(voided: NewVoidedCharge): Promise<ClaimResult<ChargeRecord>> {
    return this.insertCharge(voided, 'VOIDED');
  }

  /**
   * The row of a new key: PENDING under a lease, or VOIDED (done at once, no lease). Its own statement (its
   * own transaction): a concurrent twin, or a charge and a void of one key, block on the unique key until the
   * first commits; the other inserts nothing and reads the committed row.
   */
  private async insertCharge(
    claim: NewVoidedCharge,
    status: 'PENDING' | 'VOIDED',
    leaseUntilMs?: number,
  ): Promise<ClaimResult<ChargeRecord>> {
    const inserted = await this.db.query<{ created_at_utc: string; lease_until_ms: number | string }>(
      `INSERT INTO charges (id, idempotency_key, request_hash, order_id, customer_id, amount, currency, status,
         lease_until, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce(${AT('$9')}, now()), CASE WHEN $8 = 'VOIDED' THEN now() END)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING to_char(created_at AT TIME ZONE 'UTC', ${UTC_RFC3339}) AS created_at_utc,
         (extract(epoch FROM lease_until) * 1000)::bigint AS lease_until_ms`,
      [
        claim.id,
        claim.idempotencyKey,
        claim.requestHash,
        claim.orderId,
        claim.customerId,
        claim.amount.amount,
        claim.amount.currency,
        status,
        leaseUntilMs ?? null,
      ],
    );
    const created = inserted.rows[0];
    if (created) {
      return {
        kind: 'claimed',
        record: {
          id: claim.id,
          idempotencyKey: claim.idempotencyKey,
          requestHash: claim.requestHash,
          orderId: claim.orderId,
          customerId: claim.customerId,
          amount: claim.amount,
          status,
          refunded: 0,
          attempt: 1,
          leaseUntilMs: leaseUntilMs ?? Number(created.lease_until_ms),
          createdAt: created.created_at_utc,
        },
      };
    }
    const existing = await this.db.query<ChargeRow>(
      `SELECT ${CHARGE_COLUMNS} FROM charges c WHERE c.idempotency_key = $1`,
      [claim.idempotencyKey],
    );
    const row = existing.rows[0];
    return row ? { kind: 'existing', record: toChargeRecord(row) } : { kind: 'vanished' };
  }

  async retakeCharge(id: string, attempt: number, nowMs: number, leaseUntilMs: number) {
    // One statement: of several retries racing for an expired claim, the row lock lets exactly one through.
    const taken = await this.db.query<ChargeRow>(
      `UPDATE charges AS c SET attempt = c.attempt + 1, lease_until = ${AT('$4')}
       WHERE c.id = $1 AND c.status = 'PENDING' AND c.attempt = $2 AND c.lease_until <= ${AT('$3')}
       RETURNING ${CHARGE_COLUMNS}`,
      [id, attempt, nowMs, leaseUntilMs],
    );
    const row = taken.rows[0];
    return row ? toChargeRecord(row) : undefined;
  }

  async completeCharge(id: string, outcome: ProcessorCharge): Promise<ChargeRecord> {
    // Whoever records first wins, and reads its record back in the same statement; a late owner of the same
    // claim has the same outcome (the processor deduplicated its call), so it simply reads what is there.
    const completed = await this.db.query<ChargeRow>(
      `UPDATE charges AS c SET status = $2, decline_code = $3, card_brand = $4, card_last4 = $5,
         processor_charge_id = $6, completed_at = now()
       WHERE c.id = $1 AND c.status = 'PENDING'
       RETURNING ${CHARGE_COLUMNS}`,
      [
        id,
        outcome.status,
        outcome.status === 'DECLINED' ? outcome.declineCode : null,
        outcome.card.brand,
        outcome.card.last4,
        outcome.processorChargeId,
      ],
    );
    const first = completed.rows[0];
    const record = first ? toChargeRecord(first) : await this.getCharge(id);
    if (!record || record.status === 'PENDING') throw new Error(`charge ${id} could not be completed`);
    return record;
  }

  abandonCharge(id: string, attempt: number): Promise<void> {
    return this.abandonClaim('charges', id, attempt);
  }

  expireCharge(id: string, attempt: number, nowMs: number): Promise<void> {
    return this.expireClaim('charges', id, attempt, nowMs);
  }

  /** Gives up a claim this attempt holds: the pending row goes, so the next attempt starts afresh. */
  private async abandonClaim(table: 'charges' | 'refunds', id: string, attempt: number): Promise<void> {
    await this.db.query(`DELETE FROM ${table} WHERE id = $1 AND status = 'PENDING' AND attempt = $2`, [id, attempt]);
  }

  /** Ends this attempt's lease at `nowMs`, so another attempt may take the claim over at once. */
  private async expireClaim(table: 'charges' | 'refunds', id: string, attempt: number, nowMs: number): Promise<void> {
    await this.db.query(
      `UPDATE ${table} SET lease_until = ${AT('$3')} WHERE id = $1 AND status = 'PENDING' AND attempt = $2`,
      [id, attempt, nowMs],
    );
  }

  async getCharge(id: string): Promise<ChargeRecord | undefined> {
    const result = await this.db.query<ChargeRow>(`SELECT ${CHARGE_COLUMNS} FROM charges c WHERE c.id = $1`, [id]);
    const row = result.rows[0];
    return row ? toChargeRecord(row) : undefined;
  }

  claimRefund(claim: NewRefundClaim): Promise<ClaimResult<RefundRecord>> {
    return this.db.transaction(async (tx) => {
      const replay = await this.refundByKey(tx, claim.idempotencyKey);
      if (replay) return { kind: 'existing', record: replay };
      // The charge's row lock serializes refunds of one charge: each sees the refunds committed before it.
      const charge = await tx.query<{ status: ChargeRecord['status']; amount: number | string; currency: string }>(
        'SELECT status, amount, currency FROM charges WHERE id = $1 FOR UPDATE',
        [claim.chargeId],
      );
      // A twin of this request may have committed while this one waited for the lock.
      const twin = await this.refundByKey(tx, claim.idempotencyKey);
      if (twin) return { kind: 'existing', record: twin };
      const reserved = await tx.query<{ total: number | string }>(
        'SELECT coalesce(sum(amount), 0) AS total FROM refunds WHERE charge_id = $1',
        [claim.chargeId],
      );
      const row = charge.rows[0];
      const amount = claim.amountFor(
        row && { status: row.status, amount: { amount: Number(row.amount), currency: row.currency } },
        Number(reserved.rows[0]?.total ?? 0),
      );
      const inserted = await tx.query(
        `INSERT INTO refunds (id, idempotency_key, request_hash, charge_id, amount, reason, status, lease_until)
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', ${AT('$7')})
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        [claim.id, claim.idempotencyKey, claim.requestHash, claim.chargeId, amount, claim.reason, claim.leaseUntilMs],
      );
      if (inserted.rows.length === 0) {
        // The key was just taken by a refund of another charge.
        const other = await this.refundByKey(tx, claim.idempotencyKey);
        return other ? { kind: 'existing', record: other } : { kind: 'vanished' };
      }
      const record = await this.refundById(tx, claim.id);
      if (!record) throw new Error(`refund ${claim.id} was inserted but cannot be read`);
      return { kind: 'claimed', record };
    });
  }

  async retakeRefund(id: string, attempt: number, nowMs: number, leaseUntilMs: number) {
    const taken = await this.db.query(
      `UPDATE refunds SET attempt = attempt + 1, lease_until = ${AT('$4')}
       WHERE id = $1 AND status = 'PENDING' AND attempt = $2 AND lease_until <= ${AT('$3')} RETURNING id`,
      [id, attempt, nowMs, leaseUntilMs],
    );
    return taken.rows.length > 0 ? this.refundById(this.db, id) : undefined;
  }

  async completeRefund(id: string, processorRefundId: string): Promise<RefundRecord> {
    await this.db.query(
      `UPDATE refunds SET status = 'SUCCEEDED', processor_refund_id = $2, completed_at = now()
       WHERE id = $1 AND status = 'PENDING'`,
      [id, processorRefundId],
    );
    const record = await this.refundById(this.db, id);
    if (record?.status !== 'SUCCEEDED') throw new Error(`refund ${id} could not be completed`);
    return record;
  }

  abandonRefund(id: string, attempt: number): Promise<void> {
    return this.abandonClaim('refunds', id, attempt);
  }

  expireRefund(id: string, attempt: number, nowMs: number): Promise<void> {
    return this.expireClaim('refunds', id, attempt, nowMs);
  }

  private refundByKey(q: Queryable, key: string): Promise<RefundRecord | undefined> {
    return this.refundWhere(q, 'r.idempotency_key', key);
  }

  private refundById(q: Queryable, id: string): Promise<RefundRecord | undefined> {
    return this.refundWhere(q, 'r.id', id);
  }

  private async refundWhere(q: Queryable, column: 'r.id' | 'r.idempotency_key', value: string) {
    const result = await q.query<RefundRow>(
      `SELECT ${REFUND_COLUMNS} FROM refunds r JOIN charges c ON c.id = r.charge_id WHERE ${column} = $1`,
      [value],
    );
    const row = result.rows[0];
    return row ? toRefundRecord(row) : undefined;
  }
}
