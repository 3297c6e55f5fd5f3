import type { z } from 'zod';
import type { Product } from '../../../lib/contracts/gen/shopfront/product/v1/product';
import { Role as ProtoRole, type User } from '../../../lib/contracts/gen/shopfront/user/v1/user';
import type { ProductView, Role, UserAccount } from './schemas';

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

export function userOf(user: User | undefined): z.infer<typeof UserAccount> {
  if (!user?.id) throw new UpstreamContractError('user-service', 'an answer without a user');
  return { id: user.id, email: user.email, name: user.name, role: roleOf(user.role), createdAt: user.createdAt };
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
