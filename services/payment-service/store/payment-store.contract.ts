import { randomUUID } from 'node:crypto';
import type { Database } from '../../../lib/runtime/db';
import { DomainError, FailedPreconditionError } from '../../../lib/runtime/errors';
import { createLogger } from '../../../lib/runtime/logger';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import { MockCardProcessor } from '../adapters/mock-card-processor';
import { type ChargeInput, chargeFingerprint, parseChargeInput, type RefundInput } from '../domain/payment';
import { Payments, type PaymentsOptions } from '../domain/payments';
import { MIGRATIONS_DIR } from '../main';
import { CountingProcessor, gate, ManualClock } from '../test-support/fakes';
import { PostgresPaymentStore } from './payment-store';

/** How a test file provides databases: a fresh database of the test run's PostgreSQL, or TEST_DATABASE_URL's. */
export interface DatabaseHarness {
  setup?(): Promise<void>;
  /** A database over `schema`; each call may be a separate pool (a separate replica). */
  open(schema: string): Database;
  teardown?(): Promise<void>;
}

const log = createLogger({ service: 'payment-service-test', level: 'silent' });
const migrations = loadMigrations(MIGRATIONS_DIR);
const LEASE_MS = 30_000;

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Waits (without asserting any duration) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('the condition never held');
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What the payment store and the idempotency protocol on top of it must guarantee on every database it runs
 * on: each outcome recorded once, replays without processor calls, key reuse refused, one processor charge for
 * any number of concurrent or retried identical requests (crashes included), refunds never above the charge.
 */
