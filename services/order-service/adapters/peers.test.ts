import * as grpc from '@grpc/grpc-js';
import { PaymentServiceService } from '../../../lib/contracts/gen/shopfront/payment/v1/payment';
import { DownstreamError } from '../domain/errors';
import { silentLogger } from '../test-support/service';
import { GrpcPaymentPort } from './peers';

const ctx = { requestId: 'peers-test', log: silentLogger() };
const request = {
  idempotencyKey: 'order:3f1c2a9e-1111-4222-8333-944455556666',
  amount: { amount: 5448, currency: 'EUR' },
  paymentToken: 'tok_visa',
  orderId: '3f1c2a9e-1111-4222-8333-944455556666',
  customerId: 'user-1',
};

async function rejection(promise: Promise<unknown>): Promise<DownstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DownstreamError) return error;
    throw error;
  }
  throw new Error('expected a DownstreamError');
}

describe('GrpcPaymentPort against a payment-service that predates VoidCharge', () => {
  let server: grpc.Server;
  let port: GrpcPaymentPort;

  beforeAll(async () => {
    server = new grpc.Server();
    // Charge, Refund and GetCharge only: grpc-js answers VoidCharge UNIMPLEMENTED, as an older release does.
    const refuse = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
      callback({ code: grpc.status.INTERNAL, details: 'not in this test' });
    server.addService(PaymentServiceService, { charge: refuse, refund: refuse, getCharge: refuse });
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    port = new GrpcPaymentPort(`127.0.0.1:${bound}`, {
      timeoutMs: 2000,
      retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20 },
    });
  });

  afterAll(async () => {
    port.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('reports VoidCharge UNIMPLEMENTED as indeterminate (ask again later), never as a refusal that nothing exists', async () => {
    const error = await rejection(port.voidCharge(request, ctx));
    expect({ rpc: error.rpc, status: error.status, indeterminate: error.indeterminate }).toEqual({
      rpc: 'VoidCharge',
      status: 'UNIMPLEMENTED',
      indeterminate: true,
    });
  });
});
