import { Role } from '../../lib/contracts/gen/shopfront/user/v1/user';
import { DomainError, type ErrorCode, InvalidArgumentError } from '../../lib/runtime/errors';
import { start } from './main';
import {
  ALICE,
  fakeOrderService,
  fakeProductService,
  fakeUserService,
  ORDER_ID,
  TEAPOT,
} from './test-support/fake-upstreams';
import {
  type ApiResponse,
  adminToken,
  customerToken,
  DocumentedApi,
  JWT_SECRET,
  looksLikeInternals,
  startTestPlatform,
  type TestPlatform,
} from './test-support/gateway';

let platform: TestPlatform;
let admin: string;
let customer: string;

beforeAll(async () => {
  platform = await startTestPlatform({
    UPSTREAM_TIMEOUT_MS: '1000',
    CREATE_ORDER_TIMEOUT_MS: '1000',
    CREDENTIALS_TIMEOUT_MS: '1000',
  });
  admin = await adminToken();
  customer = await customerToken();
});
afterAll(async () => {
  await platform.stop();
});
beforeEach(() => platform.reset());

type Fake = 'users' | 'products' | 'orders';

/** Every route that calls a peer, with a valid request and the RPC it becomes. */
const upstreamRoutes = [
  {
    name: 'POST /api/v1/auth/register',
    fake: 'users' as Fake,
    rpc: 'register',
    send: (api: DocumentedApi) =>
      api.request('POST', '/api/v1/auth/register', {
        json: { email: 'carol@example.com', password: 'correct horse battery', name: 'Carol' },
      }),
  },
  {
    name: 'POST /api/v1/auth/login',
    fake: 'users' as Fake,
    rpc: 'authenticate',
    send: (api: DocumentedApi) =>
      api.request('POST', '/api/v1/auth/login', { json: { email: ALICE.email, password: 'pw' } }),
  },
  {
    name: 'GET /api/v1/users/:id',
    fake: 'users' as Fake,
    rpc: 'getUser',
    send: (api: DocumentedApi) =>
      api.request('GET', '/api/v1/users/{id}', {
        params: { id: ALICE.id },
        headers: { authorization: `Bearer ${admin}` },
      }),
  },
  {
    name: 'GET /api/v1/products',
    fake: 'products' as Fake,
    rpc: 'listProducts',
    send: (api: DocumentedApi) => api.request('GET', '/api/v1/products'),
  },
  {
    name: 'GET /api/v1/products/:id',
    fake: 'products' as Fake,
    rpc: 'getProduct',
    send: (api: DocumentedApi) => api.request('GET', '/api/v1/products/{id}', { params: { id: TEAPOT.id } }),
  },
  {
    name: 'POST /api/v1/products',
    fake: 'products' as Fake,
    rpc: 'createProduct',
    send: (api: DocumentedApi) =>
      api.request('POST', '/api/v1/products', {
        json: { name: 'Cup', price: { amount: 100, currency: 'EUR' }, stock: 1 },
        headers: { authorization: `Bearer ${admin}` },
      }),
  },
  {
    name: 'POST /api/v1/orders',
    fake: 'orders' as Fake,
    rpc: 'createOrder',
    send: (api: DocumentedApi) =>
      api.request('POST', '/api/v1/orders', {
        json: { items: [{ productId: TEAPOT.id, quantity: 1 }], paymentToken: 'tok_visa' },
        headers: { authorization: `Bearer ${customer}`, 'idempotency-key': 'upstream-errors-1' },
      }),
  },
  {
    name: 'GET /api/v1/orders',
    fake: 'orders' as Fake,
    rpc: 'listOrders',
    send: (api: DocumentedApi) =>
      api.request('GET', '/api/v1/orders', { headers: { authorization: `Bearer ${customer}` } }),
  },
  {
    name: 'GET /api/v1/orders/:id',
    fake: 'orders' as Fake,
    rpc: 'getOrder',
    send: (api: DocumentedApi) =>
      api.request('GET', '/api/v1/orders/{id}', {
        params: { id: ORDER_ID },
        headers: { authorization: `Bearer ${customer}` },
      }),
  },
] as const;

/** What a client sees for each status a peer's domain error travels as (google.rpc.Code's HTTP mapping). */
const EXPECTED_HTTP: readonly (readonly [ErrorCode, number])[] = [
  ['INVALID_ARGUMENT', 400],
  ['FAILED_PRECONDITION', 400],
  ['UNAUTHENTICATED', 401],
  ['PERMISSION_DENIED', 403],
  ['NOT_FOUND', 404],
  ['ALREADY_EXISTS', 409],
  ['RESOURCE_EXHAUSTED', 429],
  ['INTERNAL', 500],
  ['UNAVAILABLE', 503],
  ['DEADLINE_EXCEEDED', 504],
];

