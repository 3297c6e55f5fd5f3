import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { shop } from '../../lib/platform';
import { ConfigError } from '../../lib/runtime/config';
import { throwawayCa } from '../../lib/runtime/test-support/tls';
import { loadGatewayConfig } from './config';
import { start } from './main';

const SECRET = 'a-signing-secret-of-at-least-32-chars!';

describe('loadGatewayConfig', () => {
  it('takes its defaults from the catalog and the brief', () => {
    expect(loadGatewayConfig({ JWT_SECRET: SECRET })).toEqual({
      HTTP_PORT: 8080,
      USER_SERVICE_ADDR: 'localhost:50051',
      PRODUCT_SERVICE_ADDR: 'localhost:50052',
      ORDER_SERVICE_ADDR: 'localhost:50053',
      JWT_SECRET: SECRET,
      UPSTREAM_TIMEOUT_MS: 2000,
      CREATE_ORDER_TIMEOUT_MS: 10_000,
      CREDENTIALS_TIMEOUT_MS: 10_000,
      MAX_BODY_BYTES: 16_384,
      CATALOGUE_CACHE_TTL_MS: 1000,
      LOG_LEVEL: 'info',
      DATA_DIR: '.data',
    });
    expect(shop.port('api-gateway', 'http')).toBe(8080);
    expect(shop.port('order-service', 'grpc')).toBe(50053);
  });

  it('reads every variable', () => {
    expect(
      loadGatewayConfig({
        HTTP_PORT: '0',
        USER_SERVICE_ADDR: 'user-service.shopfront.svc:50051',
        PRODUCT_SERVICE_ADDR: '10.0.0.7:50052',
        ORDER_SERVICE_ADDR: 'order-service.shopfront.svc:50053',
        JWT_SECRET: SECRET,
        UPSTREAM_TIMEOUT_MS: '750',
        CREATE_ORDER_TIMEOUT_MS: '15000',
        MAX_BODY_BYTES: '1024',
        CATALOGUE_CACHE_TTL_MS: '0',
        LOG_LEVEL: 'warn',
        DATA_DIR: '/var/lib/shopfront',
        ANALYTICS_DATABASE_URL: 'postgres://gateway_reader:pw@10.131.0.3:5432/analytics',
      }),
    ).toEqual({
      HTTP_PORT: 0,
      USER_SERVICE_ADDR: 'user-service.shopfront.svc:50051',
      PRODUCT_SERVICE_ADDR: '10.0.0.7:50052',
      ORDER_SERVICE_ADDR: 'order-service.shopfront.svc:50053',
      JWT_SECRET: SECRET,
      UPSTREAM_TIMEOUT_MS: 750,
      CREATE_ORDER_TIMEOUT_MS: 15_000,
      CREDENTIALS_TIMEOUT_MS: 10_000,
      MAX_BODY_BYTES: 1024,
      CATALOGUE_CACHE_TTL_MS: 0,
      LOG_LEVEL: 'warn',
      DATA_DIR: '/var/lib/shopfront',
      ANALYTICS_DATABASE_URL: 'postgres://gateway_reader:pw@10.131.0.3:5432/analytics',
    });
  });

  it('treats an empty value as unset', () => {
    expect(loadGatewayConfig({ JWT_SECRET: SECRET, HTTP_PORT: '', UPSTREAM_TIMEOUT_MS: '' })).toMatchObject({
      HTTP_PORT: 8080,
      UPSTREAM_TIMEOUT_MS: 2000,
    });
  });

  it('refuses an ANALYTICS_DATABASE_URL that is not a PostgreSQL URL, without printing it', () => {
    const attempt = () => loadGatewayConfig({ JWT_SECRET: SECRET, ANALYTICS_DATABASE_URL: 'mysql://u:hunter2@db/x' });
    expect(attempt).toThrow(/ANALYTICS_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  describe("the results database's TLS settings, checked at start rather than at the first query", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gateway-config-'));
    const ca = throwawayCa(dir, 'results-db-ca');
    const notPem = path.join(dir, 'not-a-certificate.pem');
    writeFileSync(notPem, 'hunter2 is not a certificate\n');
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const url = (query: string) => `postgres://analytics_gateway:hunter2@10.111.0.3:5432/analytics?${query}`;
    const load = (query: string) => () => loadGatewayConfig({ JWT_SECRET: SECRET, ANALYTICS_DATABASE_URL: url(query) });

    it("takes verify-ca in libpq's meaning with a readable CA", () => {
      const query = `sslmode=verify-ca&uselibpqcompat=true&sslrootcert=${ca.certFile}`;
      expect(load(query)().ANALYTICS_DATABASE_URL).toBe(url(query));
    });

    it.each([
      [
        'verify-ca without uselibpqcompat',
        `sslmode=verify-ca&sslrootcert=${ca.certFile}`,
        /ANALYTICS_DATABASE_URL: sslmode=verify-ca needs uselibpqcompat=true/,
      ],
      [
        'a CA file that is missing',
        `sslmode=verify-ca&uselibpqcompat=true&sslrootcert=${dir}/missing.pem`,
        new RegExp(`ANALYTICS_DATABASE_URL: sslrootcert ${dir}/missing.pem cannot be read \\(ENOENT\\)`),
      ],
      [
        'a CA file without a certificate',
        `sslmode=verify-ca&uselibpqcompat=true&sslrootcert=${notPem}`,
        /ANALYTICS_DATABASE_URL: sslrootcert .*not-a-certificate\.pem holds no PEM certificate/,
      ],
    ])('refuses %s, naming it, without printing the URL', (_label, query, message) => {
      expect(load(query)).toThrow(message);
      expect(load(query)).not.toThrow(/hunter2/);
    });
  });

  it('requires JWT_SECRET', () => {
    expect(() => loadGatewayConfig({})).toThrow(ConfigError);
    expect(() => loadGatewayConfig({})).toThrow(/JWT_SECRET/);
  });

  it('refuses a short JWT_SECRET without printing it', () => {
    const attempt = () => loadGatewayConfig({ JWT_SECRET: 'short-but-secret' });
    expect(attempt).toThrow(/JWT_SECRET: must be at least 32 characters \(got \(hidden\)\)/);
    expect(attempt).not.toThrow(/short-but-secret/);
  });

  it.each([
    ['HTTP_PORT', '65536'],
    ['HTTP_PORT', 'eighty'],
    ['USER_SERVICE_ADDR', 'user-service'],
    ['PRODUCT_SERVICE_ADDR', 'http://product-service:50052'],
    ['ORDER_SERVICE_ADDR', 'order-service'],
    ['CREATE_ORDER_TIMEOUT_MS', '0'],
    ['UPSTREAM_TIMEOUT_MS', '0'],
    ['UPSTREAM_TIMEOUT_MS', '1.5'],
    ['MAX_BODY_BYTES', '-1'],
    ['CATALOGUE_CACHE_TTL_MS', '1001'],
    ['CATALOGUE_CACHE_TTL_MS', '-5'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    expect(() => loadGatewayConfig({ JWT_SECRET: SECRET, [variable]: value })).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ variable })] }),
    );
  });
});

describe('start', () => {
  it('fails with a ConfigError before binding anything when the environment is bad', async () => {
    await expect(start({ env: { HTTP_PORT: '0' } })).rejects.toBeInstanceOf(ConfigError);
  });

  it('binds an ephemeral port for HTTP_PORT=0 and reports it', async () => {
    const service = await start({
      env: { HTTP_PORT: '0', JWT_SECRET: SECRET, LOG_LEVEL: 'silent' },
      host: '127.0.0.1',
    });
    try {
      expect(service.name).toBe('api-gateway');
      expect(service.ports.http).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${service.ports.http}/livez`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
