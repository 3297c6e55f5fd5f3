import * as path from 'node:path';
import {
  ChargeRequest,
  type ChargeResult,
  ChargeStatus,
  type PaymentServiceServer,
  PaymentServiceService,
  RefundRequest,
  type RefundResult,
  VoidChargeRequest,
} from '../../../lib/contracts/gen/shopfront/payment/v1/payment';
import { bindService, type GrpcServiceBinding } from '../../../lib/runtime/grpc-server';
import type { Charge, ChargeInput, Refund } from '../domain/payment';
import type { Payments } from '../domain/payments';
import { withLenientAmount } from './lenient-amount';

const CONTRACTS = path.join(__dirname, '../../../lib/contracts/proto');
export const PROTO_FILES = [path.join(CONTRACTS, 'shopfront/payment/v1/payment.proto')];
export const PROTO_INCLUDE_DIRS = [CONTRACTS];

/** The generated definition, with decoders that turn an amount beyond +-2^53 into a validation error. */
const PAYMENT_SERVICE = {
  ...PaymentServiceService,
  charge: { ...PaymentServiceService.charge, requestDeserialize: withLenientAmount(ChargeRequest.decode, 2) },
  voidCharge: {
    ...PaymentServiceService.voidCharge,
    requestDeserialize: withLenientAmount(VoidChargeRequest.decode, 2),
  },
  refund: { ...PaymentServiceService.refund, requestDeserialize: withLenientAmount(RefundRequest.decode, 3) },
};

const STATUS: Record<Charge['status'], ChargeStatus> = {
  SUCCEEDED: ChargeStatus.CHARGE_STATUS_SUCCEEDED,
  DECLINED: ChargeStatus.CHARGE_STATUS_DECLINED,
  VOIDED: ChargeStatus.CHARGE_STATUS_VOIDED,
};

export function toChargeResult(charge: Charge): ChargeResult {
  return {
    id: charge.id,
    idempotencyKey: charge.idempotencyKey,
    orderId: charge.orderId,
    amount: { ...charge.amount },
    status: STATUS[charge.status],
    declineCode: charge.declineCode ?? '',
    cardBrand: charge.card?.brand ?? '',
    cardLast4: charge.card?.last4 ?? '',
    refunded: { ...charge.refunded },
    createdAt: charge.createdAt,
  };
}

/** A Charge or VoidCharge request as the domain takes it (the two carry the same fields). */
function chargeInput(request: ChargeRequest | VoidChargeRequest): ChargeInput {
  return {
    idempotencyKey: request.idempotencyKey,
    amount: request.amount && { amount: request.amount.amount, currency: request.amount.currency },
    paymentToken: request.paymentToken,
    orderId: request.orderId,
    customerId: request.customerId,
  };
}

function toRefundResult(refund: Refund): RefundResult {
  return { id: refund.id, chargeId: refund.chargeId, amount: { ...refund.amount }, createdAt: refund.createdAt };
}

/**
 * shopfront.payment.v1.PaymentService over the domain. No bearer token is checked: only order-service may
 * reach this port (the catalog's call graph becomes a default-deny NetworkPolicy), and end users never do.
 * Requests go to the domain as plain objects with proto3 defaults, so "absent" and "empty" validate alike.
 */
export function paymentGrpcService(payments: Payments): GrpcServiceBinding {
  return bindService<PaymentServiceServer>(PAYMENT_SERVICE, {
    charge: async (request, ctx) => toChargeResult(await payments.charge(chargeInput(request), ctx.log)),
    voidCharge: async (request, ctx) => toChargeResult(await payments.voidCharge(chargeInput(request), ctx.log)),
    refund: async (request, ctx) =>
      toRefundResult(
        await payments.refund(
          {
            idempotencyKey: request.idempotencyKey,
            chargeId: request.chargeId,
            amount: request.amount && { amount: request.amount.amount, currency: request.amount.currency },
            reason: request.reason,
          },
          ctx.log,
        ),
      ),
    getCharge: async (request) => toChargeResult(await payments.getCharge(request.id)),
  });
}
