import { randomUUID } from 'node:crypto';
import type { AccessClaims } from '../../../lib/runtime/auth';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../../../lib/runtime/errors';
import {
  type CursorPosition,
  decodeCursor,
  encodeCursor,
  LIMITS,
  type NewProduct,
  type Product,
  type ProductChange,
  pageSize,
  parseNewProduct,
  parseProductChange,
  parseProductId,
} from './product';
import { parseReservationId, parseReservationRequest, type Reservation, type ReservationRequest } from './reservation';

/** Where products and reservations live (store/ implements it over PostgreSQL). */
export interface ProductStore {
  /** Up to `limit` products after `after` in (createdAt, id) order. */
  list(after: CursorPosition | undefined, limit: number): Promise<Product[]>;
  get(id: string): Promise<Product | undefined>;
  create(id: string, product: NewProduct): Promise<Product>;
  /**
   * Applies `change` in one atomic statement (the stock adjusted from its value at that moment, never from a value
   * read before). Undefined for an unknown id; throws StockOutOfRangeError when the stock would leave 0..maxStock.
   */
  update(id: string, change: ProductChange, maxStock: number): Promise<Product | undefined>;
  /**
   * All lines or none, never overselling. A replay (same id, same hash) returns the stored reservation;
   * throws OutOfStockError, UnknownProductError (both with the line's position) or IdempotencyKeyReusedError.
   */
  reserve(request: ReservationRequest): Promise<Reservation>;
  /** True when this call returned the units (RESERVED -> RELEASED); false when already released or unknown. */
  release(reservationId: string): Promise<boolean>;
}

/** Verifies a bearer token; every failure is an UnauthenticatedError (the kit's TokenVerifier). */
export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessClaims>;
}

export interface ProductPage {
  readonly items: readonly Product[];
  /** Undefined on the last page. */
  readonly nextCursor?: string;
}

/**
 * The product service's use cases. Both transports call these with what they received, so validation,
 * authorization and errors are the same over HTTP and gRPC.
 */
export class ProductCatalog {
  constructor(
    private readonly store: ProductStore,
    private readonly tokens: AccessTokenVerifier,
    private readonly newId: () => string = randomUUID,
  ) {}

  async listProducts(request: { limit?: number; cursor?: string }): Promise<ProductPage> {
    const limit = pageSize(request.limit);
    const after = request.cursor ? decodeCursor(request.cursor) : undefined;
    // One extra row tells whether another page exists, so the last page never carries a cursor.
    const rows = await this.store.list(after, limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async getProduct(id: unknown): Promise<Product> {
    const product = await this.store.get(parseProductId(id));
    if (!product) throw new NotFoundError('product', 'id');
    return product;
  }

  private async authorizeAdmin(bearerToken: string | undefined, action: string): Promise<void> {
    if (!bearerToken) throw new UnauthenticatedError('an admin access token is required');
    const claims = await this.tokens.verify(bearerToken);
    if (claims.role !== 'admin') throw new PermissionDeniedError(`only an admin may ${action}`);
  }

  /** Admin only: authenticates and authorizes before looking at the input. */
  async createProduct(bearerToken: string | undefined, input: unknown): Promise<Product> {
    await this.authorizeAdmin(bearerToken, 'create products');
    return this.store.create(this.newId(), parseNewProduct(input));
  }

  /**
   * Admin only, authorized before the input is looked at: a new price and/or a stock adjustment (`stockDelta`,
   * added to the stock as it is when the change lands, so reservations made meanwhile are never undone).
   */
  async updateProduct(bearerToken: string | undefined, id: unknown, input: unknown): Promise<Product> {
    await this.authorizeAdmin(bearerToken, 'change products');
    const productId = parseProductId(id);
    const change: ProductChange = parseProductChange(input);
    const product = await this.store.update(productId, change, LIMITS.maxStock);
    if (!product) throw new NotFoundError('product', 'id');
    return product;
  }

  async reserveStock(input: unknown): Promise<Reservation> {
    return this.store.reserve(parseReservationRequest(input));
  }

  async releaseStock(reservationId: unknown): Promise<boolean> {
    return this.store.release(parseReservationId(reservationId));
  }
}
