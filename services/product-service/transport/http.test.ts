import type { StartedService } from '../../../lib/runtime/host';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { capturedLogger, startOnDatabase } from '../test-support/service';
import { expiredAdminToken, GARBAGE_TOKEN, tokenFor, unsignedAdminToken } from '../test-support/tokens';
import type { ErrorBody, ProductJson } from './http';

describe('product-service HTTP API (real socket, PostgreSQL)', () => {
  let database: TestDatabase;
  let service: StartedService;
  let base: string;
  let admin: string;
  let customer: string;
  const { logger, lines } = capturedLogger();

  beforeAll(async () => {
    database = await freshDatabase();
    service = await startOnDatabase(database.url, {}, logger);
    base = `http://127.0.0.1:${service.ports.http}`;
    admin = await tokenFor('admin');
    customer = await tokenFor('customer');
  });

  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  const valid = { name: 'Gooseneck kettle', description: '1 l', price: { amount: 7990, currency: 'EUR' }, stock: 4 };

  function post(body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${base}/api/v1/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** Status and error body; asserts the error is JSON without internals. */
  async function failure(response: Response): Promise<{ status: number; error: ErrorBody['error'] }> {
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text).not.toMatch(/\bat .+\(|node_modules|Error:/);
    const body = JSON.parse(text) as ErrorBody;
    expect(Object.keys(body)).toEqual(['error']);
    return { status: response.status, error: body.error };
  }

  async function names(): Promise<string[]> {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await fetch(`${base}/api/v1/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      const page = (await response.json()) as { items: ProductJson[]; nextCursor: string | null };
      all.push(...page.items.map((p) => p.name));
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  describe('POST /api/v1/products', () => {
    it('creates a product for an admin: 201, Location, camelCase JSON with integer money', async () => {
      const response = await post(valid);
      expect(response.status).toBe(201);
      const product = (await response.json()) as ProductJson;
      expect(product).toEqual({ ...valid, id: expect.any(String), createdAt: expect.any(String) });
      expect(response.headers.get('location')).toBe(`/api/v1/products/${product.id}`);
      const read = await fetch(`${base}/api/v1/products/${product.id}`);
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(product);
    });

    it('never logs the token or the request body', async () => {
      await post({ ...valid, name: 'Secret-looking name 7f3a' });
      const logged = lines.join('\n');
      expect(logged).toContain('product created');
      expect(logged).not.toContain(admin);
      expect(logged).not.toContain('Secret-looking name 7f3a');
    });

    it.each<[string, number, string, () => Promise<Record<string, string>>]>([
      ['no Authorization header', 401, 'UNAUTHENTICATED', async () => ({ authorization: '' })],
      ['a garbage token', 401, 'UNAUTHENTICATED', async () => ({ authorization: `Bearer ${GARBAGE_TOKEN}` })],
      [
        'an expired admin token',
        401,
        'UNAUTHENTICATED',
        async () => ({ authorization: `Bearer ${await expiredAdminToken()}` }),
      ],
      [
        'an unsigned admin token',
        401,
        'UNAUTHENTICATED',
        async () => ({ authorization: `Bearer ${unsignedAdminToken()}` }),
      ],
      ['a Basic credential', 401, 'UNAUTHENTICATED', async () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' })],
      ['a customer token', 403, 'PERMISSION_DENIED', async () => ({ authorization: `Bearer ${customer}` })],
    ])('refuses %s with %i %s and creates nothing', async (_case, status, code, headers) => {
      const name = `Refused ${code} ${Math.random()}`;
      const response = await post({ ...valid, name }, await headers());
      expect(await failure(response)).toEqual({ status, error: { code, message: expect.any(String) } });
      if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await names()).not.toContain(name);
    });

    it.each<[string, string, string | undefined]>([
      ['malformed JSON', '{"name": "Kettle", ', undefined],
      ['a JSON string instead of an object', '"kettle"', undefined],
      ['a JSON array instead of an object', JSON.stringify([valid]), undefined],
      ['an unknown field', JSON.stringify({ ...valid, discount: 5 }), 'discount'],
      ['a prototype-polluting field', `{"__proto__":{"admin":true},${JSON.stringify(valid).slice(1)}`, '__proto__'],
      ['a string where a number is expected', JSON.stringify({ ...valid, stock: '4' }), 'stock'],
      ['a negative price', JSON.stringify({ ...valid, price: { amount: -1, currency: 'EUR' } }), 'price.amount'],
      ['a float price', JSON.stringify({ ...valid, price: { amount: 79.9, currency: 'EUR' } }), 'price.amount'],
      [
        'a price above 10^12',
        JSON.stringify({ ...valid, price: { amount: 2e7 + 1, currency: 'EUR' } }),
        'price.amount',
      ],
      ['a price as a string', JSON.stringify({ ...valid, price: '79.90' }), 'price'],
      ['a lower-case currency', JSON.stringify({ ...valid, price: { amount: 1, currency: 'eur' } }), 'price.currency'],
      ['a blank name', JSON.stringify({ ...valid, name: '  ' }), 'name'],
      ['a missing name', JSON.stringify({ ...valid, name: undefined }), 'name'],
      ['a 201-character name', JSON.stringify({ ...valid, name: 'n'.repeat(201) }), 'name'],
      ['a 2001-character description', JSON.stringify({ ...valid, description: 'd'.repeat(2001) }), 'description'],
      ['a NUL in the description', JSON.stringify({ ...valid, description: 'a\u0000b' }), 'description'],
      ['a negative stock', JSON.stringify({ ...valid, stock: -1 }), 'stock'],
      ['a stock above 10^6', JSON.stringify({ ...valid, stock: 1_000_001 }), 'stock'],
      ['null', 'null', undefined],
      // body-parser reads an empty JSON body as {}: the first missing field is named.
      ['an empty body', '', 'name'],
    ])('answers 400 INVALID_ARGUMENT to %s', async (_case, body, field) => {
      const { status, error } = await failure(await post(body));
      expect(status).toBe(400);
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.field).toBe(field);
    });

    it('answers 413 to a body larger than 16 kB', async () => {
      const { status, error } = await failure(await post({ ...valid, description: 'd'.repeat(20_000) }));
      expect(status).toBe(413);
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['JSON in Latin-1', 'application/json; charset=latin1'],
    ])('answers 415 to %s', async (_case, contentType) => {
      const { status, error } = await failure(await post(valid, { 'content-type': contentType }));
      expect(status).toBe(415);
      expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('PATCH /api/v1/products/:id', () => {
    const patch = (id: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/v1/products/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('sets the price and adjusts the stock for an admin, answering the product', async () => {
      const created = (await (await post(valid)).json()) as ProductJson;
      const response = await patch(created.id, { price: { amount: 8990, currency: 'EUR' }, stockDelta: 6 });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ...created, price: { amount: 8990, currency: 'EUR' }, stock: 10 });
    });

    it('answers each bad request with its status, code and field, and changes nothing', async () => {
      const created = (await (await post(valid)).json()) as ProductJson;
      expect(
        await failure(await patch(created.id, { stockDelta: 1 }, { authorization: `Bearer ${customer}` })),
      ).toEqual({ status: 403, error: { code: 'PERMISSION_DENIED', message: expect.any(String) } });
      expect(await failure(await patch(created.id, { stockDelta: -5 }))).toEqual({
        status: 400,
        error: {
          code: 'FAILED_PRECONDITION',
          message: expect.any(String),
          field: 'stockDelta',
          reason: 'STOCK_OUT_OF_RANGE',
        },
      });
      expect(await failure(await patch(created.id, { stockDelta: 'many' }))).toMatchObject({
        status: 400,
        error: { code: 'INVALID_ARGUMENT', field: 'stockDelta' },
      });
      expect(await failure(await patch(created.id, '{"stockDelta": '))).toMatchObject({
        status: 400,
        error: { code: 'INVALID_ARGUMENT' },
      });
      expect(await failure(await patch('00000000-0000-4000-8000-000000000000', { stockDelta: 1 }))).toMatchObject({
        status: 404,
        error: { code: 'NOT_FOUND', field: 'id' },
      });
      expect(await failure(await patch(created.id, { stockDelta: 1 }, { 'content-type': 'text/plain' }))).toMatchObject(
        { status: 415, error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
      );
      const read = (await (await fetch(`${base}/api/v1/products/${created.id}`)).json()) as ProductJson;
      expect(read.stock).toBe(valid.stock);
    });
  });

  describe('GET /api/v1/products/:id', () => {
    it('answers 400 on id for a malformed id and 404 for an unknown one', async () => {
      expect(await failure(await fetch(`${base}/api/v1/products/not-a-uuid`))).toMatchObject({
        status: 400,
        error: { code: 'INVALID_ARGUMENT', field: 'id' },
      });
      expect(await failure(await fetch(`${base}/api/v1/products/00000000-0000-4000-8000-000000000000`))).toMatchObject({
        status: 404,
        error: { code: 'NOT_FOUND', field: 'id' },
      });
    });

    it('answers 400 to a malformed percent-encoding in the path', async () => {
      expect((await failure(await fetch(`${base}/api/v1/products/%E0%A4%A`))).status).toBe(400);
    });
  });

  describe('GET /api/v1/products', () => {
    it('walks all pages via nextCursor, each product once, nextCursor null on the last page', async () => {
      const created: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const response = await post({ ...valid, name: `Walk ${i}` });
        created.push(((await response.json()) as ProductJson).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let lastPage: { items: ProductJson[]; nextCursor: string | null } | undefined;
      do {
        const response = await fetch(`${base}/api/v1/products?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        lastPage = (await response.json()) as { items: ProductJson[]; nextCursor: string | null };
        expect(lastPage.items.length).toBeLessThanOrEqual(3);
        seen.push(...lastPage.items.map((p) => p.id));
        cursor = lastPage.nextCursor;
      } while (cursor);
      expect(lastPage?.nextCursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => created.includes(id))).toEqual(created);
      expect(Object.keys(lastPage?.items[0] ?? {}).sort()).toEqual(
        ['createdAt', 'description', 'id', 'name', 'price', 'stock'].sort(),
      );
    });

    it('defaults the page to 20 and caps a limit above 100 at 100', async () => {
      for (let i = 0; i < 15; i += 1) await post({ ...valid, name: `Filler ${i}` });
      const byDefault = (await (await fetch(`${base}/api/v1/products`)).json()) as { items: unknown[] };
      expect(byDefault.items).toHaveLength(20);
      const capped = await fetch(`${base}/api/v1/products?limit=1000`);
      expect(capped.status).toBe(200);
      expect(((await capped.json()) as { items: unknown[] }).items.length).toBeLessThanOrEqual(100);
    });

    it.each([
      ['a word', 'limit=ten', 'limit'],
      ['a negative limit', 'limit=-1', 'limit'],
      ['a fractional limit', 'limit=1.5', 'limit'],
      ['a repeated limit', 'limit=1&limit=2', 'limit'],
      ['a garbage cursor', 'cursor=garbage!', 'cursor'],
      [
        'a tampered cursor',
        `cursor=${Buffer.from('["2025-01-01T00:00:00.000000Z","x"]').toString('base64url')}`,
        'cursor',
      ],
      ['a repeated cursor', 'cursor=a&cursor=b', 'cursor'],
    ])('answers 400 on the field to %s', async (_case, query, field) => {
      expect(await failure(await fetch(`${base}/api/v1/products?${query}`))).toMatchObject({
        status: 400,
        error: { code: 'INVALID_ARGUMENT', field },
      });
    });
  });

  describe('the rest of the surface', () => {
    it('answers an unknown route with a JSON 404', async () => {
      expect(await failure(await fetch(`${base}/api/v1/nothing-here`))).toMatchObject({
        status: 404,
        error: { code: 'NOT_FOUND' },
      });
    });

    it('sends helmet security headers', async () => {
      const response = await fetch(`${base}/api/v1/products`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-powered-by')).toBeNull();
    });

    it('is ready when its database answers, and serves metrics', async () => {
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true } } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('http_requests_total');
      expect(metrics).toContain('route="/api/v1/products/:id"');
      // Refused requests are labelled with the route template too, not a partial path.
      expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/api\/v1\/products",status_code="400"/);
    });
  });
});