const INTERNAL_DETAIL = 'connection to 10.1.2.3:5432 failed: password authentication failed for user "svc"';

function respond(fake: Fake, rpc: string, handler: () => Promise<never>): void {
  // Every fake RPC has the same shape for this purpose: it throws.
  (platform[fake] as { respond(rpc: string, h: () => Promise<never>): void }).respond(rpc, handler);
}

function errorOf(response: ApiResponse): { code: string; message: string; field?: string } {
  return (response.body as { error: { code: string; message: string; field?: string } }).error;
}

describe.each(upstreamRoutes)('$name', (route) => {
  it.each(EXPECTED_HTTP)('maps a peer %s to HTTP %i', async (code, status) => {
    respond(route.fake, route.rpc, async () => {
      throw new DomainError(code, `${code.toLowerCase()} says the peer (${INTERNAL_DETAIL})`, 'price.unit_amount');
    });
    const response = await route.send(platform.api);

    expect(response.status).toBe(status);
    const error = errorOf(response);
    expect(error.code).toBe(code);
    if (status < 500) {
      // A peer's domain error is written for callers: its message and field (in camelCase) pass through.
      expect(error.message).toContain(`${code.toLowerCase()} says the peer`);
      expect(error.field).toBe('price.unitAmount');
    } else {
      expect(error.message).not.toContain('peer');
      expect(error.field).toBeUndefined();
      expect(looksLikeInternals(response.text)).toBe(false);
      expect(response.text).not.toContain('10.1.2.3');
    }
    expect(platform[route.fake].callsOf(route.rpc)).toHaveLength(1);
  });

  it('maps an unexpected failure in the peer to 500 INTERNAL without its message', async () => {
    respond(route.fake, route.rpc, async () => {
      throw new Error(`exploded: ${INTERNAL_DETAIL}`);
    });
    const response = await route.send(platform.api);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('answers 504 DEADLINE_EXCEEDED when the peer does not answer within UPSTREAM_TIMEOUT_MS', async () => {
    const fake = platform[route.fake];
    respond(route.fake, route.rpc, () => fake.hang());
    const response = await route.send(platform.api);

    expect(response.status).toBe(504);
    expect(response.body).toEqual({
      error: { code: 'DEADLINE_EXCEEDED', message: 'a service this request needs did not answer in time' },
    });
    expect(fake.callsOf(route.rpc)).toHaveLength(1);
    expect(platform.logs).toContainEqual(
      expect.objectContaining({ msg: 'upstream call failed', peer: expect.any(String), grpcCode: 'DEADLINE_EXCEEDED' }),
    );
  });
});

describe('a field named by the peer', () => {
  it('is passed as the REST field name (camelCase), with the message', async () => {
    platform.users.respond('register', async () => {
      throw new InvalidArgumentError('email', 'this domain does not accept mail');
    });
    const response = await upstreamRoutes[0].send(platform.api);
    expect(response.body).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'this domain does not accept mail', field: 'email' },
    });
  });

  it('is absent when the peer names none', async () => {
    platform.users.respond('register', async () => {
      throw new DomainError('ALREADY_EXISTS', 'an account with this email exists');
    });
    const response = await upstreamRoutes[0].send(platform.api);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: { code: 'ALREADY_EXISTS', message: 'an account with this email exists' } });
  });
});

describe('a peer that breaks its contract', () => {
  it('is a 500 INTERNAL with a generic message, logged as unexpected (the final error handler)', async () => {
    platform.users.respond('authenticate', async () => ({
      accessToken: 't',
      expiresInSeconds: 1,
      user: { ...ALICE, role: Role.ROLE_UNSPECIFIED },
    }));
    const before = platform.logs.length;
    const response = await upstreamRoutes[1].send(platform.api);

    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    const logged = platform.logs.slice(before).filter((line) => line.msg === 'unexpected error');
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged)).toContain('user-service broke its contract');
  });

  it('is a 500 for a product without a price', async () => {
    platform.products.respond('getProduct', async () => ({ ...TEAPOT, price: undefined }));
    const response = await upstreamRoutes[4].send(platform.api);
    expect(response.status).toBe(500);
  });

  it('is a 500 for a timestamp that is not RFC 3339, naming it in the log', async () => {
    platform.users.respond('getUser', async () => ({ user: { ...ALICE, createdAt: '02/01/2026 03:04' } }));
    const before = platform.logs.length;
    const response = await upstreamRoutes[2].send(platform.api);
    expect(response.status).toBe(500);
    const [logged] = platform.logs.slice(before).filter((line) => line.msg === 'unexpected error');
    expect((logged?.err as { message?: string } | undefined)?.message).toBe(
      `user-service broke its contract: user ${ALICE.id} createdAt "02/01/2026 03:04" is not RFC 3339`,
    );
  });
});

