import { readdirSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ChargeStatus, PaymentServiceClient } from '../../lib/contracts/gen/shopfront/payment/v1/payment';
import { PostgresDatabase } from '../../lib/runtime/db';
import { callUnary } from '../../lib/runtime/grpc-client';
import { createLogger } from '../../lib/runtime/logger';
import { SCHEMA } from './config';
import { MIGRATIONS_DIR, start } from './main';

const url = process.env.TEST_DATABASE_URL;

if (url) {
  describe('payment-service replicas on PostgreSQL (DATABASE_URL)', () => {
    const admin = new PostgresDatabase(url, 'public');
    const dropSchema = () => admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);

    beforeEach(dropSchema);
    afterAll(async () => {
      await dropSchema();
      await admin.close();
    });

    it('migrates once when two replicas start together, and they answer one key with one charge and its refund', async () => {
      const logger = createLogger({ service: 'payment-service', level: 'silent' });
      const env = { GRPC_PORT: '0', METRICS_PORT: '0', DATABASE_URL: url, LOG_LEVEL: 'silent' };
      const replicas = await Promise.all([
        start({ env, logger, host: '127.0.0.1' }),
        start({ env, logger, host: '127.0.0.1' }),
      ]);
      const clients = replicas.map(
        (r) => new PaymentServiceClient(`127.0.0.1:${r.ports.grpc}`, grpc.credentials.createInsecure()),
      );
      const options = (rpc: string) => ({ peer: 'payment-service', rpc, timeoutMs: 10_000 });
      try {
        for (const replica of replicas) expect((await replica.health.report()).ready).toBe(true);
        const request = {
          idempotencyKey: 'order-42:charge',
          amount: { amount: 7300, currency: 'GBP' },
          paymentToken: 'tok_mastercard',
          orderId: 'order-42',
          customerId: 'customer-42',
        };
        const charges = await Promise.all(
          Array.from({ length: 20 }, (_, i) => {
            const client = clients[i % 2] as PaymentServiceClient;
            return callUnary(client, client.charge, request, options('Charge'));
          }),
        );
        expect(new Set(charges.map((c) => c.id)).size).toBe(1);
        expect(charges[0]?.status).toBe(ChargeStatus.CHARGE_STATUS_SUCCEEDED);
        const chargeId = charges[0]?.id ?? '';

        const [a, b] = clients as [PaymentServiceClient, PaymentServiceClient];
        const refund = { idempotencyKey: 'order-42:refund', chargeId, amount: undefined, reason: 'order cancelled' };
        const first = await callUnary(a, a.refund, refund, options('Refund'));
        expect(await callUnary(b, b.refund, refund, options('Refund'))).toEqual(first);
        expect((await callUnary(b, b.getCharge, { id: chargeId }, options('GetCharge'))).refunded).toEqual({
          amount: 7300,
          currency: 'GBP',
        });

        const rows = await admin.query<{ charges: number; refunds: number; migrations: number }>(
          `SELECT (SELECT count(*)::integer FROM ${SCHEMA}.charges) AS charges,
                  (SELECT count(*)::integer FROM ${SCHEMA}.refunds) AS refunds,
                  (SELECT count(*)::integer FROM ${SCHEMA}.schema_migrations) AS migrations`,
        );
        // Each migration applied once, however many replicas raced to apply it.
        const migrations = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length;
        expect(rows.rows[0]).toEqual({ charges: 1, refunds: 1, migrations });
      } finally {
        for (const client of clients) client.close();
        await Promise.all(replicas.map((r) => r.stop()));
      }
    });
  });
} else {
  describe.skip('payment-service replicas on PostgreSQL: TEST_DATABASE_URL is not set (run `npm run test:integration`)', () => {
    it('needs a real PostgreSQL', () => undefined);
  });
}
