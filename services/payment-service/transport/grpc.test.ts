import { BinaryWriter } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import {
  type ChargeRequest,
  type ChargeResult,
  ChargeStatus,
  PaymentServiceClient,
  type RefundRequest,
  type VoidChargeRequest,
} from '../../../lib/contracts/gen/shopfront/payment/v1/payment';
import { callUnary } from '../../../lib/runtime/grpc-client';
import { type RunningGrpcServer, startGrpcServer } from '../../../lib/runtime/grpc-server';
import { Health } from '../../../lib/runtime/health';
import { ServiceMetrics } from '../../../lib/runtime/metrics';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import { ERROR_FIELD_KEY, ERROR_REASON_KEY } from '../../../lib/runtime/status';
import { capturedLogger } from '../../../lib/runtime/test-support/logs';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { MockCardProcessor } from '../adapters/mock-card-processor';
import { paymentTimings, SCHEMA } from '../config';
import { Payments } from '../domain/payments';
import { MIGRATIONS_DIR } from '../main';
import { PostgresPaymentStore } from '../store/payment-store';
import { CountingProcessor } from '../test-support/fakes';
import { PROTO_FILES, PROTO_INCLUDE_DIRS, paymentGrpcService } from './grpc';

interface CallFailure {
  code: grpc.status;
  details: string;
  field?: string;
  reason?: string;
}

/** The status code, message and field/reason trailers of a failed call. */
async function failure(call: Promise<unknown>): Promise<CallFailure> {
  try {
    await call;
  } catch (error) {
    const e = error as grpc.ServiceError;
    const field = e.metadata.get(ERROR_FIELD_KEY)[0];
    const reason = e.metadata.get(ERROR_REASON_KEY)[0];
    return {
      code: e.code,
      details: e.details,
      ...(field === undefined ? {} : { field: String(field) }),
      ...(reason === undefined ? {} : { reason: String(reason) }),
    };
  }
  throw new Error('expected the call to fail');
}

const SLOW_TOKEN_DELAY_MS = 1000;

