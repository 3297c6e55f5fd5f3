import type { RunningPlatform } from './platform';
import { ADMIN } from './platform';

interface Json {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** What a person does with the platform, through the gateway over real sockets. */
export function platformContract(platform: () => RunningPlatform): void {
  const call = async (method: string, route: string, body?: unknown, token?: string): Promise<Json> => {
    const res = await fetch(`${platform().url}${route}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  const email = `grace.${Date.now()}@example.com`;
  const password = 'correct horse battery staple';

  it('registers, logs in, reads the own profile, and is refused another', async () => {
    const registered = await call('POST', '/api/v1/auth/register', { email, password, name: 'Grace Hopper' });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), email, name: 'Grace Hopper' });

    const again = await call('POST', '/api/v1/auth/register', { email, password, name: 'Grace' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'ALREADY_EXISTS', field: 'email' } });

    const wrong = await call('POST', '/api/v1/auth/login', { email, password: 'not the password at all' });
    expect(wrong.status).toBe(401);

    const login = await call('POST', '/api/v1/auth/login', { email, password });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number), user: { email } });
    const token = String(login.body.accessToken);

    const me = await call('GET', `/api/v1/users/${String(registered.body.id)}`, undefined, token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: registered.body.id, email });

    const adminLogin = await call('POST', '/api/v1/auth/login', ADMIN);
    const adminId = String((adminLogin.body.user as { id: string }).id);
    expect((await call('GET', `/api/v1/users/${adminId}`, undefined, token)).status).toBe(403);
    expect((await call('GET', `/api/v1/users/${String(registered.body.id)}`)).status).toBe(401);
  });

  it('lists the seeded catalogue page by page and reads one product', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await call(
        'GET',
        `/api/v1/products?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      const items = page.body.items as { id: string; price: { amount: number; currency: string } }[];
      for (const item of items) {
        expect(Number.isInteger(item.price.amount)).toBe(true);
        seen.push(item.id);
      }
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(15);
    expect(new Set(seen).size).toBe(seen.length);
    const one = await call('GET', `/api/v1/products/${seen[0]}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(seen[0]);
  });

  it('lets only an admin create a product', async () => {
    const product = {
      name: 'Pour-over kettle',
      description: 'Gooseneck, 1 l',
      price: { amount: 4990, currency: 'EUR' },
      stock: 12,
    };
    const customer = await call('POST', '/api/v1/auth/login', { email, password });
    expect((await call('POST', '/api/v1/products', product, String(customer.body.accessToken))).status).toBe(403);
    const admin = await call('POST', '/api/v1/auth/login', ADMIN);
    const created = await call('POST', '/api/v1/products', product, String(admin.body.accessToken));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...product, id: expect.any(String) });
    expect(created.headers.get('location')).toBe(`/api/v1/products/${String(created.body.id)}`);
    const read = await call('GET', `/api/v1/products/${String(created.body.id)}`);
    expect(read.body).toMatchObject(product);
  });

  it('answers hostile input with 4xx in the documented error shape', async () => {
    for (const [method, route, body] of [
      ['POST', '/api/v1/auth/login', { email: 'x@example.com', password: 'y', __proto__: { admin: true } }],
      ['POST', '/api/v1/auth/register', { email: 42, password: [], name: null }],
      ['GET', '/api/v1/products/not-a-uuid', undefined],
      ['GET', '/api/v1/products?limit=-3', undefined],
      ['GET', '/api/v1/products?cursor=%00%00', undefined],
      ['GET', '/api/v1/users/00000000-0000-4000-8000-000000000000', undefined],
    ] as const) {
      const res = await call(method, route, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });
}