describe('peers that are down', () => {
  let down: TestPlatform['gateway'];
  let api: DocumentedApi;

  beforeAll(async () => {
    // Fakes started and stopped again: their ports are known to be closed.
    const users = await fakeUserService().start();
    const products = await fakeProductService().start();
    const orders = await fakeOrderService().start();
    const [userAddress, productAddress, orderAddress] = [users.address, products.address, orders.address];
    await Promise.all([users.stop(), products.stop(), orders.stop()]);
    down = await start({
      env: {
        HTTP_PORT: '0',
        USER_SERVICE_ADDR: userAddress,
        PRODUCT_SERVICE_ADDR: productAddress,
        ORDER_SERVICE_ADDR: orderAddress,
        JWT_SECRET,
        LOG_LEVEL: 'silent',
      },
      host: '127.0.0.1',
    });
    api = await DocumentedApi.load(`http://127.0.0.1:${down.ports.http}`);
  });
  afterAll(async () => {
    await down.stop();
  });

  it.each(upstreamRoutes)('$name answers 503 UNAVAILABLE without internals', async (route) => {
    const response = await route.send(api);
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error: { code: 'UNAVAILABLE', message: 'a service this request needs is unavailable; try again later' },
    });
    expect(looksLikeInternals(response.text)).toBe(false);
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('reports itself unhealthy on /health and /readyz, naming no address', async () => {
    const health = await api.request('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({
      status: 'unavailable',
      checks: {
        'user-service': { ok: false, error: 'health check failed: UNAVAILABLE' },
        'product-service': { ok: false, error: 'health check failed: UNAVAILABLE' },
        'order-service': { ok: false, error: 'health check failed: UNAVAILABLE' },
      },
    });
    expect(looksLikeInternals(health.text)).toBe(false);
    const ready = await api.request('GET', '/readyz');
    expect(ready.status).toBe(503);
  });

  it('still serves what needs no peer: validation, authentication, the OpenAPI document', async () => {
    expect((await api.request('GET', '/api/v1/products/{id}', { params: { id: 'x' } })).status).toBe(400);
    expect((await api.request('GET', '/api/v1/users/{id}', { params: { id: ALICE.id } })).status).toBe(401);
    expect((await api.request('GET', '/api/v1/openapi.json')).status).toBe(200);
    expect((await api.request('GET', '/livez')).status).toBe(200);
  });
});

describe('the deadline of Register and Authenticate (password hashing)', () => {
  let slow: TestPlatform;
  beforeAll(async () => {
    slow = await startTestPlatform({ UPSTREAM_TIMEOUT_MS: '200', CREDENTIALS_TIMEOUT_MS: '3000' });
  });
  afterAll(async () => {
    await slow.stop();
  });
  const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it('is CREDENTIALS_TIMEOUT_MS, not the lookup deadline: a login hashing for 600 ms is answered', async () => {
    slow.users.respond('authenticate', () =>
      later(600, { accessToken: 'token', expiresInSeconds: 900, user: { ...ALICE, role: Role.ROLE_CUSTOMER } }),
    );
    const response = await slow.api.request('POST', '/api/v1/auth/login', {
      json: { email: ALICE.email, password: 'correct horse battery' },
    });
    expect(response.status).toBe(200);
  });

  it('is CREDENTIALS_TIMEOUT_MS for a registration too', async () => {
    slow.users.respond('register', () => later(600, { user: ALICE }));
    const response = await slow.api.request('POST', '/api/v1/auth/register', {
      json: { email: ALICE.email, password: 'correct horse battery', name: 'Alice' },
    });
    expect(response.status).toBe(201);
  });

  it('leaves the other calls of user-service at UPSTREAM_TIMEOUT_MS', async () => {
    slow.users.respond('getUser', () => later(600, { user: ALICE }));
    const response = await slow.api.request('GET', '/api/v1/users/{id}', {
      params: { id: ALICE.id },
      headers: { authorization: `Bearer ${customer}` },
    });
    expect(response.status).toBe(504);
  });
});
