import * as path from 'node:path';
import {
  type CreateOrderRequest,
  type Order,
  type OrderServiceServer,
  OrderServiceService,
  OrderStatus,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import {
  type Product,
  type ProductServiceServer,
  ProductServiceService,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import {
  Role,
  type User,
  type UserServiceServer,
  UserServiceService,
} from '../../../lib/contracts/gen/shopfront/user/v1/user';
import {
  type AsyncService,
  bindService,
  type RpcContext,
  type RunningGrpcServer,
  startGrpcServer,
} from '../../../lib/runtime/grpc-server';
import { Health } from '../../../lib/runtime/health';
import { createLogger } from '../../../lib/runtime/logger';
import { ServiceMetrics } from '../../../lib/runtime/metrics';

const PROTO_ROOT = path.join(__dirname, '..', '..', '..', 'lib', 'contracts', 'proto');

/** One RPC as the fake server received it, including the metadata the gateway sent. */
export interface RecordedCall {
  readonly rpc: string;
  readonly request: unknown;
  /** The raw `x-request-id` metadata (the kit would replace a missing one with a fresh id). */
  readonly requestIdMetadata: string | undefined;
  readonly authorization: string | undefined;
}

/**
 * A user-service, product-service or order-service stand-in on a real socket: the kit's startGrpcServer with the generated
 * service definition, canned answers per RPC that a test can replace, every call recorded, and a health flag
 * its grpc.health.v1 status follows.
 */
export class FakeUpstream<S> {
  readonly calls: RecordedCall[] = [];
  /** Drives the server's grpc.health.v1 status (through the kit's Health, re-probed every 20 ms). */
  healthy = true;
  private behaviour: AsyncService<S>;
  private server: RunningGrpcServer | undefined;
  private readonly held: (() => void)[] = [];

  constructor(
    private readonly definition: typeof UserServiceService | typeof ProductServiceService | typeof OrderServiceService,
    private readonly protoFile: string,
    private readonly defaults: AsyncService<S>,
  ) {
    this.behaviour = { ...defaults };
  }

  get port(): number {
    if (!this.server) throw new Error('the fake is not running');
    return this.server.port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Replaces the answer of one RPC until the next reset(). */
  respond<K extends keyof AsyncService<S>>(rpc: K, handler: AsyncService<S>[K]): void {
    this.behaviour[rpc] = handler;
  }

  /** An answer that never comes until reset() or stop(): the gateway's deadline must end the call. */
  hang(): Promise<never> {
    return new Promise<never>((_, reject) => {
      this.held.push(() => reject(new Error('released')));
    });
  }

  callsOf(rpc: string): RecordedCall[] {
    return this.calls.filter((c) => c.rpc === rpc);
  }

  reset(): void {
    this.behaviour = { ...this.defaults };
    this.calls.length = 0;
    this.healthy = true;
    for (const release of this.held.splice(0)) release();
  }

  async start(): Promise<this> {
    const logger = createLogger({ service: 'fake', level: 'silent' });
    const health = new Health(logger, { cacheMs: 0, timeoutMs: 500 }).add('fake', async () => {
      if (!this.healthy) throw new Error('told to be unhealthy');
    });
    const implementation: Record<string, RecordingHandler> = {};
    for (const key of Object.keys(this.defaults as object)) {
      implementation[key] = async (request, ctx) => {
        const requestId = ctx.metadata.get('x-request-id')[0];
        const authorization = ctx.metadata.get('authorization')[0];
        this.calls.push({
          rpc: key,
          request,
          requestIdMetadata: typeof requestId === 'string' ? requestId : undefined,
          authorization: typeof authorization === 'string' ? authorization : undefined,
        });
        const handler = (this.behaviour as unknown as Record<string, RecordingHandler>)[key];
        if (!handler) throw new Error(`no behaviour for ${key}`);
        return handler(request, ctx);
      };
    }
    this.server = await startGrpcServer(
      0,
      {
        logger,
        metrics: new ServiceMetrics('fake', { defaults: false }),
        health,
        services: [bindService<S>(this.definition, implementation as unknown as AsyncService<S>)],
        protoFiles: [path.join(PROTO_ROOT, this.protoFile)],
        protoIncludeDirs: [PROTO_ROOT],
        healthRefreshMs: 20,
      },
      '127.0.0.1',
    );
    return this;
  }

  async stop(): Promise<void> {
    for (const release of this.held.splice(0)) release();
    await this.server?.close(100);
    this.server = undefined;
  }
}

type RecordingHandler = (request: unknown, ctx: RpcContext) => Promise<unknown>;

export const ALICE: User = {
  id: '0b5e1d4e-8f0a-4c1e-9a55-3f1f4f1d2a01',
  email: 'alice@example.com',
  name: 'Alice',
  role: Role.ROLE_CUSTOMER,
  createdAt: '2026-01-02T03:04:05Z',
};

export const ROOT: User = {
  id: '7c7f2d1a-2b57-4d44-a1e9-0d4c7f4b9b02',
  email: 'root@example.com',
  name: 'Root',
  role: Role.ROLE_ADMIN,
  createdAt: '2026-01-01T00:00:00Z',
};

export const BOB_ID = '5d3c3a8e-52f4-4b43-9d8e-8a1e7f2c6b03';

export const TEAPOT: Product = {
  id: '3f2b9a64-0c1d-4e8f-9a7b-6c5d4e3f2a10',
  name: 'Teapot',
  description: 'Short and stout',
  price: { amount: 1999, currency: 'EUR' },
  stock: 7,
  createdAt: '2026-01-03T00:00:00Z',
};

export const KETTLE: Product = {
  id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  name: 'Kettle',
  description: '',
  price: { amount: 500, currency: 'JPY' },
  stock: 0,
  createdAt: '2026-01-04T00:00:00Z',
};

export function fakeUserService(): FakeUpstream<UserServiceServer> {
  return new FakeUpstream<UserServiceServer>(UserServiceService, 'shopfront/user/v1/user.proto', {
    register: async (request) => ({
      user: { ...ALICE, id: '1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a00', email: request.email, name: request.name },
    }),
    authenticate: async () => ({ accessToken: 'issued.by.user-service', expiresInSeconds: 900, user: ALICE }),
    getUser: async (request) => ({ user: { ...ALICE, id: request.id } }),
  });
}

export function fakeProductService(): FakeUpstream<ProductServiceServer> {
  return new FakeUpstream<ProductServiceServer>(ProductServiceService, 'shopfront/product/v1/product.proto', {
    listProducts: async () => ({ items: [TEAPOT, KETTLE], nextCursor: '' }),
    getProduct: async (request) => ({ ...TEAPOT, id: request.id }),
    createProduct: async (request) => ({
      id: '6b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a40',
      name: request.name,
      description: request.description,
      price: request.price,
      stock: request.stock,
      createdAt: '2026-02-01T00:00:00Z',
    }),
    updateProduct: async (request) => ({
      ...TEAPOT,
      id: request.id,
      price: request.price ?? TEAPOT.price,
      stock: TEAPOT.stock + (request.stockDelta ?? 0),
    }),
    reserveStock: async () => {
      throw new Error('the gateway never reserves stock');
    },
    releaseStock: async () => {
      throw new Error('the gateway never releases stock');
    },
  });
}

export const ORDER_ID = '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';

/** The order order-service answers for `request` (by ALICE), CONFIRMED and priced like TEAPOT unless `overrides` say else. */
export function orderFor(request: Pick<CreateOrderRequest, 'items'>, overrides: Partial<Order> = {}): Order {
  const price = TEAPOT.price ?? { amount: 0, currency: 'EUR' };
  return {
    id: ORDER_ID,
    userId: ALICE.id,
    status: OrderStatus.ORDER_STATUS_CONFIRMED,
    items: request.items.map((item) => ({ productId: item.productId, quantity: item.quantity, unitPrice: price })),
    total: {
      amount: request.items.reduce((sum, item) => sum + item.quantity * price.amount, 0),
      currency: price.currency,
    },
    failureCode: '',
    failureReason: '',
    declineCode: '',
    paymentId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    createdAt: '2026-03-01T10:00:00.000000Z',
    updatedAt: '2026-03-01T10:00:01.000000Z',
    failure: undefined,
    ...overrides,
  };
}

/** A CONFIRMED order of two teapots. */
export const PLACED_ORDER: Order = orderFor({ items: [{ productId: TEAPOT.id, quantity: 2 }] });

export function fakeOrderService(): FakeUpstream<OrderServiceServer> {
  return new FakeUpstream<OrderServiceServer>(OrderServiceService, 'shopfront/order/v1/order.proto', {
    createOrder: async (request) => orderFor(request),
    getOrder: async (request) => ({ ...PLACED_ORDER, id: request.id }),
    listOrders: async () => ({ items: [PLACED_ORDER], nextCursor: '' }),
    listAllOrders: async () => ({ items: [PLACED_ORDER], nextCursor: '' }),
  });
}
