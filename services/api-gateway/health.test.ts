import { start } from './main';
import { fakeProductService } from './test-support/fake-upstreams';
import {
  type ApiResponse,
  DocumentedApi,
  JWT_SECRET,
  startTestPlatform,
  type TestPlatform,
} from './test-support/gateway';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform.stop();
});
beforeEach(() => platform.reset());

/** Asks until the answer has `status` (health is cached and re-probed); fails with the last answer otherwise. */
async function eventually(api: DocumentedApi, path: string, status: number): Promise<ApiResponse> {
  let last: ApiResponse | undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    last = await api.request('GET', path);
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`GET ${path} never answered ${status}; last: ${last?.status} ${last?.text}`);
}

describe('GET /health', () => {
  it('is 200 ok when every peer answers grpc.health.v1 SERVING for its service', async () => {
    const response = await eventually(platform.api, '/health', 200);
    expect(response.body).toEqual({
      status: 'ok',
      checks: { 'user-service': { ok: true }, 'product-service': { ok: true }, 'order-service': { ok: true } },
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  const PEERS = { users: 'user-service', products: 'product-service', orders: 'order-service' } as const;

  it.each(Object.keys(PEERS) as (keyof typeof PEERS)[])(
    'follows %s going NOT_SERVING and coming back',
    async (which) => {
      await eventually(platform.api, '/health', 200);
      platform[which].healthy = false;
      const down = await eventually(platform.api, '/health', 503);
      const checks = Object.fromEntries(
        Object.entries(PEERS).map(([fake, peer]) => [
          peer,
          fake === which ? { ok: false, error: 'status NOT_SERVING' } : { ok: true },
        ]),
      );
      expect(down.body).toEqual({ status: 'unavailable', checks });
      expect((await eventually(platform.api, '/readyz', 503)).body).toMatchObject({ status: 'not ready' });

      platform[which].healthy = true;
      await eventually(platform.api, '/health', 200);
      await eventually(platform.api, '/readyz', 200);
    },
  );
});

describe('GET /health against the wrong peer', () => {
  it('is 503 when the address answers but does not serve the expected service', async () => {
    const products = await fakeProductService().start();
    const gateway = await start({
      env: {
        HTTP_PORT: '0',
        // product-service where user-service should be: its health service knows no shopfront.user.v1.UserService.
        USER_SERVICE_ADDR: products.address,
        PRODUCT_SERVICE_ADDR: products.address,
        ORDER_SERVICE_ADDR: platform.orders.address,
        JWT_SECRET,
        LOG_LEVEL: 'silent',
      },
      host: '127.0.0.1',
    });
    try {
      const api = await DocumentedApi.load(`http://127.0.0.1:${gateway.ports.http}`);
      const response = await api.request('GET', '/health');
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        status: 'unavailable',
        checks: {
          'user-service': { ok: false, error: 'health check failed: NOT_FOUND' },
          'product-service': { ok: true },
          'order-service': { ok: true },
        },
      });
    } finally {
      await gateway.stop();
      await products.stop();
    }
  });
});

describe('GET /metrics', () => {
  it('counts HTTP requests by route template and gRPC client calls by peer and code', async () => {
    await platform.api.request('GET', '/api/v1/products/{id}', {
      params: { id: '3f2b9a64-0c1d-4e8f-9a7b-6c5d4e3f2a10' },
    });
    const response = await platform.api.request('GET', '/metrics');
    expect(response.status).toBe(200);
    const text = response.text;
    expect(text).toMatch(/http_requests_total\{[^}]*route="\/api\/v1\/products\/:id"[^}]*\} \d+/);
    expect(text).toMatch(
      /grpc_client_handled_total\{[^}]*grpc_service="product-service",grpc_method="GetProduct",grpc_code="OK"[^}]*\} \d+/,
    );
  });
});

describe('shutdown', () => {
  it('reports unavailable once draining, then stops listening', async () => {
    const gateway = await start({
      env: {
        HTTP_PORT: '0',
        USER_SERVICE_ADDR: platform.users.address,
        PRODUCT_SERVICE_ADDR: platform.products.address,
        ORDER_SERVICE_ADDR: platform.orders.address,
        JWT_SECRET,
        LOG_LEVEL: 'silent',
      },
      host: '127.0.0.1',
    });
    const url = `http://127.0.0.1:${gateway.ports.http}`;
    const api = await DocumentedApi.load(url);
    await eventually(api, '/health', 200);

    gateway.health.drain();
    expect((await api.request('GET', '/health')).status).toBe(503);

    await gateway.stop();
    await expect(fetch(`${url}/livez`)).rejects.toThrow();
    await gateway.stop(); // idempotent
  });
});