describe('payment-service gRPC API (real socket, generated client, PostgreSQL)', () => {
  const { logger, lines } = capturedLogger('payment-service');
  let database: TestDatabase;
  let processor: CountingProcessor;
  let payments: Payments;
  let server: RunningGrpcServer;
  let client: PaymentServiceClient;
  let sequence = 0;

  beforeAll(async () => {
    database = await freshDatabase();
    const db = database.schema(SCHEMA);
    await migrate(db, loadMigrations(MIGRATIONS_DIR), logger);
    processor = new CountingProcessor(new MockCardProcessor({ slowTokenDelayMs: SLOW_TOKEN_DELAY_MS }));
    payments = new Payments(new PostgresPaymentStore(db), processor, paymentTimings(SLOW_TOKEN_DELAY_MS));
    server = await startGrpcServer(
      0,
      {
        logger,
        metrics: new ServiceMetrics('payment-service', { defaults: false }),
        health: new Health(logger).add('postgres', () => db.ping()),
        services: [paymentGrpcService(payments)],
        protoFiles: PROTO_FILES,
        protoIncludeDirs: PROTO_INCLUDE_DIRS,
      },
      '127.0.0.1',
    );
    client = new PaymentServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await payments.settled();
    await database?.drop();
  });

  const options = (rpc: string, timeoutMs = 10_000) => ({ peer: 'payment-service', rpc, timeoutMs });
  const rpc = {
    charge: (request: ChargeRequest, timeoutMs?: number) =>
      callUnary(client, client.charge, request, options('Charge', timeoutMs)),
    void: (request: VoidChargeRequest) => callUnary(client, client.voidCharge, request, options('VoidCharge')),
    refund: (request: RefundRequest) => callUnary(client, client.refund, request, options('Refund')),
    get: (id: string) => callUnary(client, client.getCharge, { id }, options('GetCharge')),
  };

  const chargeRequest = (overrides: Partial<ChargeRequest> = {}): ChargeRequest => {
    sequence += 1;
    return {
      idempotencyKey: `order-${sequence}:charge`,
      amount: { amount: 4999, currency: 'EUR' },
      paymentToken: 'tok_visa',
      orderId: `order-${sequence}`,
      customerId: 'customer-7',
      ...overrides,
    };
  };
  const refundRequest = (chargeId: string, overrides: Partial<RefundRequest> = {}): RefundRequest => {
    sequence += 1;
    return { idempotencyKey: `refund-${sequence}`, chargeId, amount: undefined, reason: '', ...overrides };
  };
  const chargesUnder = async (key: string) =>
    Number(
      (
        await database.query<{ n: number }>(
          `SELECT count(*)::integer AS n FROM ${SCHEMA}.charges WHERE idempotency_key = $1`,
          [key],
        )
      ).rows[0]?.n,
    );

  describe('Charge', () => {
    it.each([
      ['tok_visa', 'SUCCEEDED', '', 'visa', '4242'],
      ['tok_mastercard', 'SUCCEEDED', '', 'mastercard', '4444'],
      ['tok_chargeDeclined', 'DECLINED', 'card_declined', 'visa', '0002'],
      ['tok_chargeDeclinedInsufficientFunds', 'DECLINED', 'insufficient_funds', 'visa', '9995'],
      ['tok_chargeDeclinedProcessingError', 'DECLINED', 'processing_error', 'visa', '0119'],
    ] as const)(
      'answers %s with %s, decline code "%s", card %s %s (a decline is a result, not an error)',
      async (token, outcome, declineCode, brand, last4) => {
        const status = ChargeStatus[`CHARGE_STATUS_${outcome}`];
        const request = chargeRequest({ paymentToken: token });
        const result = await rpc.charge(request);
        expect(result).toEqual<ChargeResult>({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          idempotencyKey: request.idempotencyKey,
          orderId: request.orderId,
          amount: { amount: 4999, currency: 'EUR' },
          status,
          declineCode,
          cardBrand: brand,
          cardLast4: last4,
          refunded: { amount: 0, currency: 'EUR' },
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        });
        expect(await rpc.get(result.id)).toEqual(result);
      },
    );

    it('answers an unknown token INVALID_ARGUMENT on paymentToken, without echoing it', async () => {
      const failed = await failure(rpc.charge(chargeRequest({ paymentToken: 'tok_doesNotExist' })));
      expect(failed).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, field: 'paymentToken' });
      expect(failed.details).not.toContain('tok_doesNotExist');
    });

    it.each<[string, Partial<ChargeRequest>, string]>([
      ['an empty idempotency key', { idempotencyKey: '' }, 'idempotencyKey'],
      ['an idempotency key with a space', { idempotencyKey: 'order 1' }, 'idempotencyKey'],
      ['no amount', { amount: undefined }, 'amount'],
      ['a zero amount', { amount: { amount: 0, currency: 'EUR' } }, 'amount.amount'],
      ['a negative amount', { amount: { amount: -5, currency: 'EUR' } }, 'amount.amount'],
      ['an amount above 10^12', { amount: { amount: 1e12 + 1, currency: 'EUR' } }, 'amount.amount'],
      ['no currency', { amount: { amount: 100, currency: '' } }, 'amount.currency'],
      ['a lower-case currency', { amount: { amount: 100, currency: 'usd' } }, 'amount.currency'],
      ['no payment token', { paymentToken: '' }, 'paymentToken'],
      ['no order id', { orderId: '' }, 'orderId'],
      ['an order id of 101 characters', { orderId: 'o'.repeat(101) }, 'orderId'],
      ['no customer id', { customerId: '' }, 'customerId'],
      ['a customer id with a NUL', { customerId: 'c\u00001' }, 'customerId'],
    ])('answers %s INVALID_ARGUMENT naming the field, charging nothing', async (_case, change, field) => {
      const calls = processor.chargeCalls;
      const failed = await failure(rpc.charge(chargeRequest(change)));
      expect(failed).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, field });
      expect(processor.chargeCalls).toBe(calls);
    });

    it('replays the same key and request with the first result; the processor is called once', async () => {
      const request = chargeRequest();
      const calls = processor.chargeCalls;
      const first = await rpc.charge(request);
      expect(await rpc.charge(request)).toEqual(first);
      expect(await rpc.charge(request)).toEqual(first);
      expect(processor.chargeCalls).toBe(calls + 1);
      expect(await chargesUnder(request.idempotencyKey)).toBe(1);
    });

    it('refuses the key with a different amount: INVALID_ARGUMENT, reason IDEMPOTENCY_KEY_REUSED', async () => {
      const request = chargeRequest();
      const first = await rpc.charge(request);
      const failed = await failure(rpc.charge({ ...request, amount: { amount: 5000, currency: 'EUR' } }));
      expect(failed).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'idempotencyKey',
        reason: 'IDEMPOTENCY_KEY_REUSED',
      });
      expect(await rpc.get(first.id)).toEqual(first);
    });

    it('charges once for 20 concurrent identical calls; all callers get the same charge id', async () => {
      const request = chargeRequest();
      const calls = processor.chargeCalls;
      const results = await Promise.all(Array.from({ length: 20 }, () => rpc.charge(request)));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(processor.chargeCalls).toBe(calls + 1);
      expect(await chargesUnder(request.idempotencyKey)).toBe(1);
    });

    it('tok_slow: a client deadline shorter than the delay is DEADLINE_EXCEEDED; retries with the key get the one charge', async () => {
      const request = chargeRequest({ paymentToken: 'tok_slow' });
      const calls = processor.chargeCalls;
      const timedOut = await failure(rpc.charge(request, SLOW_TOKEN_DELAY_MS / 10));
      expect(timedOut.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      // The server went on: a retry now waits for that same charge instead of starting another.
      const retried = await rpc.charge(request);
      expect(retried.status).toBe(ChargeStatus.CHARGE_STATUS_SUCCEEDED);
      // And once everything has finished, a later retry replays it.
      await payments.settled();
      expect(await rpc.charge(request)).toEqual(retried);
      expect(processor.chargeCalls).toBe(calls + 1);
      expect(await chargesUnder(request.idempotencyKey)).toBe(1);
    });
  });

  describe('VoidCharge', () => {
    it('voids a key nothing was charged under: VOIDED without a card; a later Charge of it answers the same, charging nothing', async () => {
      const request = chargeRequest();
      const calls = processor.chargeCalls;
      const voided = await rpc.void(request);
      expect(voided).toEqual<ChargeResult>({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        idempotencyKey: request.idempotencyKey,
        orderId: request.orderId,
        amount: { amount: 4999, currency: 'EUR' },
        status: ChargeStatus.CHARGE_STATUS_VOIDED,
        declineCode: '',
        cardBrand: '',
        cardLast4: '',
        refunded: { amount: 0, currency: 'EUR' },
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(await rpc.charge(request)).toEqual(voided);
      expect(await rpc.void(request)).toEqual(voided);
      expect(await rpc.get(voided.id)).toEqual(voided);
      expect(processor.chargeCalls).toBe(calls);
      expect(await chargesUnder(request.idempotencyKey)).toBe(1);
    });

    it.each([
      ['tok_visa', 'SUCCEEDED'],
      ['tok_chargeDeclined', 'DECLINED'],
    ] as const)('returns a finished charge (%s) as it stands: %s', async (token, outcome) => {
      const request = chargeRequest({ paymentToken: token });
      const charge = await rpc.charge(request);
      expect(charge.status).toBe(ChargeStatus[`CHARGE_STATUS_${outcome}`]);
      expect(await rpc.void(request)).toEqual(charge);
    });

    it('answers UNAVAILABLE "charge in progress" while the charge is with the processor, then returns that charge', async () => {
      const request = chargeRequest({ paymentToken: 'tok_slow' });
      const calls = processor.chargeCalls;
      const charging = rpc.charge(request);
      while (processor.chargeCalls === calls) await new Promise((resolve) => setTimeout(resolve, 5));
      const inProgress = await failure(rpc.void(request));
      expect(inProgress).toMatchObject({ code: grpc.status.UNAVAILABLE });
      expect(inProgress.details).toMatch(/charge in progress; retry with the same idempotency key/);
      const charge = await charging;
      expect(charge.status).toBe(ChargeStatus.CHARGE_STATUS_SUCCEEDED);
      expect(await rpc.void(request)).toEqual(charge);
      expect(processor.chargeCalls).toBe(calls + 1);
    });

    it('refuses a void of the key with another request: INVALID_ARGUMENT, reason IDEMPOTENCY_KEY_REUSED', async () => {
      const request = chargeRequest();
      const first = await rpc.charge(request);
      const failed = await failure(rpc.void({ ...request, orderId: 'order-other' }));
      expect(failed).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'idempotencyKey',
        reason: 'IDEMPOTENCY_KEY_REUSED',
      });
      expect(await rpc.get(first.id)).toEqual(first);
    });

    it.each<[string, Partial<VoidChargeRequest>, string]>([
      ['an empty idempotency key', { idempotencyKey: '' }, 'idempotencyKey'],
      ['no amount', { amount: undefined }, 'amount'],
      ['a lower-case currency', { amount: { amount: 100, currency: 'usd' } }, 'amount.currency'],
      ['no payment token', { paymentToken: '' }, 'paymentToken'],
      ['no order id', { orderId: '' }, 'orderId'],
    ])('answers a void with %s INVALID_ARGUMENT naming the field, recording nothing', async (_case, change, field) => {
      const request = { ...chargeRequest(), ...change };
      expect(await failure(rpc.void(request))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, field });
      expect(await chargesUnder(request.idempotencyKey)).toBe(0);
    });

    it('refuses to refund a voided charge (FAILED_PRECONDITION CHARGE_NOT_REFUNDABLE)', async () => {
      const voided = await rpc.void(chargeRequest());
      expect(await failure(rpc.refund(refundRequest(voided.id)))).toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        field: 'chargeId',
        reason: 'CHARGE_NOT_REFUNDABLE',
      });
    });
  });

  describe('Refund', () => {
    const eur = (amount: number) => ({ amount, currency: 'EUR' });

    it('refunds the whole charge when the amount is absent or zero', async () => {
      for (const amount of [undefined, { amount: 0, currency: '' }]) {
        const charge = await rpc.charge(chargeRequest());
        const refund = await rpc.refund(refundRequest(charge.id, { amount }));
        expect(refund).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          chargeId: charge.id,
          amount: eur(4999),
          createdAt: expect.stringMatching(/Z$/),
        });
        expect((await rpc.get(charge.id)).refunded).toEqual(eur(4999));
      }
    });

    it('refunds in two parts, then refuses a third above the remainder (REFUND_EXCEEDS_CHARGE)', async () => {
      const charge = await rpc.charge(chargeRequest());
      await rpc.refund(refundRequest(charge.id, { amount: eur(2000) }));
      await rpc.refund(refundRequest(charge.id, { amount: eur(2000) }));
      expect((await rpc.get(charge.id)).refunded).toEqual(eur(4000));
      const failed = await failure(rpc.refund(refundRequest(charge.id, { amount: eur(1000) })));
      expect(failed).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'REFUND_EXCEEDS_CHARGE' });
      expect((await rpc.get(charge.id)).refunded).toEqual(eur(4000));
    });

    it('refuses to refund a declined charge (FAILED_PRECONDITION)', async () => {
      const declined = await rpc.charge(chargeRequest({ paymentToken: 'tok_chargeDeclined' }));
      const failed = await failure(rpc.refund(refundRequest(declined.id)));
      expect(failed).toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        field: 'chargeId',
        reason: 'CHARGE_NOT_REFUNDABLE',
      });
    });

    it('replays a refund for the same key and request; the processor refunds once', async () => {
      const charge = await rpc.charge(chargeRequest());
      const request = refundRequest(charge.id, { amount: eur(999), reason: 'requested_by_customer' });
      const calls = processor.refundCalls;
      const first = await rpc.refund(request);
      expect(await rpc.refund(request)).toEqual(first);
      expect(processor.refundCalls).toBe(calls + 1);
      expect((await rpc.get(charge.id)).refunded).toEqual(eur(999));
    });

    it.each<[string, (chargeId: string) => Partial<RefundRequest>, grpc.status, string]>([
      [
        'an unknown charge',
        () => ({ chargeId: '7d3c1f0e-6a39-4d7b-9a1c-0c1e2d3f4a5b' }),
        grpc.status.NOT_FOUND,
        'chargeId',
      ],
      ['a malformed charge id', () => ({ chargeId: 'ch_123' }), grpc.status.INVALID_ARGUMENT, 'chargeId'],
      ['an empty idempotency key', () => ({ idempotencyKey: '' }), grpc.status.INVALID_ARGUMENT, 'idempotencyKey'],
      [
        'a negative amount',
        () => ({ amount: { amount: -1, currency: 'EUR' } }),
        grpc.status.INVALID_ARGUMENT,
        'amount.amount',
      ],
      [
        'another currency',
        () => ({ amount: { amount: 1, currency: 'USD' } }),
        grpc.status.INVALID_ARGUMENT,
        'amount.currency',
      ],
      ['a reason of 201 characters', () => ({ reason: 'r'.repeat(201) }), grpc.status.INVALID_ARGUMENT, 'reason'],
    ])('answers a refund of %s with the status and field at fault', async (_case, change, code, field) => {
      const charge = await rpc.charge(chargeRequest());
      const failed = await failure(rpc.refund(refundRequest(charge.id, change(charge.id))));
      expect(failed).toMatchObject({ code, field });
    });
  });

  describe('amounts beyond what a JavaScript number holds exactly (int64 past 2^53)', () => {
    /** A request encoded by hand: the generated encoder cannot even express such an amount. */
    function rawCall(
      method: 'Charge' | 'VoidCharge' | 'Refund',
      amountField: number,
      amount: string,
    ): Promise<unknown> {
      const writer = new BinaryWriter();
      writer.uint32(10).string(`raw-${method}-${amount}`);
      if (method === 'Refund') writer.uint32(18).string('7d3c1f0e-6a39-4d7b-9a1c-0c1e2d3f4a5b');
      writer
        .uint32((amountField << 3) | 2)
        .fork()
        .uint32(8)
        .int64(amount)
        .uint32(18)
        .string('EUR')
        .join();
      if (method !== 'Refund')
        writer.uint32(26).string('tok_visa').uint32(34).string('order-raw').uint32(42).string('c');
      const raw = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
      return new Promise<unknown>((resolve, reject) => {
        raw.makeUnaryRequest(
          `/shopfront.payment.v1.PaymentService/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(writer.finish()),
          (error, response) => {
            raw.close();
            if (error) reject(error);
            else resolve(response);
          },
        );
      });
    }

    it.each<['Charge' | 'VoidCharge' | 'Refund', string, number]>([
      ['Charge', '9223372036854775807', 2],
      ['Charge', '-9223372036854775808', 2],
      ['VoidCharge', '9223372036854775807', 2],
      ['Refund', '9007199254740993', 3],
    ])('answers %s with amount %s INVALID_ARGUMENT on amount.amount, not INTERNAL', async (method, amount, field) => {
      const calls = processor.chargeCalls;
      expect(await failure(rawCall(method, field, amount))).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        field: 'amount.amount',
      });
      expect(processor.chargeCalls).toBe(calls);
    });
  });

  describe('GetCharge', () => {
    it('answers NOT_FOUND for an unknown id and INVALID_ARGUMENT (field id) for a malformed one', async () => {
      expect(await failure(rpc.get('0f0e0d0c-0b0a-4900-8800-070605040302'))).toMatchObject({
        code: grpc.status.NOT_FOUND,
        field: 'id',
      });
      expect(await failure(rpc.get('nope'))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, field: 'id' });
    });
  });

  it('logs ids, outcomes, brand and last four digits, and never a payment token', async () => {
    await rpc.charge(chargeRequest({ paymentToken: 'tok_mastercard' }));
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    expect(lines.some((line) => line.msg === 'charge recorded' && line.cardLast4 === '4444')).toBe(true);
    expect(text).not.toMatch(/tok_/);
  });
});
