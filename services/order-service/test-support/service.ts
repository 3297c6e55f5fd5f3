import * as grpc from '@grpc/grpc-js';
import {
  type CreateOrderRequest,
  type ListOrdersResponse,
  type Order,
  OrderServiceClient,
} from '../../../lib/contracts/gen/shopfront/order/v1/order';
import type { EventBus, OutgoingMessage, SubscribeOptions, Subscription } from '../../../lib/runtime/events';
import { callUnary } from '../../../lib/runtime/grpc-client';
import type { StartedService } from '../../../lib/runtime/host';
import { createLogger, type Logger } from '../../../lib/runtime/logger';
import { ERROR_FIELD_KEY, ERROR_REASON_KEY } from '../../../lib/runtime/status';
import type { TestDatabase } from '../../../lib/runtime/test-support/postgres';
import type { Tracing } from '../../../lib/runtime/tracing';
import { start } from '../main';
import type { FakePaymentService, FakeProductService } from './fake-peers';
import { TEST_JWT_SECRET } from './tokens';

export const silentLogger = (): Logger => createLogger({ service: 'order-service', level: 'silent' });

/** The environment a test starts the service with: ephemeral ports, the fakes, short deadlines. */
export function testEnv(
  peers: { product: FakeProductService; payment: FakePaymentService },
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    GRPC_PORT: '0',
    HTTP_PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    PRODUCT_SERVICE_ADDR: peers.product.address,
    PAYMENT_SERVICE_ADDR: peers.payment.address,
    DOWNSTREAM_TIMEOUT_MS: '1000',
    OUTBOX_POLL_MS: '20',
    ...overrides,
  };
}

/**
 * Starts the service on `database` (a test database, or any `postgres://` URL) through DATABASE_URL; options.env
 * may override the rest of the test environment, not the database.
 */
export function startOnDatabase(
  database: TestDatabase | string,
  peers: { product: FakeProductService; payment: FakePaymentService },
  options: { bus?: EventBus; env?: Record<string, string | undefined>; logger?: Logger; tracing?: Tracing } = {},
): Promise<StartedService> {
  const url = typeof database === 'string' ? database : database.url;
  return start({
    env: testEnv(peers, { ...options.env, DATABASE_URL: url }),
    eventBus: options.bus,
    tracing: options.tracing,
    logger: options.logger ?? silentLogger(),
    host: '127.0.0.1',
  });
}

/** Waits for something that happens in the background (the relay, the recoverer); fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface CallFailure {
  code: grpc.status;
  field?: string;
  reason?: string;
}

/** The status code and the field/reason trailers of a failed call. */
export async function failure(call: Promise<unknown>): Promise<CallFailure> {
  try {
    await call;
  } catch (error) {
    const e = error as grpc.ServiceError;
    if (typeof e.code !== 'number') throw error;
    const field = e.metadata?.get(ERROR_FIELD_KEY)[0];
    const reason = e.metadata?.get(ERROR_REASON_KEY)[0];
    return {
      code: e.code,
      ...(field === undefined ? {} : { field: String(field) }),
      ...(reason === undefined ? {} : { reason: String(reason) }),
    };
  }
  throw new Error('expected the call to fail');
}

/** The order-service API through the generated client on a real socket. */
export class OrderApi {
  readonly client: OrderServiceClient;

  constructor(port: number | undefined) {
    if (port === undefined) throw new Error('the service reports no grpc port');
    this.client = new OrderServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  private options(rpc: string, bearerToken?: string) {
    return { peer: 'order-service', rpc, timeoutMs: 30_000, bearerToken };
  }

  create(request: CreateOrderRequest, token?: string): Promise<Order> {
    return callUnary(this.client, this.client.createOrder, request, this.options('CreateOrder', token));
  }

  get(id: string, token?: string): Promise<Order> {
    return callUnary(this.client, this.client.getOrder, { id }, this.options('GetOrder', token));
  }

  list(limit: number, cursor: string, token?: string): Promise<ListOrdersResponse> {
    return callUnary(this.client, this.client.listOrders, { limit, cursor }, this.options('ListOrders', token));
  }

  listAll(limit: number, cursor: string, token?: string): Promise<ListOrdersResponse> {
    return callUnary(this.client, this.client.listAllOrders, { limit, cursor }, this.options('ListAllOrders', token));
  }

  close(): void {
    this.client.close();
  }
}

/** An event bus that refuses to publish while `failing` (a broker that is away), around a real one. */
export class FlakyBus implements EventBus {
  failing = false;
  failedPublishes = 0;

  constructor(private readonly inner: EventBus) {}

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.failing) {
      this.failedPublishes += 1;
      throw new Error('broker unavailable (test)');
    }
    await this.inner.publish(topic, messages);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }

  async ping(): Promise<void> {
    if (this.failing) throw new Error('broker unavailable (test)');
    await this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
