import * as path from 'node:path';
import {
  type Order as OrderMessage,
  type OrderServiceServer,
  OrderServiceService,
  OrderStatus as ProtoOrderStatus,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import { bindService, type GrpcServiceBinding } from '../../../lib/runtime/grpc-server';
import type { Money, OrderRecord, OrderStatus } from '../domain/order';
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
  };
}

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
        { requestId: ctx.requestId, log: ctx.log },
      );
      return toOrderMessage(order);
    },
    getOrder: async (request, ctx) => toOrderMessage(await orders.getOrder(ctx.bearerToken, request.id)),
    listOrders: async (request, ctx) => {
      const page = await orders.listOrders(ctx.bearerToken, { limit: request.limit, cursor: request.cursor });
      return { items: page.items.map(toOrderMessage), nextCursor: page.nextCursor ?? '' };
    },
  });
}