export function describePaymentStoreContract(name: string, harness: DatabaseHarness): void {
  describe(`payment store and idempotency on ${name}`, () => {
    let opened: { schema: string; db: Database }[] = [];
    let input: ChargeInput;

    const openSchema = (schema: string) => {
      const db = harness.open(schema);
      opened.push({ schema, db });
      return db;
    };

    /** A fresh, migrated schema; Payments instances over it ("replicas") share one processor and clock. */
    async function environment(options: Partial<PaymentsOptions> = {}) {
      const schema = `payments_t${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const db = openSchema(schema);
      await migrate(db, migrations, log);
      const mock = new MockCardProcessor({ slowTokenDelayMs: 0 });
      const processor = new CountingProcessor(mock);
      const clock = new ManualClock();
      const store = new PostgresPaymentStore(db);
      const replica = (database: Database = openSchema(schema)) =>
        new Payments(new PostgresPaymentStore(database), processor, {
          processorTimeoutMs: 10_000,
          inProgressWaitMs: 10_000,
          claimLeaseMs: LEASE_MS,
          now: clock.now,
          ...options,
        });
      const count = async (table: string) =>
        Number((await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`)).rows[0]?.n);
      /** Opens every connection of a pool now, so concurrent calls race in the database, not in connecting. */
      const warm = (database: Database) =>
        Promise.all(Array.from({ length: 10 }, () => database.query('SELECT pg_sleep(0.01)')));
      return {
        db,
        store,
        mock,
        processor,
        clock,
        payments: replica(db),
        replica,
        count,
        warm,
        open: () => openSchema(schema),
      };
    }

    beforeAll(async () => {
      await harness.setup?.();
    });

    beforeEach(() => {
      const order = randomUUID();
      input = {
        idempotencyKey: `order-${order}:charge`,
        amount: { amount: 1000, currency: 'EUR' },
        paymentToken: 'tok_visa',
        orderId: `order-${order}`,
        customerId: 'customer-1',
      };
    });

    afterEach(async () => {
      const schemas = [...new Set(opened.map((o) => o.schema))];
      const first = opened[0]?.db;
      for (const schema of schemas) await first?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await Promise.all(opened.map((o) => o.db.close()));
      opened = [];
    });

    afterAll(async () => {
      await harness.teardown?.();
    });

    describe('charges', () => {
      it.each([
        ['tok_visa', 'SUCCEEDED', undefined, 'visa', '4242'],
        ['tok_mastercard', 'SUCCEEDED', undefined, 'mastercard', '4444'],
        ['tok_chargeDeclined', 'DECLINED', 'card_declined', 'visa', '0002'],
        ['tok_chargeDeclinedInsufficientFunds', 'DECLINED', 'insufficient_funds', 'visa', '9995'],
        ['tok_chargeDeclinedProcessingError', 'DECLINED', 'processing_error', 'visa', '0119'],
      ])('records %s as %s (%s), card %s %s, and GetCharge returns it', async (token, status, code, brand, last4) => {
        const { payments } = await environment();
        const charge = await payments.charge({ ...input, paymentToken: token }, log);
        expect(charge).toMatchObject({
          idempotencyKey: input.idempotencyKey,
          orderId: input.orderId,
          customerId: input.customerId,
          amount: input.amount,
          status,
          card: { brand, last4 },
          refunded: { amount: 0, currency: 'EUR' },
        });
        expect(charge.declineCode).toBe(code);
        expect(charge.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(charge.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(await payments.getCharge(charge.id)).toEqual(charge);
      });

      it('refuses an unknown token as INVALID_ARGUMENT paymentToken and frees the key for a corrected request', async () => {
        const { payments, count } = await environment();
        const error = await rejection(payments.charge({ ...input, paymentToken: 'tok_unknown' }, log));
        expect([error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'paymentToken']);
        expect(await count('charges')).toBe(0);
        expect((await payments.charge(input, log)).status).toBe('SUCCEEDED');
      });

      it('replays a charge for the same key and request: the first result, the processor called once', async () => {
        const { payments, processor, count } = await environment();
        const first = await payments.charge(input, log);
        const again = await payments.charge({ ...input }, log);
        expect(again).toEqual(first);
        expect(processor.chargeCalls).toBe(1);
        expect(await count('charges')).toBe(1);
      });

      it('replays a decline as the same decline, without asking the processor again', async () => {
        const { payments, processor } = await environment();
        const declined = { ...input, paymentToken: 'tok_chargeDeclinedInsufficientFunds' };
        const first = await payments.charge(declined, log);
        expect(first.status).toBe('DECLINED');
        expect(await payments.charge(declined, log)).toEqual(first);
        expect(processor.chargeCalls).toBe(1);
      });

      it.each<[string, Partial<ChargeInput>]>([
        ['another amount', { amount: { amount: 1001, currency: 'EUR' } }],
        ['another currency', { amount: { amount: 1000, currency: 'USD' } }],
        ['another token', { paymentToken: 'tok_mastercard' }],
        ['another order', { orderId: 'order-other' }],
        ['another customer', { customerId: 'customer-2' }],
      ])('refuses the key reused with %s (IDEMPOTENCY_KEY_REUSED), charging nothing more', async (_case, change) => {
        const { payments, processor } = await environment();
        const first = await payments.charge(input, log);
        const error = await rejection(payments.charge({ ...input, ...change }, log));
        expect([error.code, error.field, error.reason]).toEqual([
          'INVALID_ARGUMENT',
          'idempotencyKey',
          'IDEMPOTENCY_KEY_REUSED',
        ]);
        expect(processor.chargeCalls).toBe(1);
        expect(await payments.getCharge(first.id)).toEqual(first);
      });

      it('charges once for 20 concurrent identical requests over two replicas; every caller gets the same charge', async () => {
        let waits = 0;
        const release = gate();
        const env = await environment({
          // The processor answers only after the duplicates have found the claim PENDING and polled.
          sleep: (ms) => {
            waits += 1;
            if (waits >= 19) release.open();
            return pause(ms);
          },
        });
        env.processor.hold = release.promise;
        const other = env.open();
        await Promise.all([env.warm(env.db), env.warm(other)]);
        const replicas = [env.payments, env.replica(other)];
        const charges = await Promise.all(
          Array.from({ length: 20 }, (_, i) => replicas[i % 2]?.charge({ ...input }, log)),
        );
        expect(env.processor.chargeCalls).toBe(1);
        expect(env.mock.charges).toHaveLength(1);
        expect(new Set(charges.map((c) => c?.id)).size).toBe(1);
        expect(charges.every((c) => c?.status === 'SUCCEEDED')).toBe(true);
        expect(await env.count('charges')).toBe(1);
        expect(waits).toBeGreaterThanOrEqual(19);
      });

      it('answers UNAVAILABLE "charge in progress" when the original outlasts the wait, then the outcome', async () => {
        const { payments, processor } = await environment({ inProgressWaitMs: 50 });
        const release = gate();
        processor.hold = release.promise;
        const original = payments.charge(input, log);
        await until(() => processor.chargeCalls === 1);
        const error = await rejection(payments.charge(input, log));
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toMatch(/charge in progress/);
        release.open();
        const charge = await original;
        expect(await payments.charge(input, log)).toEqual(charge);
        expect(processor.chargeCalls).toBe(1);
      });

      it('keeps malformed idempotency keys out at the schema: empty, over 255 characters, outside A-Z a-z 0-9 . _ : -', async () => {
        const env = await environment();
        const command = parseChargeInput(input);
        const claim = (idempotencyKey: string) =>
          env.store.claimCharge({
            id: randomUUID(),
            idempotencyKey,
            requestHash: chargeFingerprint(command),
            orderId: command.orderId,
            customerId: command.customerId,
            amount: command.amount,
            leaseUntilMs: env.clock.now() + LEASE_MS,
          });
        for (const key of ['', 'k'.repeat(256), 'with space', 'ключ']) {
          await expect(claim(key)).rejects.toThrow(/charges_idempotency_key_check/);
        }
        for (const key of ['k'.repeat(255), 'A-z_0.9:x']) expect((await claim(key)).kind).toBe('claimed');
      });

      it('takes over a crashed claim after its lease, under the same processor key, and never charges twice', async () => {
        const env = await environment({ inProgressWaitMs: 50 });
        const command = parseChargeInput(input);
        // A replica claims the key, the processor charges, and the replica dies before recording the outcome.
        const crashed = await env.store.claimCharge({
          id: randomUUID(),
          idempotencyKey: command.idempotencyKey,
          requestHash: chargeFingerprint(command),
          orderId: command.orderId,
          customerId: command.customerId,
          amount: command.amount,
          leaseUntilMs: env.clock.now() + LEASE_MS,
        });
        if (crashed.kind !== 'claimed') throw new Error('the claim should be new');
        const chargeId = crashed.record.id;
        await env.processor.charge({ ...command, idempotencyKey: chargeId });

        // Within the lease the claim may still be live: no takeover, no second processor call.
        expect((await rejection(env.payments.charge(input, log))).code).toBe('UNAVAILABLE');
        expect(env.processor.chargeCalls).toBe(1);

        env.clock.advance(LEASE_MS + 1);
        const retries = [env.payments, env.replica(), env.replica()];
        const charges = await Promise.all(retries.map((p) => p.charge(input, log)));
        expect(charges.map((c) => c.id)).toEqual([chargeId, chargeId, chargeId]);
        // Exactly one retry took the claim over and asked the processor again, with the same key...
        expect(env.processor.chargeKeys).toEqual([chargeId, chargeId]);
        // ...which the processor deduplicated: one charge.
        expect(env.mock.charges).toHaveLength(1);
        expect((await env.store.getCharge(chargeId))?.attempt).toBe(2);
      });

      it('answers UNAVAILABLE when the processor answer is lost; the retry completes the same charge, charged once', async () => {
        const { payments, processor, mock } = await environment();
        processor.loseNextChargeAnswer = true;
        const error = await rejection(payments.charge(input, log));
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toMatch(/retry with the same idempotency key/);
        const charge = await payments.charge(input, log);
        expect(charge.status).toBe('SUCCEEDED');
        expect(processor.chargeKeys).toEqual([charge.id, charge.id]);
        expect(mock.charges).toHaveLength(1);
      });

      it('treats a processor that does not answer in time as unknown; the retry gets the same charge', async () => {
        const { payments, processor, mock } = await environment({ processorTimeoutMs: 50 });
        const release = gate();
        processor.hold = release.promise;
        expect((await rejection(payments.charge(input, log))).code).toBe('UNAVAILABLE');
        release.open();
        processor.hold = undefined;
        const charge = await payments.charge(input, log);
        expect(charge.status).toBe('SUCCEEDED');
        await until(() => mock.charges.length === 1 && processor.chargeCalls === 2);
        expect(mock.charges).toHaveLength(1);
      });

      it('finds no charge for an unknown id, nor for one still pending, and rejects a malformed id', async () => {
        const { payments, processor } = await environment();
        expect(await rejection(payments.getCharge(randomUUID()))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
        expect(await rejection(payments.getCharge('42'))).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'id' });
        const release = gate();
        processor.hold = release.promise;
        const pending = payments.charge(input, log);
        await until(() => processor.chargeCalls === 1);
        const chargeId = processor.chargeKeys[0] ?? '';
        expect(await rejection(payments.getCharge(chargeId))).toMatchObject({ code: 'NOT_FOUND' });
        release.open();
        expect((await pending).id).toBe(chargeId);
        expect((await payments.getCharge(chargeId)).status).toBe('SUCCEEDED');
      });
    });

    describe('voids', () => {
      /** A crashed owner's claim of `request`, PENDING under a lease that runs until LEASE_MS from now. */
      async function crashedClaim(env: Awaited<ReturnType<typeof environment>>, request: ChargeInput) {
        const command = parseChargeInput(request);
        const claim = await env.store.claimCharge({
          id: randomUUID(),
          idempotencyKey: command.idempotencyKey,
          requestHash: chargeFingerprint(command),
          orderId: command.orderId,
          customerId: command.customerId,
          amount: command.amount,
          leaseUntilMs: env.clock.now() + LEASE_MS,
        });
        if (claim.kind !== 'claimed') throw new Error('the claim should be new');
        return { command, chargeId: claim.record.id };
      }

      it('records a key no charge was made under as VOIDED, a full row, without asking the processor', async () => {
        const { payments, processor, db } = await environment();
        const voided = await payments.voidCharge(input, log);
        expect(voided).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          idempotencyKey: input.idempotencyKey,
          orderId: input.orderId,
          customerId: input.customerId,
          amount: input.amount,
          status: 'VOIDED',
          refunded: { amount: 0, currency: 'EUR' },
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        });
        expect(processor.chargeCalls).toBe(0);
        expect(await payments.getCharge(voided.id)).toEqual(voided);
        const row = await db.query<Record<string, unknown>>(
          `SELECT status, request_hash, processor_charge_id, card_brand, completed_at IS NOT NULL AS completed
             FROM charges WHERE idempotency_key = $1`,
          [input.idempotencyKey],
        );
        expect(row.rows).toEqual([
          {
            status: 'VOIDED',
            request_hash: chargeFingerprint(parseChargeInput(input)),
            processor_charge_id: null,
            card_brand: null,
            completed: true,
          },
        ]);
        // Voiding again answers the same VOIDED result.
        expect(await payments.voidCharge({ ...input }, log)).toEqual(voided);
      });

      it('answers a Charge of a voided key with the VOIDED result and never charges; another request is IDEMPOTENCY_KEY_REUSED', async () => {
        const { payments, processor, mock, count } = await environment();
        const voided = await payments.voidCharge(input, log);
        expect(await payments.charge(input, log)).toEqual(voided);
        const error = await rejection(payments.charge({ ...input, amount: { amount: 999, currency: 'EUR' } }, log));
        expect([error.code, error.field, error.reason]).toEqual([
          'INVALID_ARGUMENT',
          'idempotencyKey',
          'IDEMPOTENCY_KEY_REUSED',
        ]);
        expect(processor.chargeCalls).toBe(0);
        expect(mock.charges).toHaveLength(0);
        expect(await count('charges')).toBe(1);
      });

      it.each([
        ['tok_visa', 'SUCCEEDED'],
        ['tok_chargeDeclined', 'DECLINED'],
      ])(
        'returns a finished charge (%s) as it stands, %s, without asking the processor again',
        async (token, status) => {
          const { payments, processor } = await environment();
          const request = { ...input, paymentToken: token };
          const charge = await payments.charge(request, log);
          expect(await payments.voidCharge(request, log)).toEqual(charge);
          expect(charge.status).toBe(status);
          expect(processor.chargeCalls).toBe(1);
          expect(await payments.getCharge(charge.id)).toEqual(charge);
        },
      );

      it('refuses a void of the key with another request (IDEMPOTENCY_KEY_REUSED), leaving the charge as it is', async () => {
        const { payments } = await environment();
        const charge = await payments.charge(input, log);
        const error = await rejection(payments.voidCharge({ ...input, customerId: 'customer-2' }, log));
        expect([error.code, error.field, error.reason]).toEqual([
          'INVALID_ARGUMENT',
          'idempotencyKey',
          'IDEMPOTENCY_KEY_REUSED',
        ]);
        expect(await payments.getCharge(charge.id)).toEqual(charge);
      });

      it('validates a void like a charge, naming the field, and records nothing', async () => {
        const { payments, count } = await environment();
        const error = await rejection(payments.voidCharge({ ...input, amount: { amount: 0, currency: 'EUR' } }, log));
        expect([error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'amount.amount']);
        expect(await count('charges')).toBe(0);
      });

      it('answers UNAVAILABLE "charge in progress" at once while the charge is with the processor; then the charge', async () => {
        let waits = 0;
        const { payments, processor } = await environment({
          sleep: (ms) => {
            waits += 1;
            return pause(ms);
          },
        });
        const release = gate();
        processor.hold = release.promise;
        const charging = payments.charge(input, log);
        await until(() => processor.chargeCalls === 1);
        const error = await rejection(payments.voidCharge(input, log));
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toMatch(/charge in progress; retry with the same idempotency key/);
        // Answered without waiting for the charge (the caller retries later).
        expect(waits).toBe(0);
        release.open();
        const charge = await charging;
        expect(await payments.voidCharge(input, log)).toEqual(charge);
        expect(processor.chargeCalls).toBe(1);
      });

      it('completes a claim whose owner crashed, after its lease, under the same processor key, and returns it', async () => {
        const env = await environment();
        const { command, chargeId } = await crashedClaim(env, input);
        // The owner's processor call charged; the owner died before recording it.
        await env.processor.charge({ ...command, idempotencyKey: chargeId });

        expect((await rejection(env.payments.voidCharge(input, log))).code).toBe('UNAVAILABLE');
        env.clock.advance(LEASE_MS + 1);
        const settled = await env.payments.voidCharge(input, log);
        expect(settled).toMatchObject({ id: chargeId, status: 'SUCCEEDED' });
        expect(env.processor.chargeKeys).toEqual([chargeId, chargeId]);
        expect(env.mock.charges).toHaveLength(1);
        expect(await env.payments.charge(input, log)).toEqual(settled);
      });

      it('voids the key when the processor refuses a crashed claim the void completes: nothing was charged', async () => {
        const env = await environment();
        const refused = { ...input, paymentToken: 'tok_unknown' };
        const { chargeId } = await crashedClaim(env, refused);
        env.clock.advance(LEASE_MS + 1);
        const voided = await env.payments.voidCharge(refused, log);
        expect(voided.status).toBe('VOIDED');
        expect(voided.id).not.toBe(chargeId);
        expect(env.processor.chargeKeys).toEqual([chargeId]);
        expect(env.mock.charges).toHaveLength(0);
        expect(await env.count('charges')).toBe(1);
      });

      it('answers UNAVAILABLE when completing a crashed claim finds the processor away; a later void gets the charge', async () => {
        const env = await environment();
        const { chargeId } = await crashedClaim(env, input);
        env.clock.advance(LEASE_MS + 1);
        env.processor.loseNextChargeAnswer = true;
        const error = await rejection(env.payments.voidCharge(input, log));
        expect(error.code).toBe('UNAVAILABLE');
        const settled = await env.payments.voidCharge(input, log);
        expect(settled).toMatchObject({ id: chargeId, status: 'SUCCEEDED' });
        expect(env.mock.charges).toHaveLength(1);
      });

      it('a void racing a charge of each of 20 keys over two replicas: charged and returned by the void, or voided and the charge answers VOIDED; never charged after a void', async () => {
        const env = await environment();
        const other = env.open();
        await Promise.all([env.warm(env.db), env.warm(other)]);
        const [charger, voider] = [env.payments, env.replica(other)];
        const requests = Array.from({ length: 20 }, (_, i) => ({
          ...input,
          idempotencyKey: `${input.idempotencyKey}-${i}`,
        }));
        const races = await Promise.all(
          requests.map(async (request, i) => {
            const charge = () => charger.charge(request, log);
            const voiding = () => voider.voidCharge(request, log);
            // Half the races start the void first.
            const [charged, voided] =
              i % 2 === 0
                ? await Promise.allSettled([charge(), voiding()])
                : await Promise.allSettled([voiding(), charge()]).then(([v, c]) => [c, v] as const);
            if (charged?.status !== 'fulfilled') throw new Error(`the charge of race ${i} failed`);
            if (voided?.status === 'rejected') {
              // The void came while the charge was with the processor: in progress, and a retry gets the charge.
              expect(voided.reason).toMatchObject({ code: 'UNAVAILABLE' });
              return { charged: charged.value, voided: await voider.voidCharge(request, log) };
            }
            return { charged: charged.value, voided: voided?.value };
          }),
        );
        for (const { charged, voided } of races) {
          expect(voided).toEqual(charged);
          expect(['SUCCEEDED', 'VOIDED']).toContain(charged.status);
        }
        const made = races.filter((r) => r.charged.status === 'SUCCEEDED').map((r) => r.charged.id);
        // The processor saw exactly the keys that were charged, each once: none of a voided key, before or after.
        expect([...env.processor.chargeKeys].sort()).toEqual([...made].sort());
        expect(env.mock.charges).toHaveLength(made.length);
        expect(await env.count('charges')).toBe(20);
        // A charge arriving late for any of them changes nothing.
        for (const [i, request] of requests.entries()) {
          expect(await charger.charge(request, log)).toEqual(races[i]?.charged);
        }
        expect(env.processor.chargeCalls).toBe(made.length);
      });
    });

    describe('refunds', () => {
      const refundOf = (chargeId: string, change: Partial<RefundInput> = {}): RefundInput => ({
        idempotencyKey: `refund-${randomUUID()}`,
        chargeId,
        amount: undefined,
        reason: 'requested_by_customer',
        ...change,
      });
      const eur = (amount: number) => ({ amount, currency: 'EUR' });

      it('refunds the whole charge when no amount is given', async () => {
        const { payments } = await environment();
        const charge = await payments.charge(input, log);
        const refund = await payments.refund(refundOf(charge.id), log);
        expect(refund).toMatchObject({ chargeId: charge.id, amount: eur(1000), reason: 'requested_by_customer' });
        expect(refund.id).not.toBe(charge.id);
        expect((await payments.getCharge(charge.id)).refunded).toEqual(eur(1000));
      });

      it('refunds in parts, then the remainder by default, then refuses anything more', async () => {
        const { payments } = await environment();
        const charge = await payments.charge(input, log);
        await payments.refund(refundOf(charge.id, { amount: eur(300) }), log);
        await payments.refund(refundOf(charge.id, { amount: eur(200) }), log);
        expect((await payments.getCharge(charge.id)).refunded).toEqual(eur(500));
        expect((await payments.refund(refundOf(charge.id), log)).amount).toEqual(eur(500));
        const error = await rejection(payments.refund(refundOf(charge.id, { amount: eur(1) }), log));
        expect([error.code, error.reason]).toEqual(['FAILED_PRECONDITION', 'REFUND_EXCEEDS_CHARGE']);
        expect((await payments.getCharge(charge.id)).refunded).toEqual(eur(1000));
      });

      it('refuses a refund above the charge (REFUND_EXCEEDS_CHARGE) without asking the processor', async () => {
        const { payments, processor } = await environment();
        const charge = await payments.charge(input, log);
        await payments.refund(refundOf(charge.id, { amount: eur(600) }), log);
        const error = await rejection(payments.refund(refundOf(charge.id, { amount: eur(401) }), log));
        expect([error.code, error.reason, error.field]).toEqual([
          'FAILED_PRECONDITION',
          'REFUND_EXCEEDS_CHARGE',
          'amount.amount',
        ]);
        expect(processor.refundCalls).toBe(1);
        expect((await payments.getCharge(charge.id)).refunded).toEqual(eur(600));
      });

      it('refuses to refund a voided charge (CHARGE_NOT_REFUNDABLE)', async () => {
        const { payments, processor } = await environment();
        const voided = await payments.voidCharge(input, log);
        const error = await rejection(payments.refund(refundOf(voided.id), log));
        expect([error.code, error.reason, error.field]).toEqual([
          'FAILED_PRECONDITION',
          'CHARGE_NOT_REFUNDABLE',
          'chargeId',
        ]);
        expect(error.message).toMatch(/voided/);
        expect(processor.refundCalls).toBe(0);
      });

      it('refuses to refund a declined charge', async () => {
        const { payments, processor } = await environment();
        const declined = await payments.charge({ ...input, paymentToken: 'tok_chargeDeclined' }, log);
        const error = await rejection(payments.refund(refundOf(declined.id), log));
        expect([error.code, error.reason, error.field]).toEqual([
          'FAILED_PRECONDITION',
          'CHARGE_NOT_REFUNDABLE',
          'chargeId',
        ]);
        expect(processor.refundCalls).toBe(0);
      });

      it('replays a refund for the same key and request, even once nothing remains to refund', async () => {
        const { payments, processor, count } = await environment();
        const charge = await payments.charge(input, log);
        const request = refundOf(charge.id);
        const first = await payments.refund(request, log);
        expect(await payments.refund({ ...request }, log)).toEqual(first);
        expect(processor.refundCalls).toBe(1);
        expect(await count('refunds')).toBe(1);
      });

      it('refuses a refund key reused with another amount (IDEMPOTENCY_KEY_REUSED)', async () => {
        const { payments } = await environment();
        const charge = await payments.charge(input, log);
        const request = refundOf(charge.id, { amount: eur(100) });
        await payments.refund(request, log);
        const error = await rejection(payments.refund({ ...request, amount: eur(200) }, log));
        expect([error.code, error.field, error.reason]).toEqual([
          'INVALID_ARGUMENT',
          'idempotencyKey',
          'IDEMPOTENCY_KEY_REUSED',
        ]);
        expect((await payments.getCharge(charge.id)).refunded).toEqual(eur(100));
      });

      it('answers NOT_FOUND chargeId for an unknown charge, INVALID_ARGUMENT for another currency', async () => {
        const { payments } = await environment();
        const missing = await rejection(payments.refund(refundOf(randomUUID()), log));
        expect([missing.code, missing.field]).toEqual(['NOT_FOUND', 'chargeId']);
        const charge = await payments.charge(input, log);
        const currency = await rejection(
          payments.refund(refundOf(charge.id, { amount: { amount: 100, currency: 'USD' } }), log),
        );
        expect([currency.code, currency.field]).toEqual(['INVALID_ARGUMENT', 'amount.currency']);
      });

      it('lets concurrent refunds over two replicas take at most the charge: 3 of 10 refunds of 300 from 1000', async () => {
        const env = await environment();
        const charge = await env.payments.charge(input, log);
        const other = env.open();
        await Promise.all([env.warm(env.db), env.warm(other)]);
        const replicas = [env.payments, env.replica(other)];
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => replicas[i % 2]?.refund(refundOf(charge.id, { amount: eur(300) }), log)),
        );
        const refused = results.filter((r) => r.status === 'rejected');
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
        for (const r of refused) {
          expect(r.status === 'rejected' && r.reason instanceof FailedPreconditionError && r.reason.reason).toBe(
            'REFUND_EXCEEDS_CHARGE',
          );
        }
        expect((await env.payments.getCharge(charge.id)).refunded).toEqual(eur(900));
        // The database refused the rest: the processor (which would also refuse) was never asked.
        expect(env.processor.refundCalls).toBe(3);
        expect(env.mock.charges[0]?.refunded).toBe(900);
      });

      it('refunds once for 10 concurrent identical full refunds; every caller gets the same refund', async () => {
        const env = await environment();
        const charge = await env.payments.charge(input, log);
        const request = refundOf(charge.id);
        const other = env.open();
        await Promise.all([env.warm(env.db), env.warm(other)]);
        const replicas = [env.payments, env.replica(other)];
        const refunds = await Promise.all(Array.from({ length: 10 }, (_, i) => replicas[i % 2]?.refund(request, log)));
        expect(new Set(refunds.map((r) => r?.id)).size).toBe(1);
        expect(env.processor.refundCalls).toBe(1);
        expect((await env.payments.getCharge(charge.id)).refunded).toEqual(eur(1000));
      });

      it('forgets a refund the processor refuses, so its amount is refundable again', async () => {
        const { payments, processor, count } = await environment();
        const charge = await payments.charge(input, log);
        processor.refuseNextRefund = new FailedPreconditionError('the card account is closed', 'ACCOUNT_CLOSED');
        const error = await rejection(payments.refund(refundOf(charge.id), log));
        expect(error.reason).toBe('ACCOUNT_CLOSED');
        expect(await count('refunds')).toBe(0);
        expect((await payments.refund(refundOf(charge.id), log)).amount).toEqual(eur(1000));
      });
    });
  });
}
