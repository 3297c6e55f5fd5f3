import type * as grpc from '@grpc/grpc-js';
import {
  type CreateOrderRequest,
  type GetOrderRequest,
  type ListAllOrdersRequest,
  type ListOrdersRequest,
  type ListOrdersResponse,
  type Order,
  OrderServiceClient,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import {
  type CreateProductRequest,
  type GetProductRequest,
  type ListProductsRequest,
  type ListProductsResponse,
  type Product,
  ProductServiceClient,
  type UpdateProductRequest,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import {
  type AuthenticateRequest,
  type AuthenticateResponse,
  type GetUserRequest,
  type GetUserResponse,
  type RegisterRequest,
  type RegisterResponse,
  UserServiceClient,
} from '../../../lib/contracts/gen/shopfront/user/v1/user';
import { callUnary, insecureChannel, isServiceError } from '../../../lib/runtime/grpc-client';
import type { ServiceMetrics } from '../../../lib/runtime/metrics';
import { grpcCodeName } from '../../../lib/runtime/status';

/** What travels with every upstream call: the request id, and the caller's token on routes that need a principal. */
export interface CallContext {
  readonly requestId: string;
  readonly bearerToken?: string;
}

/** A peer answered with a gRPC error status; `peer` and `rpc` are for the log, never for the caller. */
export class UpstreamError extends Error {
  constructor(
    readonly peer: string,
    readonly rpc: string,
    readonly status: grpc.ServiceError,
  ) {
    super(`${peer}/${rpc} failed with ${grpcCodeName(status.code)}`);
    this.name = 'UpstreamError';
  }
}

type UnaryMethod<Req, Res> = Parameters<typeof callUnary<Req, Res>>[1];

/** One peer: its generated client, the deadline every call gets, and client-side metrics. */
abstract class Peer<C extends grpc.Client> {
  constructor(
    readonly name: string,
    readonly client: C,
    private readonly timeoutMs: number,
    private readonly metrics?: ServiceMetrics,
  ) {}

  protected async call<Req, Res>(
    rpc: string,
    method: UnaryMethod<Req, Res>,
    request: Req,
    ctx: CallContext,
    timeoutMs = this.timeoutMs,
  ): Promise<Res> {
    try {
      return await callUnary(
        this.client,
        method,
        request,
        {
          peer: this.name,
          rpc,
          timeoutMs,
          requestId: ctx.requestId,
          bearerToken: ctx.bearerToken,
        },
        this.metrics,
      );
    } catch (error) {
      throw isServiceError(error) ? new UpstreamError(this.name, rpc, error) : error;
    }
  }

  close(): void {
    this.client.close();
  }
}

export class UserServicePeer extends Peer<UserServiceClient> {
  /** @param credentialsTimeoutMs the deadline of Register and Authenticate, which hash a password on purpose slowly */
  constructor(
    address: string,
    timeoutMs: number,
    private readonly credentialsTimeoutMs = timeoutMs,
    metrics?: ServiceMetrics,
  ) {
    super('user-service', new UserServiceClient(address, insecureChannel()), timeoutMs, metrics);
  }

  register(request: RegisterRequest, ctx: CallContext): Promise<RegisterResponse> {
    return this.call('Register', this.client.register, request, ctx, this.credentialsTimeoutMs);
  }

  authenticate(request: AuthenticateRequest, ctx: CallContext): Promise<AuthenticateResponse> {
    return this.call('Authenticate', this.client.authenticate, request, ctx, this.credentialsTimeoutMs);
  }

  getUser(request: GetUserRequest, ctx: CallContext): Promise<GetUserResponse> {
    return this.call('GetUser', this.client.getUser, request, ctx);
  }
}

export class ProductServicePeer extends Peer<ProductServiceClient> {
  constructor(address: string, timeoutMs: number, metrics?: ServiceMetrics) {
    super('product-service', new ProductServiceClient(address, insecureChannel()), timeoutMs, metrics);
  }

  listProducts(request: ListProductsRequest, ctx: CallContext): Promise<ListProductsResponse> {
    return this.call('ListProducts', this.client.listProducts, request, ctx);
  }

  getProduct(request: GetProductRequest, ctx: CallContext): Promise<Product> {
    return this.call('GetProduct', this.client.getProduct, request, ctx);
  }

  createProduct(request: CreateProductRequest, ctx: CallContext): Promise<Product> {
    return this.call('CreateProduct', this.client.createProduct, request, ctx);
  }

  updateProduct(request: UpdateProductRequest, ctx: CallContext): Promise<Product> {
    return this.call('UpdateProduct', this.client.updateProduct, request, ctx);
  }
}

export class OrderServicePeer extends Peer<OrderServiceClient> {
  /** @param createTimeoutMs the deadline of CreateOrder, which runs the whole saga */
  constructor(
    address: string,
    timeoutMs: number,
    private readonly createTimeoutMs: number,
    metrics?: ServiceMetrics,
  ) {
    super('order-service', new OrderServiceClient(address, insecureChannel()), timeoutMs, metrics);
  }

  createOrder(request: CreateOrderRequest, ctx: CallContext): Promise<Order> {
    return this.call('CreateOrder', this.client.createOrder, request, ctx, this.createTimeoutMs);
  }

  getOrder(request: GetOrderRequest, ctx: CallContext): Promise<Order> {
    return this.call('GetOrder', this.client.getOrder, request, ctx);
  }

  listOrders(request: ListOrdersRequest, ctx: CallContext): Promise<ListOrdersResponse> {
    return this.call('ListOrders', this.client.listOrders, request, ctx);
  }

  listAllOrders(request: ListAllOrdersRequest, ctx: CallContext): Promise<ListOrdersResponse> {
    return this.call('ListAllOrders', this.client.listAllOrders, request, ctx);
  }
}
