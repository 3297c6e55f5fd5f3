import * as grpc from '@grpc/grpc-js';
import {
  type ChargeRequest,
  ChargeStatus,
  PaymentServiceClient,
} from '../../lib/contracts/gen/shopfront/payment/v1/payment';
import { ConfigError, loadConfig } from '../../lib/runtime/config';
import { callUnary } from '../../lib/runtime/grpc-client';
import type { StartedService } from '../../lib/runtime/host';
import { createLogger } from '../../lib/runtime/logger';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { configShape, paymentTimings, SCHEMA } from './config';
import { start } from './main';

const silent = createLogger({ service: 'payment-service', level: 'silent' });
const testEnv = (overrides: Record<string, string | undefined> = {}) => ({
  GRPC_PORT: '0',
  METRICS_PORT: '0',
  LOG_LEVEL: 'silent',
  ...overrides,
});

async function configError(env: Record<string, string | undefined>): Promise<ConfigError> {
  try {
    await start({ env: testEnv(env), logger: silent });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('payment-service configuration', () => {
  it('defaults ports from the catalog, data under .data, tok_slow at 3 s; needs no secret', () => {
    expect(loadConfig(configShape, {})).toEqual({
      GRPC_PORT: 50054,
      METRICS_PORT: 9154,
      DATABASE_URL: undefined,
      DATA_DIR: '.data',
      LOG_LEVEL: 'info',
      SLOW_TOKEN_DELAY_MS: 3000,
    });
    expect(SCHEMA).toBe('payments');
  });

  it('accepts port 0 (ephemeral) and a zero slow delay', () => {
    const config = loadConfig(configShape, { GRPC_PORT: '0', METRICS_PORT: '0', SLOW_TOKEN_DELAY_MS: '0' });
    expect([config.GRPC_PORT, config.METRICS_PORT, config.SLOW_TOKEN_DELAY_MS]).toEqual([0, 0, 0]);
  });

  it('derives the time budgets from the slow delay: duplicates wait past it, a lease outlasts a processor call', () => {
    expect(paymentTimings(3000)).toEqual({ processorTimeoutMs: 8000, inProgressWaitMs: 5000, claimLeaseMs: 30_000 });
    const slow = paymentTimings(60_000);
    expect(slow.inProgressWaitMs).toBeGreaterThan(60_000);
    expect(slow.claimLeaseMs).toBeGreaterThan(slow.processorTimeoutMs);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['a word for GRPC_PORT', { GRPC_PORT: 'eighty' }, 'GRPC_PORT'],
    ['METRICS_PORT out of range', { METRICS_PORT: '70000' }, 'METRICS_PORT'],
    ['a negative SLOW_TOKEN_DELAY_MS', { SLOW_TOKEN_DELAY_MS: '-1' }, 'SLOW_TOKEN_DELAY_MS'],
    ['a word for SLOW_TOKEN_DELAY_MS', { SLOW_TOKEN_DELAY_MS: 'soon' }, 'SLOW_TOKEN_DELAY_MS'],
    ['a MySQL DATABASE_URL', { DATABASE_URL: 'mysql://shop:hunter2-password@db/shop' }, 'DATABASE_URL'],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('refuses to start with %s, naming the variable and never echoing a secret', async (_case, env, variable) => {
    const error = await configError(env);
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).not.toContain('hunter2-password');
  });
});

describe('payment-service start and stop (PostgreSQL at DATABASE_URL)', () => {
  let database: TestDatabase;
  let running: StartedService[] = [];
  let order = 0;

  const launch = async (overrides: Record<string, string | undefined> = {}) => {
    const env = testEnv({ DATABASE_URL: database.url, ...overrides });
    const service = await start({ env, logger: silent, host: '127.0.0.1' });
    running.push(service);
    return service;
  };
  const clientOf = (service: StartedService) =>
    new PaymentServiceClient(`127.0.0.1:${service.ports.grpc}`, grpc.credentials.createInsecure());
  const charge = (client: PaymentServiceClient, request: ChargeRequest, timeoutMs = 10_000) =>
    callUnary(client, client.charge, request, { peer: 'payment-service', rpc: 'Charge', timeoutMs });
  const newRequest = (paymentToken = 'tok_visa'): ChargeRequest => {
    order += 1;
    return {
      idempotencyKey: `order-${order}`,
      amount: { amount: 1250, currency: 'USD' },
      paymentToken,
      orderId: `order-${order}`,
      customerId: 'customer-1',
    };
  };
  const statusOf = async (key: string) =>
    (await database.query<{ status: string }>(`SELECT status FROM ${SCHEMA}.charges WHERE idempotency_key = $1`, [key]))
      .rows;

  beforeAll(async () => {
    database = await freshDatabase();
  });

  afterEach(async () => {
    await Promise.all(running.map((s) => s.stop()));
    running = [];
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('binds ephemeral ports, reports them by catalog name, and serves /livez, /readyz and /metrics', async () => {
    const service = await launch();
    expect(service.name).toBe('payment-service');
    expect(Object.keys(service.ports).sort()).toEqual(['grpc', 'metrics']);
    expect(service.ports.grpc).toBeGreaterThan(0);
    expect(service.ports.metrics).toBeGreaterThan(0);
    expect((await service.health.report()).ready).toBe(true);

    const client = clientOf(service);
    const result = await charge(client, newRequest());
    client.close();
    expect(result.status).toBe(ChargeStatus.CHARGE_STATUS_SUCCEEDED);

    const base = `http://127.0.0.1:${service.ports.metrics}`;
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true } } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/grpc_server_handled_total\{[^}]*grpc_method="Charge"[^}]*grpc_code="OK"[^}]*\} 1/);
  });

  it('stops idempotently: not ready, ports closed', async () => {
    const service = await launch();
    await Promise.all([service.stop(), service.stop()]);
    expect((await service.health.report()).ready).toBe(false);
    await expect(fetch(`http://127.0.0.1:${service.ports.metrics}/livez`)).rejects.toThrow();
  });

  it('records a charge whose client gave up (deadline) before stop() closes the database', async () => {
    const service = await launch({ SLOW_TOKEN_DELAY_MS: '300' });
    const client = clientOf(service);
    const request = newRequest('tok_slow');
    await expect(charge(client, request, 30)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    client.close();
    await service.stop();
    expect(await statusOf(request.idempotencyKey)).toEqual([{ status: 'SUCCEEDED' }]);
  });

  it('replays a charge after a restart from the database, without a new charge', async () => {
    const request = newRequest();
    const first = await launch();
    const firstClient = clientOf(first);
    const original = await charge(firstClient, request);
    firstClient.close();
    await first.stop();

    const second = await launch();
    const secondClient = clientOf(second);
    expect(await charge(secondClient, request)).toEqual(original);
    secondClient.close();
    expect(await statusOf(request.idempotencyKey)).toHaveLength(1);
  });
});
