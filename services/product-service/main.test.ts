import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/runtime/config';
import type { StartedService } from '../../lib/runtime/host';
import { freshDatabase, type TestDatabase } from '../../lib/runtime/test-support/postgres';
import { configShape, SCHEMA } from './config';
import { start } from './main';
import { startOnDatabase, testEnv } from './test-support/service';

async function configError(env: Record<string, string | undefined>): Promise<ConfigError> {
  try {
    await start({ env: testEnv(env) });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('product-service configuration', () => {
  it('defaults ports from the catalog, data under .data, no demo seed', () => {
    const config = loadConfig(configShape, { JWT_SECRET: 'x'.repeat(32) });
    expect(config).toEqual({
      HTTP_PORT: 8001,
      GRPC_PORT: 50052,
      DATABASE_URL: undefined,
      DATA_DIR: '.data',
      JWT_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'info',
      SEED_DEMO_PRODUCTS: false,
    });
    expect(SCHEMA).toBe('products');
  });

  it('accepts port 0 (ephemeral) and boolean spellings for SEED_DEMO_PRODUCTS', () => {
    const config = loadConfig(configShape, { JWT_SECRET: 'x'.repeat(32), HTTP_PORT: '0', SEED_DEMO_PRODUCTS: 'true' });
    expect(config.HTTP_PORT).toBe(0);
    expect(config.SEED_DEMO_PRODUCTS).toBe(true);
    expect(loadConfig(configShape, { JWT_SECRET: 'x'.repeat(32), SEED_DEMO_PRODUCTS: '0' }).SEED_DEMO_PRODUCTS).toBe(
      false,
    );
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['a missing JWT_SECRET', { JWT_SECRET: undefined }, 'JWT_SECRET'],
    ['a JWT_SECRET shorter than 32 characters', { JWT_SECRET: 'short-secret-value' }, 'JWT_SECRET'],
    ['a word for HTTP_PORT', { HTTP_PORT: 'eighty' }, 'HTTP_PORT'],
    ['GRPC_PORT out of range', { GRPC_PORT: '70000' }, 'GRPC_PORT'],
    ['a MySQL DATABASE_URL', { DATABASE_URL: 'mysql://shop:hunter2-password@db/shop' }, 'DATABASE_URL'],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['a non-boolean SEED_DEMO_PRODUCTS', { SEED_DEMO_PRODUCTS: 'maybe' }, 'SEED_DEMO_PRODUCTS'],
  ])('refuses to start with %s, naming the variable and never echoing a secret', async (_case, env, variable) => {
    const error = await configError(env);
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).not.toContain('short-secret-value');
    expect(error.message).not.toContain('hunter2-password');
  });
});

describe('product-service start and stop (PostgreSQL at DATABASE_URL)', () => {
  // A fresh database per test: each starts from an empty `products` schema.
  let database: TestDatabase;
  let running: StartedService[] = [];
  const launch = async (overrides: Record<string, string | undefined> = {}) => {
    const service = await startOnDatabase(database.url, overrides);
    running.push(service);
    return service;
  };
  const countProducts = async () =>
    Number((await database.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${SCHEMA}.products`)).rows[0]?.n);

  beforeEach(async () => {
    database = await freshDatabase();
  });

  afterEach(async () => {
    await Promise.all(running.map((s) => s.stop()));
    running = [];
    await database.drop();
  });

  it('binds ephemeral ports, reports them, is ready, and stops (draining, closing its ports) idempotently', async () => {
    const service = await launch();
    expect(service.name).toBe('product-service');
    expect(service.ports.http).toBeGreaterThan(0);
    expect(service.ports.grpc).toBeGreaterThan(0);
    expect((await service.health.report()).ready).toBe(true);
    await service.stop();
    await service.stop();
    expect((await service.health.report()).ready).toBe(false);
    await expect(fetch(`http://127.0.0.1:${service.ports.http}/livez`)).rejects.toThrow();
  });

  it('does not seed unless SEED_DEMO_PRODUCTS is true', async () => {
    const service = await launch();
    await service.stop();
    expect(await countProducts()).toBe(0);
  });

  it('seeds the 20 demo products once when started twice (20, not 40)', async () => {
    const first = await launch({ SEED_DEMO_PRODUCTS: 'true' });
    await first.stop();
    expect(await countProducts()).toBe(20);
    const second = await launch({ SEED_DEMO_PRODUCTS: 'true' });
    const page = await fetch(`http://127.0.0.1:${second.ports.http}/api/v1/products?limit=100`);
    const body = (await page.json()) as { items: { stock: number }[]; nextCursor: string | null };
    await second.stop();
    expect(await countProducts()).toBe(20);
    expect(body.items).toHaveLength(20);
    expect(body.nextCursor).toBeNull();
    expect(body.items.map((p) => p.stock)).toEqual(expect.arrayContaining([0, 1]));
  });

  it('seeds once when two replicas start together', async () => {
    const replicas = await Promise.all([
      launch({ SEED_DEMO_PRODUCTS: 'true' }),
      launch({ SEED_DEMO_PRODUCTS: 'true' }),
    ]);
    for (const replica of replicas) expect((await replica.health.report()).ready).toBe(true);
    await Promise.all(replicas.map((r) => r.stop()));
    expect(await countProducts()).toBe(20);
  });
});

describe('product-service on its own embedded PostgreSQL under DATA_DIR (no DATABASE_URL)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'product-service-'));
    // Run as root, the server runs as the `postgres` user, which must be able to reach its data folder.
    chmodSync(dataDir, 0o755);
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps its data across a restart and does not seed it again', async () => {
    const env = testEnv({ DATA_DIR: dataDir, SEED_DEMO_PRODUCTS: 'true' });
    const count = async (port: number | undefined) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/products?limit=100`);
      return ((await response.json()) as { items: unknown[] }).items.length;
    };
    const first = await start({ env, host: '127.0.0.1' });
    try {
      expect(await count(first.ports.http)).toBe(20);
    } finally {
      await first.stop();
    }
    const second = await start({ env, host: '127.0.0.1' });
    try {
      expect(await count(second.ports.http)).toBe(20);
    } finally {
      await second.stop();
    }
  });
});
