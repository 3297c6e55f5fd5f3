import type {
  CreateProductRequest,
  GetProductRequest,
  ListProductsRequest,
  ListProductsResponse,
  Product,
  UpdateProductRequest,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import type { CallContext, ProductServicePeer } from './peers';
import { ReadCache } from './read-cache';

/** What the gateway's routes ask of product-service. */
export type ProductsUpstream = Pick<
  ProductServicePeer,
  'listProducts' | 'getProduct' | 'createProduct' | 'updateProduct'
>;

/** Keys of the catalogue pages and products kept at once. */
const MAX_ENTRIES = 1000;

/**
 * The catalogue as shoppers read it, cached in the gateway for at most `ttlMs`: a listing or product page shows stock
 * at most that old (the reservation at order time stays authoritative), and a burst of readers costs product-service
 * one call per page per `ttlMs`. A product created or changed through this gateway clears the cache at once.
 */
export class CachedCatalogue implements ProductsUpstream {
  private readonly pages: ReadCache<ListProductsResponse>;
  private readonly products: ReadCache<Product>;

  constructor(
    private readonly upstream: ProductsUpstream,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.pages = new ReadCache(ttlMs, MAX_ENTRIES, now);
    this.products = new ReadCache(ttlMs, MAX_ENTRIES, now);
  }

  listProducts(request: ListProductsRequest, ctx: CallContext): Promise<ListProductsResponse> {
    return this.pages.get(`${request.limit}|${request.cursor}`, () => this.upstream.listProducts(request, ctx));
  }

  getProduct(request: GetProductRequest, ctx: CallContext): Promise<Product> {
    return this.products.get(request.id.toLowerCase(), () => this.upstream.getProduct(request, ctx));
  }

  async createProduct(request: CreateProductRequest, ctx: CallContext): Promise<Product> {
    const product = await this.upstream.createProduct(request, ctx);
    this.pages.clear();
    this.products.clear();
    return product;
  }

  async updateProduct(request: UpdateProductRequest, ctx: CallContext): Promise<Product> {
    const product = await this.upstream.updateProduct(request, ctx);
    this.pages.clear();
    this.products.clear();
    return product;
  }
}
