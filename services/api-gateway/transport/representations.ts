import type { z } from 'zod';
import {
  type Order,
  type Money as ProtoMoney,
  OrderStatus as ProtoOrderStatus,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import type { ListProductsResponse, Product } from '../../../lib/contracts/gen/shopfront/product/v1/product';
import { Role as ProtoRole, type User } from '../../../lib/contracts/gen/shopfront/user/v1/user';
import type { Money, OrderStatus, OrderView, ProductView, Role, UserAccount } from './schemas';

/**
 * A peer answered something its contract rules out (a user without a role, a product without a price).
 * That is a defect, not bad input: it becomes 500 INTERNAL and is logged.
 */
export class UpstreamContractError extends Error {
  constructor(peer: string, what: string) {
    super(`${peer} broke its contract: ${what}`);
    this.name = 'UpstreamContractError';
  }
}

export function roleOf(role: ProtoRole): z.infer<typeof Role> {
  if (role === ProtoRole.ROLE_ADMIN) return 'admin';
  if (role === ProtoRole.ROLE_CUSTOMER) return 'customer';
  throw new UpstreamContractError('user-service', `a user with role ${role}`);
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Every timestamp of the REST API in one form: RFC 3339 in UTC with milliseconds (`2026-12-04T05:42:42.602Z`), as
 * JavaScript writes it, whatever precision a peer keeps (order-service keeps PostgreSQL's microseconds, which its
 * paging relies on; user-service has milliseconds).
 */
export function timestampOf(value: string, peer: string, what: string): string {
  const ms = RFC_3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UpstreamContractError(peer, `${what} ${JSON.stringify(value)} is not RFC 3339`);
  return new Date(ms).toISOString();
}

export function userOf(user: User | undefined): z.infer<typeof UserAccount> {
  if (!user?.id) throw new UpstreamContractError('user-service', 'an answer without a user');
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: roleOf(user.role),
    createdAt: timestampOf(user.createdAt, 'user-service', `user ${user.id} createdAt`),
  };
}

export function productOf(product: Product | undefined): z.infer<typeof ProductView> {
  if (!product?.id) throw new UpstreamContractError('product-service', 'an answer without a product');
  if (!product.price) throw new UpstreamContractError('product-service', `product ${product.id} without a price`);
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    price: { amount: product.price.amount, currency: product.price.currency },
    stock: product.stock,
  };
}

const ORDER_STATUS: Partial<Record<ProtoOrderStatus, z.infer<typeof OrderStatus>>> = {
  [ProtoOrderStatus.ORDER_STATUS_PENDING]: 'PENDING',
  [ProtoOrderStatus.ORDER_STATUS_CONFIRMED]: 'CONFIRMED',
  [ProtoOrderStatus.ORDER_STATUS_FAILED]: 'FAILED',
};

const moneyOf = (money: ProtoMoney | undefined): z.infer<typeof Money> | null =>
  money ? { amount: money.amount, currency: money.currency } : null;

/** proto3 has no absent string: '' means "not set", which the REST body says with null. */
const present = (value: string): string | null => (value === '' ? null : value);

/**
 * An order as the REST API shows it, in one shape whatever its state: every member is there, null when it does not
 * apply or is not known (no prices before the stock is reserved, which an order refused for stock never was).
 */
export function orderOf(order: Order | undefined): z.infer<typeof OrderView> {
  if (!order?.id) throw new UpstreamContractError('order-service', 'an answer without an order');
  const status = ORDER_STATUS[order.status];
  if (!status) throw new UpstreamContractError('order-service', `order ${order.id} with status ${order.status}`);
  return {
    id: order.id,
    userId: order.userId,
    status,
    items: order.items.map((item) => ({
      productId: item.productId,
      quantity: item.quantity,
      unitPrice: moneyOf(item.unitPrice),
    })),
    total: moneyOf(order.total),
    failureCode: present(order.failureCode),
    failureReason: present(order.failureReason),
    declineCode: present(order.declineCode),
    paymentId: present(order.paymentId),
    createdAt: timestampOf(order.createdAt, 'order-service', `order ${order.id} createdAt`),
    updatedAt: timestampOf(order.updatedAt, 'order-service', `order ${order.id} updatedAt`),
  };
}

/**
 * The representation of a catalogue page or product, made once per upstream object: the gateway's cache hands the
 * same object to every reader while it is current, so its representation (and the JSON made from it, see
 * `RouteReply.immutable`) is made once per cache entry, not per request. Never mutate what these return.
 */
const pages = new WeakMap<ListProductsResponse, { items: z.infer<typeof ProductView>[]; nextCursor: string | null }>();
export function pageOf(page: ListProductsResponse) {
  let made = pages.get(page);
  if (!made) {
    made = { items: page.items.map(productOf), nextCursor: page.nextCursor === '' ? null : page.nextCursor };
    pages.set(page, made);
  }
  return made;
}

const products = new WeakMap<Product, z.infer<typeof ProductView>>();
export function productPageOf(product: Product): z.infer<typeof ProductView> {
  let made = products.get(product);
  if (!made) {
    made = productOf(product);
    products.set(product, made);
  }
  return made;
}
