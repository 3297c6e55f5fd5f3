import { z } from 'zod';
import type { AccessClaims } from '../../../lib/runtime/auth';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../../../lib/runtime/errors';
import { IdempotencyKeyReusedError, InvalidCustomerEmailError } from './errors';
import {
  type CursorPosition,
  decodeCursor,
  encodeCursor,
  type OrderRecord,
  pageSize,
  parseOrderId,
  parseOrderRequest,
} from './order';
import type { AccessTokenVerifier, OrderStore, SagaContext } from './ports';
import type { SagaRunner } from './saga';

export interface OrderPage {
  readonly items: readonly OrderRecord[];
  /** Undefined on the last page. */
  readonly nextCursor?: string;
}

// The order.created event requires a real address (lib/events); checked before anything is reserved.
const emailSchema = z.email();

/**
 * The order service's use cases, called by the gRPC transport with what it received: authentication from
 * the bearer token first, then validation, then the saga.
 */
export class Orders {
  constructor(
    private readonly deps: {
      readonly store: OrderStore;
      readonly runner: SagaRunner;
      readonly tokens: AccessTokenVerifier;
      readonly newId: () => string;
    },
  ) {}

  private async authenticate(bearerToken: string | undefined): Promise<AccessClaims> {
    if (!bearerToken) throw new UnauthenticatedError('an access token is required');
    return this.deps.tokens.verify(bearerToken);
  }

  /**
   * Orders for the caller, idempotently by (caller, idempotency key): a new key starts the saga; the same
   * key and request again returns that order (driving it on when a crash left it unfinished); the same key
   * with another request is INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED.
   */
  async createOrder(bearerToken: string | undefined, input: unknown, ctx: SagaContext): Promise<OrderRecord> {
    const claims = await this.authenticate(bearerToken);
    const request = parseOrderRequest(input);
    if (!emailSchema.safeParse(claims.email).success) throw new InvalidCustomerEmailError();
    const lease = this.deps.runner.newLease();
    const { created, order } = await this.deps.store.insertOrFind({
      id: this.deps.newId(),
      userId: claims.sub,
      userEmail: claims.email,
      request,
      lease,
    });
    if (created) {
      ctx.log.info({ orderId: order.id, items: order.items.length }, 'order created');
      return this.deps.runner.drive(order, lease, ctx);
    }
    if (order.requestHash !== request.requestHash) throw new IdempotencyKeyReusedError();
    ctx.log.info({ orderId: order.id, status: order.status }, 'order request replayed');
    return this.deps.runner.resume(order, ctx);
  }

  /** The owner or an admin; NOT_FOUND for anyone else, so an order's existence is not revealed. */
  async getOrder(bearerToken: string | undefined, id: unknown): Promise<OrderRecord> {
    const claims = await this.authenticate(bearerToken);
    const order = await this.deps.store.get(parseOrderId(id));
    if (!order || (order.userId !== claims.sub && claims.role !== 'admin')) throw new NotFoundError('order', 'id');
    return order;
  }

  /** The caller's orders, newest first. */
  async listOrders(bearerToken: string | undefined, request: { limit?: number; cursor?: string }): Promise<OrderPage> {
    const claims = await this.authenticate(bearerToken);
    return this.page(request, (after, limit) => this.deps.store.listByUser(claims.sub, after, limit));
  }

  /** Admin only: every customer's orders, newest first, each in its current state. */
  async listAllOrders(
    bearerToken: string | undefined,
    request: { limit?: number; cursor?: string },
  ): Promise<OrderPage> {
    const claims = await this.authenticate(bearerToken);
    if (claims.role !== 'admin') throw new PermissionDeniedError("only an admin may list every customer's orders");
    return this.page(request, (after, limit) => this.deps.store.listAll(after, limit));
  }

  private async page(
    request: { limit?: number; cursor?: string },
    list: (after: CursorPosition | undefined, limit: number) => Promise<OrderRecord[]>,
  ): Promise<OrderPage> {
    const limit = pageSize(request.limit);
    const after = request.cursor ? decodeCursor(request.cursor) : undefined;
    // One extra row tells whether another page exists, so the last page never carries a cursor.
    const rows = await list(after, limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }
}
