import { createHash } from 'node:crypto';
import { Role } from '../../lib/contracts/gen/shopfront/user/v1/user';
import { ALICE, BOB_ID, KETTLE, ROOT, TEAPOT } from './test-support/fake-upstreams';
import { adminToken, customerToken, startTestPlatform, type TestPlatform } from './test-support/gateway';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform.stop();
});
beforeEach(() => platform.reset());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('POST /api/v1/auth/register', () => {
  it('creates the account at user-service and answers 201 with it, its Location and no-store', async () => {
    const response = await platform.api.request('POST', '/api/v1/auth/register', {
      json: { email: 'carol@example.com', password: 'correct horse battery', name: '  Carol ' },
    });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: '1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a00',
      email: 'carol@example.com',
      name: 'Carol',
    });
    expect(response.headers.get('location')).toBe('/api/v1/users/1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a00');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(platform.users.callsOf('register').map((c) => c.request)).toEqual([
      { email: 'carol@example.com', password: 'correct horse battery', name: 'Carol' },
    ]);
  });

  it('forwards no token: registering needs no principal', async () => {
    await platform.api.request('POST', '/api/v1/auth/register', {
      json: { email: 'carol@example.com', password: 'correct horse battery', name: 'Carol' },
      headers: bearer(await adminToken()),
    });
    expect(platform.users.callsOf('register')[0]?.authorization).toBeUndefined();
  });
});

describe('POST /api/v1/auth/login', () => {
  it('answers the token user-service issued, as a Bearer token with its lifetime and user', async () => {
    const response = await platform.api.request('POST', '/api/v1/auth/login', {
      json: { email: ALICE.email, password: 'correct horse battery' },
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      accessToken: 'issued.by.user-service',
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { id: ALICE.id, email: ALICE.email, name: ALICE.name, role: 'customer' },
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(platform.users.callsOf('authenticate').map((c) => c.request)).toEqual([
      { email: ALICE.email, password: 'correct horse battery' },
    ]);
  });

  it('reports an admin as role admin', async () => {
    platform.users.respond('authenticate', async () => ({ accessToken: 't', expiresInSeconds: 60, user: ROOT }));
    const response = await platform.api.request('POST', '/api/v1/auth/login', {
      json: { email: ROOT.email, password: 'whatever-it-is' },
    });
    expect(response.body).toMatchObject({ user: { role: 'admin' }, expiresIn: 60 });
  });

  it('never logs the password or the token', async () => {
    const before = platform.logs.length;
    await platform.api.request('POST', '/api/v1/auth/login', {
      json: { email: ALICE.email, password: 'a-very-memorable-secret' },
    });
    const logged = JSON.stringify(platform.logs.slice(before));
    expect(logged).toContain('/api/v1/auth/login');
    expect(logged).not.toContain('a-very-memorable-secret');
    expect(logged).not.toContain('issued.by.user-service');
  });
});

describe('GET /api/v1/users/:id', () => {
  it('lets a customer read their own account and forwards their token and request id', async () => {
    const token = await customerToken();
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: ALICE.id },
      headers: { ...bearer(token), 'x-request-id': 'req-own-account-1' },
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: ALICE.id,
      email: ALICE.email,
      name: ALICE.name,
      role: 'customer',
      // user-service's second-precision time, in the API's one form: milliseconds, UTC.
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(platform.users.callsOf('getUser')).toEqual([
      {
        rpc: 'getUser',
        request: { id: ALICE.id },
        requestIdMetadata: 'req-own-account-1',
        authorization: `Bearer ${token}`,
      },
    ]);
  });

  it("refuses a customer someone else's account with 403 without asking user-service", async () => {
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: BOB_ID },
      headers: bearer(await customerToken()),
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: { code: 'PERMISSION_DENIED', message: expect.any(String) } });
    expect(platform.users.calls).toHaveLength(0);
  });

  it("answers 403, not 404, for an unknown id that is not the customer's own", async () => {
    platform.users.respond('getUser', async () => {
      throw new Error('must not be asked');
    });
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: '00000000-0000-4000-8000-000000000000' },
      headers: bearer(await customerToken()),
    });
    expect(response.status).toBe(403);
  });

  it('lets an admin read any account', async () => {
    platform.users.respond('getUser', async () => ({ user: { ...ALICE, id: BOB_ID, role: Role.ROLE_CUSTOMER } }));
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: BOB_ID },
      headers: bearer(await adminToken()),
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: BOB_ID });
  });

  it('answers 404 for an unknown account an admin asks for', async () => {
    const { NotFoundError } = await import('../../lib/runtime/errors');
    platform.users.respond('getUser', async () => {
      throw new NotFoundError('user', 'id');
    });
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: BOB_ID },
      headers: bearer(await adminToken()),
    });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'user not found', field: 'id' } });
  });

  it('reads an id in upper case as the same account (UUIDs are case-insensitive)', async () => {
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: ALICE.id.toUpperCase() },
      headers: bearer(await customerToken()),
    });
    expect(response.status).toBe(200);
  });
});

