import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OrderStatus } from '../../lib/contracts/gen/shopfront/order/v1/order';
import { parseOrderEvent } from '../../lib/events';
import { ConfigError } from '../../lib/runtime/config';
import { LocalEventLog, PostgresEventLog } from '../../lib/runtime/events';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { loadOrderServiceConfig, ORDERS_TOPIC, SCHEMA } from './config';
import { start } from './main';
import { FakePaymentService, FakeProductService } from './test-support/fake-peers';
import { FlakyBus, OrderApi, silentLogger, startOnDatabase, until } from './test-support/service';
import { newUser, TEST_JWT_SECRET, tokenOf } from './test-support/tokens';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadOrderServiceConfig({ JWT_SECRET: TEST_JWT_SECRET, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('order-service configuration', () => {
  it('defaults ports, peers and the topic from the catalog', () => {
    expect(loadOrderServiceConfig({ JWT_SECRET: TEST_JWT_SECRET })).toEqual({
      GRPC_PORT: 50053,
      HTTP_PORT: 8003,
      DATABASE_URL: undefined,
      DATA_DIR: '.data',
      JWT_SECRET: TEST_JWT_SECRET,
      PRODUCT_SERVICE_ADDR: 'localhost:50052',
      PAYMENT_SERVICE_ADDR: 'localhost:50054',
      KAFKA_BROKERS: undefined,
      KAFKA_MSK_IAM_REGION: undefined,
      KAFKA_TOPIC_ORDERS: 'orders',
      DOWNSTREAM_TIMEOUT_MS: 2000,
      ORDER_DEADLINE_MS: 7000,
      ORDER_PENDING_LIMIT_MS: 900_000,
      OUTBOX_POLL_MS: 200,
      SAGA_RECOVERY_AFTER_MS: 60_000,
      SAGA_RECOVERY_POLL_MS: 2000,
      LOG_LEVEL: 'info',
    });
    expect(SCHEMA).toBe('orders');
  });

  it('reads brokers as a list, port 0, a short order deadline', () => {
    const config = loadOrderServiceConfig({
      JWT_SECRET: TEST_JWT_SECRET,
      KAFKA_BROKERS: 'b-1.kafka:9098,b-2.kafka:9098',
      KAFKA_MSK_IAM_REGION: 'eu-west-1',
      GRPC_PORT: '0',
      ORDER_DEADLINE_MS: '500',
    });
    expect(config.KAFKA_BROKERS).toEqual(['b-1.kafka:9098', 'b-2.kafka:9098']);
    expect(config.GRPC_PORT).toBe(0);
    expect(config.ORDER_DEADLINE_MS).toBe(500);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['a missing JWT_SECRET', { JWT_SECRET: undefined }, 'JWT_SECRET'],
    ['a JWT_SECRET shorter than 32 characters', { JWT_SECRET: 'short-secret-value' }, 'JWT_SECRET'],
    ['a MySQL DATABASE_URL', { DATABASE_URL: 'mysql://shop:hunter2-password@db/shop' }, 'DATABASE_URL'],
    ['GRPC_PORT out of range', { GRPC_PORT: '70000' }, 'GRPC_PORT'],
    ['a word for HTTP_PORT', { HTTP_PORT: 'eighty' }, 'HTTP_PORT'],
    ['a peer without a port', { PRODUCT_SERVICE_ADDR: 'product-service' }, 'PRODUCT_SERVICE_ADDR'],
    ['brokers with a blank', { KAFKA_BROKERS: 'a:9092, b:9092' }, 'KAFKA_BROKERS'],
    ['a region that is not one', { KAFKA_MSK_IAM_REGION: 'Ireland' }, 'KAFKA_MSK_IAM_REGION'],
    ['a topic with a slash', { KAFKA_TOPIC_ORDERS: 'orders/v1' }, 'KAFKA_TOPIC_ORDERS'],
    ['a zero timeout', { DOWNSTREAM_TIMEOUT_MS: '0' }, 'DOWNSTREAM_TIMEOUT_MS'],
    ['a deadline in words', { ORDER_DEADLINE_MS: 'seven seconds' }, 'ORDER_DEADLINE_MS'],
    ['a pending limit below a second', { ORDER_PENDING_LIMIT_MS: '10' }, 'ORDER_PENDING_LIMIT_MS'],
    ['a fractional poll', { OUTBOX_POLL_MS: '0.5' }, 'OUTBOX_POLL_MS'],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [
      'a saga lease shorter than two saga runs',
      { SAGA_RECOVERY_AFTER_MS: '10000', DOWNSTREAM_TIMEOUT_MS: '5000' },
      'SAGA_RECOVERY_AFTER_MS',
    ],
  ])('refuses %s, naming the variable and never echoing a secret', (_case, env, variable) => {
    const error = configError(env);
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).not.toContain('short-secret-value');
    expect(error.message).not.toContain('hunter2-password');
  });

  it('refuses to start on a bad configuration', async () => {
    await expect(start({ env: { JWT_SECRET: 'short' } })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('order-service start, readiness and stop (a fresh PostgreSQL database per test, fake peers)', () => {
  // A fresh database per test: each starts the service on an empty `orders` schema.
  let database: TestDatabase;
  let product: FakeProductService;
  let payment: FakePaymentService;
  const dirs: string[] = [];

  beforeAll(async () => {
    product = await new FakeProductService().start();
    payment = await new FakePaymentService().start();
  });

  beforeEach(async () => {
    database = await freshDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  afterAll(async () => {
    await Promise.all([product.close(), payment.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'order-service-'));
    dirs.push(dir);
    return dir;
  };

  it('binds ephemeral ports, is ready on postgres and the event bus, serves metrics, and stops idempotently', async () => {
    const bus = new LocalEventLog({ partitions: {}, logger: silentLogger() });
    const service = await startOnDatabase(database, { product, payment }, { bus });
    expect(service.name).toBe('order-service');
    expect(Object.keys(service.ports).sort()).toEqual(['grpc', 'http']);
    expect(service.ports.grpc).toBeGreaterThan(0);
    expect(service.ports.http).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${service.ports.http}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: { ok: true }, 'event-bus': { ok: true } },
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('order_outbox_unpublished_events');
    expect(metrics).toContain('order_outbox_oldest_unpublished_age_seconds');
    expect((await fetch(`${base}/api/v1/orders/${randomUUID()}`)).status).toBe(404);

    await service.stop();
    await service.stop();
    expect((await service.health.report()).ready).toBe(false);
    await expect(fetch(`${base}/livez`)).rejects.toThrow();
    // The bus belongs to whoever passed it in: still open.
    await expect(bus.ping()).resolves.toBeUndefined();
    await bus.close();
  });

  it('reports not ready while the event bus does not answer', async () => {
    const bus = new FlakyBus(new LocalEventLog({ partitions: {}, logger: silentLogger() }));
    bus.failing = true;
    const service = await startOnDatabase(database, { product, payment }, { bus });
    try {
      const res = await fetch(`http://127.0.0.1:${service.ports.http}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean }> };
      expect(body.checks.postgres?.ok).toBe(true);
      expect(body.checks['event-bus']?.ok).toBe(false);
    } finally {
      await service.stop();
      await bus.close();
    }
  });

  it('without KAFKA_BROKERS or a bus passed in, publishes to the event log in its PostgreSQL database', async () => {
    const dataDir = tempDir();
    const service = await startOnDatabase(database, { product, payment }, { env: { DATA_DIR: dataDir } });
    const api = new OrderApi(service.ports.grpc);
    // Another instance on the same database reads what the service appended, as another process would.
    const reader = new PostgresEventLog({ url: database.url, partitions: {}, logger: silentLogger() });
    const records = () => reader.records(ORDERS_TOPIC.name);
    try {
      const user = newUser();
      const productId = product.addProduct({ amount: 500, currency: 'EUR' }, 5);
      const order = await api.create(
        { idempotencyKey: 'k-1', items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
        await tokenOf(user),
      );
      expect(order.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
      await until(async () => (await records()).length > 0);
      await service.stop();
      const published = await records();
      expect(published).toHaveLength(1);
      expect(published[0]?.key).toBe(order.id);
      const parsed = parseOrderEvent(published[0]?.value);
      expect(parsed.ok && parsed.event.data.userEmail).toBe(user.email);
      // Not a log of this process only: nothing under DATA_DIR/events.
      expect(existsSync(path.join(dataDir, 'events'))).toBe(false);
    } finally {
      api.close();
      await service.stop();
      await reader.close();
    }
  });

  it('two replicas on one database relay each event once', async () => {
    const bus = new LocalEventLog({ partitions: { orders: 3 }, logger: silentLogger() });
    const replicas = [
      await startOnDatabase(database, { product, payment }, { bus }),
      await startOnDatabase(database, { product, payment }, { bus }),
    ];
    const apis = replicas.map((r) => new OrderApi(r.ports.grpc));
    try {
      const token = await tokenOf(newUser());
      const productId = product.addProduct({ amount: 500, currency: 'EUR' }, 100);
      const orders = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          apis[i % 2]?.create(
            { idempotencyKey: `replica-${i}`, items: [{ productId, quantity: 1 }], paymentToken: 'tok_visa' },
            token,
          ),
        ),
      );
      const ids = orders.map((o) => o?.id);
      await until(() => ids.every((id) => bus.records('orders').some((r) => r.key === id)));
      await Promise.all(replicas.map((r) => r.stop()));
      const published = bus.records('orders').filter((r) => ids.includes(r.key ?? ''));
      expect(published).toHaveLength(12);
    } finally {
      for (const api of apis) api.close();
      await Promise.all(replicas.map((r) => r.stop()));
      await bus.close();
    }
  });
});
