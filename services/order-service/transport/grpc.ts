import * as path from 'node:path';
import { trace } from '@opentelemetry/api';
import {
  FailureReason,
  type OrderFailure as OrderFailureMessage,
  type Order as OrderMessage,
  type OrderServiceServer,
  OrderServiceService,
  FailureField as ProtoFailureField,
  OrderStatus as ProtoOrderStatus,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import { bindService, type GrpcServiceBinding } from '../../../lib/runtime/grpc-server';
import type { FailureCode, FailureField, Money, OrderFailure, OrderRecord, OrderStatus } from '../domain/order';
import type { Orders } from '../domain/orders';

const CONTRACTS = path.join(__dirname, '../../../lib/contracts/proto');
export const PROTO_FILES = [path.join(CONTRACTS, 'shopfront/order/v1/order.proto')];
export const PROTO_INCLUDE_DIRS = [CONTRACTS];

const STATUS: Record<OrderStatus, ProtoOrderStatus> = {
  PENDING: ProtoOrderStatus.ORDER_STATUS_PENDING,
  CONFIRMED: ProtoOrderStatus.ORDER_STATUS_CONFIRMED,
  FAILED: ProtoOrderStatus.ORDER_STATUS_FAILED,
};

const money = (m: Money | undefined) => (m ? { amount: m.amount, currency: m.currency } : undefined);

const REASON: Record<FailureCode, FailureReason> = {
  OUT_OF_STOCK: FailureReason.FAILURE_REASON_OUT_OF_STOCK,
  PRODUCT_NOT_FOUND: FailureReason.FAILURE_REASON_PRODUCT_NOT_FOUND,
  PRODUCT_SERVICE_UNAVAILABLE: FailureReason.FAILURE_REASON_PRODUCT_SERVICE_UNAVAILABLE,
  STOCK_NOT_RESERVED: FailureReason.FAILURE_REASON_STOCK_NOT_RESERVED,
  MIXED_CURRENCY: FailureReason.FAILURE_REASON_MIXED_CURRENCY,
  AMOUNT_TOO_LARGE: FailureReason.FAILURE_REASON_AMOUNT_TOO_LARGE,
  PAYMENT_DECLINED: FailureReason.FAILURE_REASON_PAYMENT_DECLINED,
  PAYMENT_FAILED: FailureReason.FAILURE_REASON_PAYMENT_FAILED,
  CONFIRMATION_FAILED: FailureReason.FAILURE_REASON_CONFIRMATION_FAILED,
};

const FIELD: Record<FailureField, ProtoFailureField> = {
  ITEM_PRODUCT_ID: ProtoFailureField.FAILURE_FIELD_ITEM_PRODUCT_ID,
  ITEM_QUANTITY: ProtoFailureField.FAILURE_FIELD_ITEM_QUANTITY,
  PAYMENT_TOKEN: ProtoFailureField.FAILURE_FIELD_PAYMENT_TOKEN,
};

/** The structured failure; a code this build does not know (an older row, a newer writer) is UNSPECIFIED. */
function toFailureMessage(failure: OrderFailure): OrderFailureMessage {
  return {
    reason: Object.hasOwn(REASON, failure.code)
      ? REASON[failure.code as FailureCode]
      : FailureReason.FAILURE_REASON_UNSPECIFIED,
    field: failure.field ? FIELD[failure.field] : ProtoFailureField.FAILURE_FIELD_UNSPECIFIED,
    itemIndex: failure.itemIndex,
    peer: failure.peer?.name ?? '',
    peerCode: failure.peer?.code ?? '',
  };
}

/** The customer's view of an order: the saga's bookkeeping (payment token, leases, states) stays inside. */
export function toOrderMessage(order: OrderRecord): OrderMessage {
  const failure = order.status === 'FAILED' ? order.failure : undefined;
  return {
    id: order.id,
    userId: order.userId,
    status: STATUS[order.status],
    items: order.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: money(i.unitPrice) })),
    total: money(order.total),
    failureCode: failure?.code ?? '',
    failureReason: failure?.reason ?? '',
    declineCode: failure?.declineCode ?? '',
    paymentId: order.paymentId ?? '',
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    failure: failure && toFailureMessage(failure),
  };
}

/** Time kept back from the caller's deadline to record the order's state and answer. */
const ANSWER_MARGIN_MS = 500;

/** shopfront.order.v1.OrderService over the use cases; the caller is the bearer token's subject. */
export function orderGrpcService(orders: Orders): GrpcServiceBinding {
  return bindService<OrderServiceServer>(OrderServiceService, {
    createOrder: async (request, ctx) => {
      const order = await orders.createOrder(
        ctx.bearerToken,
        {
          idempotencyKey: request.idempotencyKey,
          items: request.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
          paymentToken: request.paymentToken,
        },
        // The saga stops retrying a peer in time to answer before the caller's deadline (then the order is PENDING).
        {
          requestId: ctx.requestId,
          log: ctx.log,
          deadline: ctx.deadline === undefined ? undefined : ctx.deadline - ANSWER_MARGIN_MS,
        },
      );
      // Its trace is found by the order's id (`npm run trace`), also when the order failed and published nothing.
      trace.getActiveSpan()?.setAttribute('shopfront.order.id', order.id);
      return toOrderMessage(order);
    },
    getOrder: async (request, ctx) => toOrderMessage(await orders.getOrder(ctx.bearerToken, request.id)),
    listOrders: async (request, ctx) => {
      const page = await orders.listOrders(ctx.bearerToken, { limit: request.limit, cursor: request.cursor });
      return { items: page.items.map(toOrderMessage), nextCursor: page.nextCursor ?? '' };
    },
    listAllOrders: async (request, ctx) => {
      const page = await orders.listAllOrders(ctx.bearerToken, { limit: request.limit, cursor: request.cursor });
      return { items: page.items.map(toOrderMessage), nextCursor: page.nextCursor ?? '' };
    },
  });
}