describe('GET /api/v1/products', () => {
  it('answers a page of products and nextCursor null on the last page, without any token', async () => {
    const response = await platform.api.request('GET', '/api/v1/products', {
      headers: bearer(await adminToken()),
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [
        {
          id: TEAPOT.id,
          name: 'Teapot',
          description: 'Short and stout',
          price: { amount: 1999, currency: 'EUR' },
          stock: 7,
        },
        { id: KETTLE.id, name: 'Kettle', description: '', price: { amount: 500, currency: 'JPY' }, stock: 0 },
      ],
      nextCursor: null,
    });
    const [call] = platform.products.callsOf('listProducts');
    expect(call?.request).toEqual({ limit: 20, cursor: '' });
    expect(call?.authorization).toBeUndefined();
  });

  it('passes limit and cursor through and answers the next cursor', async () => {
    platform.products.respond('listProducts', async () => ({ items: [TEAPOT], nextCursor: 'opaque-cursor-2' }));
    const response = await platform.api.request('GET', '/api/v1/products', { query: 'limit=1&cursor=opaque-cursor-1' });

    expect(response.body).toMatchObject({ nextCursor: 'opaque-cursor-2' });
    expect(platform.products.callsOf('listProducts')[0]?.request).toEqual({ limit: 1, cursor: 'opaque-cursor-1' });
  });

  it('answers a burst of reads of one page with one call to product-service while the cache holds it', async () => {
    const cached = await startTestPlatform({ CATALOGUE_CACHE_TTL_MS: '1000' });
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => cached.api.request('GET', '/api/v1/products', { query: 'limit=7' })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(
        cached.products.callsOf('listProducts').filter((c) => (c.request as { limit: number }).limit === 7),
      ).toHaveLength(1);
    } finally {
      await cached.stop();
    }
  });

  it('answers If-None-Match with the ETag of the page with 304 and no body', async () => {
    const first = await platform.api.request('GET', '/api/v1/products');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"/);
    // As a browser revalidates (fetch itself would add `cache-control: no-cache`, which asks for a full answer).
    const again = await fetch(`${platform.url}/api/v1/products`, {
      headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves a cached page as the same bytes and ETag to every reader, and a changed page with a new ETag', async () => {
    const cached = await startTestPlatform({ CATALOGUE_CACHE_TTL_MS: '1000' });
    try {
      const read = async () => {
        const response = await fetch(`${cached.url}/api/v1/products?limit=5`);
        return {
          etag: response.headers.get('etag'),
          type: response.headers.get('content-type'),
          text: await response.text(),
        };
      };
      const [first, second] = [await read(), await read()];
      expect(second).toEqual(first);
      expect(first.type).toBe('application/json; charset=utf-8');
      // The ETag is Express's own weak tag of exactly these bytes.
      const bytes = Buffer.from(first.text);
      const hash = createHash('sha1').update(bytes).digest('base64').slice(0, 27);
      expect(first.etag).toBe(`W/"${bytes.length.toString(16)}-${hash}"`);
      expect(JSON.parse(first.text)).toEqual(expect.objectContaining({ items: expect.any(Array) }));
      cached.products.respond('listProducts', async () => ({ items: [], nextCursor: '' }));
      cached.products.respond('updateProduct', async () => TEAPOT);
      const changed = await cached.api.request('PATCH', '/api/v1/products/{id}', {
        params: { id: TEAPOT.id },
        json: { stockDelta: 3 },
        headers: { authorization: `Bearer ${await adminToken()}` },
      });
      expect(changed.status).toBe(200);
      const after = await read();
      expect(after.text).toBe('{"items":[],"nextCursor":null}');
      expect(after.etag).not.toBe(first.etag);
    } finally {
      await cached.stop();
    }
  });

  it('answers an empty catalogue as an empty page', async () => {
    platform.products.respond('listProducts', async () => ({ items: [], nextCursor: '' }));
    const response = await platform.api.request('GET', '/api/v1/products');
    expect(response.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('GET /api/v1/products/:id', () => {
  it('answers the product', async () => {
    const response = await platform.api.request('GET', '/api/v1/products/{id}', { params: { id: TEAPOT.id } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: TEAPOT.id,
      name: 'Teapot',
      description: 'Short and stout',
      price: { amount: 1999, currency: 'EUR' },
      stock: 7,
    });
    expect(platform.products.callsOf('getProduct')[0]?.request).toEqual({ id: TEAPOT.id });
  });
});

describe('POST /api/v1/products', () => {
  const teacup = { name: 'Teacup', description: 'Fine china', price: { amount: 1250, currency: 'GBP' }, stock: 12 };

  it('creates the product as an admin, forwarding the token, and answers 201 with a Location', async () => {
    const token = await adminToken();
    const response = await platform.api.request('POST', '/api/v1/products', { json: teacup, headers: bearer(token) });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: '6b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a40', ...teacup });
    expect(response.headers.get('location')).toBe('/api/v1/products/6b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a40');
    const [call] = platform.products.callsOf('createProduct');
    expect(call?.request).toEqual(teacup);
    expect(call?.authorization).toBe(`Bearer ${token}`);
  });

  it('defaults the description to empty', async () => {
    const { description: _, ...withoutDescription } = teacup;
    await platform.api.request('POST', '/api/v1/products', {
      json: withoutDescription,
      headers: bearer(await adminToken()),
    });
    expect(platform.products.callsOf('createProduct')[0]?.request).toMatchObject({ description: '' });
  });

  it('refuses a customer with 403 before reading the body or calling product-service', async () => {
    const response = await platform.api.request('POST', '/api/v1/products', {
      json: teacup,
      headers: bearer(await customerToken()),
    });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    expect(platform.products.calls).toHaveLength(0);
  });

  it("answers product-service's own refusal when it re-checks the token", async () => {
    const { PermissionDeniedError } = await import('../../lib/runtime/errors');
    platform.products.respond('createProduct', async () => {
      throw new PermissionDeniedError('admins only');
    });
    const response = await platform.api.request('POST', '/api/v1/products', {
      json: teacup,
      headers: bearer(await adminToken()),
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: { code: 'PERMISSION_DENIED', message: 'admins only' } });
  });
});

describe('request ids', () => {
  it('passes a well-formed x-request-id downstream and echoes it', async () => {
    const response = await platform.api.request('GET', '/api/v1/products/{id}', {
      params: { id: TEAPOT.id },
      headers: { 'x-request-id': 'client-chosen.id-42' },
    });
    expect(response.headers.get('x-request-id')).toBe('client-chosen.id-42');
    expect(platform.products.callsOf('getProduct')[0]?.requestIdMetadata).toBe('client-chosen.id-42');
  });

  it('generates one when the client sends none (or a malformed one) and sends that one downstream', async () => {
    const variants: Record<string, string>[] = [{}, { 'x-request-id': 'has spaces and ; semicolons' }];
    for (const headers of variants) {
      platform.reset();
      const response = await platform.api.request('POST', '/api/v1/auth/login', {
        json: { email: ALICE.email, password: 'pw' },
        headers,
      });
      const generated = response.headers.get('x-request-id');
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      expect(platform.users.callsOf('authenticate')[0]?.requestIdMetadata).toBe(generated);
    }
  });
});

describe('response headers', () => {
  it('sets helmet security headers with a CSP that allows nothing, and no x-powered-by', async () => {
    const response = await platform.api.request('GET', '/api/v1/products');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.has('x-powered-by')).toBe(false);
  });

  it.each(['/livez', '/readyz', '/metrics', '/api/v1/openapi.json'])('sets them on %s too', async (path) => {
    const response = await fetch(`${platform.url}${path}`);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.has('x-powered-by')).toBe(false);
  });

  it('sets them on errors too', async () => {
    const response = await fetch(`${platform.url}/no/such/route`);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.has('x-powered-by')).toBe(false);
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/no/such/route'],
    ['DELETE', `/api/v1/orders/${TEAPOT.id}`],
    ['PUT', '/api/v1/orders'],
    ['DELETE', `/api/v1/products/${TEAPOT.id}`],
    ['PUT', '/api/v1/auth/login'],
    ['GET', '/api/v1/auth/login'],
    ['GET', '/api/v1/users/'],
  ])('%s %s is 404 NOT_FOUND with the error body', async (method, path) => {
    const response = await fetch(`${platform.url}${path}`, { method });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'route not found' } });
  });
});
