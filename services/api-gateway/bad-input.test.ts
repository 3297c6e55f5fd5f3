import { createServer } from 'node:http';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ALICE, KETTLE, ORDER_ID, TEAPOT } from './test-support/fake-upstreams';
import {
  type ApiResponse,
  adminToken,
  badAuthorizationHeaders,
  badTokens,
  customerToken,
  looksLikeInternals,
  type RequestOptions,
  startTestPlatform,
  type TestPlatform,
} from './test-support/gateway';
import { answerMalformedRequests } from './transport/http-app';

/**
 * Bad input at every route that takes it: each answer is the documented 4xx with the error body (checked against
 * the OpenAPI document by the client), no upstream is called, nothing reaches the final error handler.
 */

const MAX_BODY_BYTES = 4096;
let platform: TestPlatform;
let admin: string;
let customer: string;

beforeAll(async () => {
  platform = await startTestPlatform({ MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
  admin = await adminToken();
  customer = await customerToken();
});
afterAll(async () => {
  await platform.stop();
});
beforeEach(() => platform.reset());
afterEach(() => {
  // Whatever the test sent, no upstream heard of it, and nothing was an unexpected failure.
  expect(platform.users.calls).toEqual([]);
  expect(platform.products.calls).toEqual([]);
  expect(platform.orders.calls).toEqual([]);
  expect(platform.logs.filter((line) => line.msg === 'unexpected error')).toEqual([]);
});

function expectRejected(response: ApiResponse, status: number, code: string, field?: string): void {
  expect({ status: response.status, code: (response.body as { error?: { code?: string } }).error?.code }).toEqual({
    status,
    code,
  });
  if (field !== undefined) expect((response.body as { error: { field?: string } }).error.field).toBe(field);
  expect(looksLikeInternals(response.text)).toBe(false);
}

interface BodyRoute {
  readonly name: string;
  /** @default 'POST' */
  readonly method?: 'POST' | 'PATCH';
  readonly template: string;
  readonly params?: Record<string, string>;
  /** Members a body must have. @default every member of `valid` but `description` */
  readonly required?: readonly string[];
  readonly valid: Record<string, unknown>;
  headers(): Record<string, string>;
  /** Field -> values of the wrong type or out of bounds. */
  readonly badFields: readonly (readonly [string, unknown])[];
}

const teacup = { name: 'Teacup', description: 'Fine china', price: { amount: 1250, currency: 'GBP' }, stock: 12 };
const order = { items: [{ productId: TEAPOT.id, quantity: 2 }], paymentToken: 'tok_visa' };
const orderHeaders = () => ({ authorization: `Bearer ${customer}`, 'idempotency-key': 'bad-input-test-key' });
const line = (n: number) => ({ productId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, quantity: 1 });

const bodyRoutes: BodyRoute[] = [
  {
    name: 'register',
    template: '/api/v1/auth/register',
    valid: { email: 'carol@example.com', password: 'correct horse battery', name: 'Carol' },
    headers: () => ({}),
    badFields: [
      ['email', 'not-an-email'],
      ['email', `${'a'.repeat(250)}@example.com`],
      ['email', 42],
      ['email', null],
      ['password', 'short'],
      ['password', 'ninechars'],
      ['password', 'correct horse\u0000battery'],
      ['password', 'p'.repeat(129)],
      ['password', 12345678],
      ['password', ['correct', 'horse']],
      ['name', '   '],
      ['name', 'Car\nol'],
      ['name', 'Carol\u0000'],
      ['name', 'n'.repeat(101)],
      ['name', { first: 'Carol' }],
      ['name', true],
    ],
  },
  {
    name: 'login',
    template: '/api/v1/auth/login',
    valid: { email: ALICE.email, password: 'correct horse battery' },
    headers: () => ({}),
    badFields: [
      ['email', 'alice'],
      ['email', ['alice@example.com']],
      ['password', ''],
      ['password', 'p'.repeat(129)],
      // HMAC pads a key with zero bytes: with a trailing NUL, scrypt would match the password without it.
      ['password', 'correct horse battery\u0000'],
      ['password', 'correct\thorse'],
      ['password', 1234],
      ['password', null],
    ],
  },
  {
    name: 'create product',
    template: '/api/v1/products',
    valid: teacup,
    headers: () => ({ authorization: `Bearer ${admin}` }),
    badFields: [
      ['name', ''],
      ['name', 'x'.repeat(201)],
      ['name', 7],
      ['name', 'Tea\u0000cup'],
      ['name', 'Tea\ncup'],
      ['description', 'd'.repeat(2001)],
      ['description', 'Fine\u0000china'],
      ['description', 'Fine\u007fchina'],
      ['description', null],
      ['price', 1250],
      ['price', '12.50'],
      ['price', null],
      ['price.amount', 12.5],
      ['price.amount', '1250'],
      ['price.amount', -1],
      ['price.amount', 2 ** 60],
      ['price.amount', 1_000_000_000_001],
      ['price.currency', 'eur'],
      ['price.currency', 'EURO'],
      ['price.currency', 978],
      ['stock', -1],
      ['stock', 1.5],
      ['stock', 1_000_001],
      ['stock', 2 ** 31],
      ['stock', '12'],
    ],
  },
  {
    name: 'change product',
    method: 'PATCH',
    template: '/api/v1/products/{id}',
    params: { id: TEAPOT.id },
    valid: { price: { amount: 2500, currency: 'EUR' }, stockDelta: -2 },
    required: [],
    headers: () => ({ authorization: `Bearer ${admin}` }),
    badFields: [
      ['price', 2500],
      ['price', '25.00'],
      ['price', null],
      ['price.amount', 0],
      ['price.amount', 12.5],
      ['price.amount', '2500'],
      ['price.amount', 2 ** 60],
      ['price.currency', 'eur'],
      ['price.currency', 978],
      ['stockDelta', 0],
      ['stockDelta', 1.5],
      ['stockDelta', '-2'],
      ['stockDelta', null],
      ['stockDelta', 1_000_001],
      ['stockDelta', -1_000_001],
      ['stockDelta', 2 ** 31],
      ['stockDelta', 1e21],
      ['stockDelta', true],
    ],
  },
  {
    name: 'create order',
    template: '/api/v1/orders',
    valid: order,
    headers: orderHeaders,
    badFields: [
      ['items', []],
      ['items', Array.from({ length: 51 }, (_, i) => line(i))],
      ['items', 'two teapots'],
      ['items', null],
      ['items', { productId: TEAPOT.id, quantity: 2 }],
      ['items.0', TEAPOT.id],
      ['items.0', null],
      ['items.0.productId', 'teapot'],
      ['items.0.productId', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'],
      ['items.0.productId', 42],
      ['items.0.productId', null],
      ['items.0.quantity', 0],
      ['items.0.quantity', -1],
      ['items.0.quantity', 1.5],
      ['items.0.quantity', '2'],
      ['items.0.quantity', 1001],
      ['items.0.quantity', 2 ** 31],
      ['items.0.quantity', 2 ** 60],
      ['items.0.quantity', 1e21],
      ['items.0.quantity', null],
      ['items.0.quantity', true],
      ['paymentToken', ''],
      ['paymentToken', 'tok visa'],
      ['paymentToken', 'tok_visa\n'],
      ['paymentToken', 'tok_visa\u0000'],
      ['paymentToken', `tok_${'x'.repeat(252)}`],
      ['paymentToken', 4242424242424242],
      ['paymentToken', null],
      ['paymentToken', { token: 'tok_visa' }],
    ],
  },
];

/** The dotted path `items.0.quantity` as the error names it: `items[0].quantity`. */
const fieldName = (dotted: string) => dotted.replace(/\.(\d+)(?=\.|$)/g, '[$1]');

function withField(body: Record<string, unknown>, dotted: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let target: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  target[parts.at(-1) ?? ''] = value;
  return copy;
}

function withoutField(body: Record<string, unknown>, dotted: string): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = dotted.split('.');
  let target: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  delete target[parts.at(-1) ?? ''];
  return copy;
}

describe.each(bodyRoutes)('JSON body of $name ($template)', (route) => {
  const method = route.method ?? 'POST';
  /** The template with its parameters filled in, for requests sent below the documented client. */
  const concretePath = route.template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => route.params?.[name] ?? '');
  const post = (options: RequestOptions) =>
    platform.api.request(method, route.template, {
      ...options,
      params: route.params,
      headers: { ...route.headers(), ...options.headers },
    });
  const raw = (text: string, contentType = 'application/json') =>
    post({ rawBody: text, headers: { 'content-type': contentType } });

  it.each([
    ['truncated', '{"email": '],
    ['a trailing comma', '{"a": 1,}'],
    ['single quotes', "{'a': 1}"],
    ['not JSON at all', 'email=a@b.c'],
    ['a bare number', '42'],
    ['a bare string', '"hello"'],
    ['null', 'null'],
    ['true', 'true'],
  ])('rejects a body that is %s with 400 INVALID_ARGUMENT', async (_, text) => {
    const response = await raw(text);
    expectRejected(response, 400, 'INVALID_ARGUMENT');
  });

  it('rejects an empty body with 400 INVALID_ARGUMENT', async () => {
    expectRejected(await raw(''), 400, 'INVALID_ARGUMENT');
  });

  it('rejects a JSON array with 400 INVALID_ARGUMENT', async () => {
    expectRejected(await post({ json: [route.valid] }), 400, 'INVALID_ARGUMENT');
  });

  it('rejects an empty object with 400 naming a missing field', async () => {
    const response = await post({ json: {} });
    expectRejected(response, 400, 'INVALID_ARGUMENT');
    expect(Object.keys(route.valid)).toContain((response.body as { error: { field: string } }).error.field);
  });

  const required = route.required ?? Object.keys(route.valid).filter((k) => k !== 'description');
  // A change of a product has no required member (at least one of them: the empty-object case above).
  if (required.length > 0) {
    it.each(required)('rejects a body without %s with 400 naming it as required', async (field) => {
      const response = await post({ json: withoutField(route.valid, field) });
      expectRejected(response, 400, 'INVALID_ARGUMENT', field);
      expect(response.body).toMatchObject({ error: { message: 'is required' } });
    });
  }

  it.each(route.badFields.map(([field, value]) => [field, JSON.stringify(value).slice(0, 40), value]))(
    'rejects %s = %s with 400 naming it',
    async (field, _, value) => {
      const response = await post({ json: withField(route.valid, field, value) });
      expectRejected(response, 400, 'INVALID_ARGUMENT', fieldName(field));
    },
  );

  it.each(['isAdmin', 'role', 'id', 'toString', 'hasOwnProperty'])(
    'rejects an unknown field %s with 400 naming it',
    async (field) => {
      const response = await post({ json: { ...route.valid, [field]: 'admin' } });
      expectRejected(response, 400, 'INVALID_ARGUMENT', field);
    },
  );

  describe('prototype pollution', () => {
    afterEach(() => {
      const probe: Record<string, unknown> = {};
      expect(probe.polluted).toBeUndefined();
      expect(probe.role).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it.each([
      ['__proto__', '{"polluted": true, "role": "admin"}'],
      ['constructor', '{"prototype": {"polluted": true, "role": "admin"}}'],
      ['prototype', '{"polluted": true}'],
    ])('rejects a top-level %s key as an unknown field and pollutes nothing', async (key, value) => {
      const text = `${JSON.stringify(route.valid).slice(0, -1)}, "${key}": ${value}}`;
      const response = await raw(text);
      expectRejected(response, 400, 'INVALID_ARGUMENT', key);
    });

    if (route.name === 'create product') {
      it('rejects __proto__ inside price as an unknown field price.__proto__', async () => {
        const text = JSON.stringify(route.valid).replace(
          '"currency":"GBP"',
          '"currency":"GBP","__proto__":{"polluted":true}',
        );
        expect(text).toContain('__proto__');
        expectRejected(await raw(text), 400, 'INVALID_ARGUMENT', 'price.__proto__');
      });
    }

    if (route.name === 'create order') {
      it('rejects __proto__ inside an item as an unknown field items[0].__proto__', async () => {
        const text = JSON.stringify(route.valid).replace('"quantity":2', '"quantity":2,"__proto__":{"polluted":true}');
        expect(text).toContain('__proto__');
        expectRejected(await raw(text), 400, 'INVALID_ARGUMENT', 'items[0].__proto__');
      });
    }
  });

  it('rejects a body one byte over MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE', async () => {
    const text = JSON.stringify({ ...route.valid, padding: '' });
    const padded = text.replace('"padding":""', `"padding":"${'x'.repeat(MAX_BODY_BYTES - text.length + 1)}"`);
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES + 1);
    expectRejected(await raw(padded), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('rejects a large body sent chunked (no Content-Length) with 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < MAX_BODY_BYTES / 1024 + 4) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${platform.url}${concretePath}`, {
      method,
      headers: { 'content-type': 'application/json', ...route.headers() },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    platform.api.assertConforms(method, route.template, {
      status: response.status,
      headers: response.headers,
      body: JSON.parse(text),
      text,
    });
    expect(response.status).toBe(413);
  });

  it('answers 413 at once to a Content-Length over the limit, without waiting for the body, and closes', async () => {
    const head = requestHead(method, concretePath, {
      ...route.headers(),
      'content-type': 'application/json',
      'content-length': String(100 * 1024 * 1024),
    });
    const answer = await rawExchange([head, '{"a":'], { timeoutMs: 3000 });
    expect(answer.end).toBe('closed');
    expectRawError(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 413 while a chunked body is still coming, and closes', async () => {
    const head = requestHead(method, concretePath, {
      ...route.headers(),
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    const chunk = `400\r\n${' '.repeat(1024)}\r\n`;
    // 2 MiB, far past the limit: the answer comes long before the client would be done.
    const answer = await rawExchange([head, ...Array.from({ length: 2048 }, () => chunk)], {
      gapMs: 2,
      timeoutMs: 3000,
    });
    expect(answer.end).toBe('closed');
    expectRawError(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('accepts a body exactly at MAX_BODY_BYTES as far as size goes (it fails the schema instead)', async () => {
    const text = JSON.stringify({ ...route.valid, padding: '' });
    const padded = text.replace('"padding":""', `"padding":"${'x'.repeat(MAX_BODY_BYTES - text.length)}"`);
    expectRejected(await raw(padded), 400, 'INVALID_ARGUMENT', 'padding');
  });

  it.each([
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['a JSON-like type', 'application/json-patch+json'],
    ['XML', 'application/xml'],
  ])('rejects %s with 415 UNSUPPORTED_MEDIA_TYPE', async (_, contentType) => {
    const headers: Record<string, string> = { ...route.headers() };
    if (contentType) headers['content-type'] = contentType;
    const response = await platform.api.request(method, route.template, {
      params: route.params,
      rawBody:
        contentType === undefined ? new TextEncoder().encode(JSON.stringify(route.valid)) : JSON.stringify(route.valid),
      headers,
    });
    expectRejected(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each(['latin1', 'utf-16', 'utf-16le', '"utf-32"'])('rejects charset=%s with 415', async (charset) => {
    expectRejected(
      await raw(JSON.stringify(route.valid), `application/json; charset=${charset}`),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('rejects a compressed body with 415 rather than inflating it', async () => {
    const response = await post({
      rawBody: gzipSync(JSON.stringify(route.valid)),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expectRejected(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

const BAD_IDS: readonly (readonly [string, string, string | undefined])[] = [
  ['not a UUID', 'not-a-uuid', 'id'],
  ['a number', '123', 'id'],
  ['a UUID v1', 'c232ab00-9414-11ec-b3c8-9f6bdeced846', 'id'],
  ['a UUID without dashes', '0b5e1d4e8f0a4c1e9a553f1f4f1d2a01', 'id'],
  ['a UUID with a suffix', `${TEAPOT.id}0`, 'id'],
  ['the nil UUID', '00000000-0000-0000-0000-000000000000', 'id'],
  ['a path traversal', '..%2F..%2Fetc%2Fpasswd', 'id'],
  ['a NUL byte', '%00', 'id'],
  ['SQL', "1'%20OR%20'1'%3D'1", 'id'],
  ['very long', 'a'.repeat(5000), 'id'],
  ['broken percent-encoding', '%E0%A4%A', undefined],
];

describe.each([
  { template: '/api/v1/users/{id}', headers: () => ({ authorization: `Bearer ${customer}` }) },
  { template: '/api/v1/users/{id}', headers: () => ({ authorization: `Bearer ${admin}` }) },
  { template: '/api/v1/products/{id}', headers: () => ({}) },
  { template: '/api/v1/orders/{id}', headers: () => ({ authorization: `Bearer ${customer}` }) },
  { template: '/api/v1/orders/{id}', headers: () => ({ authorization: `Bearer ${admin}` }) },
])('ids of GET $template', ({ template, headers }) => {
  it.each(BAD_IDS)('rejects %s with 400 INVALID_ARGUMENT on field id', async (_, id, field) => {
    const response = await platform.api.request('GET', template, { params: { id }, headers: headers() });
    expectRejected(response, 400, 'INVALID_ARGUMENT', field);
  });
});

describe.each([
  { template: '/api/v1/products', headers: (): Record<string, string> => ({}) },
  { template: '/api/v1/orders', headers: (): Record<string, string> => ({ authorization: `Bearer ${customer}` }) },
])('query of GET $template', ({ template, headers }) => {
  it.each([
    ['limit=abc', 'limit'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=', 'limit'],
    ['limit=Infinity', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['cursor=', 'cursor'],
    [`cursor=${'c'.repeat(513)}`, 'cursor'],
    ['cursor=a&cursor=b', 'cursor'],
    ['sort=price', 'sort'],
    ['limit[]=5', 'limit[]'],
    ['__proto__=x', '__proto__'],
  ])('rejects ?%s with 400 naming %s', async (query, field) => {
    const response = await platform.api.request('GET', template, { query, headers: headers() });
    expectRejected(response, 400, 'INVALID_ARGUMENT', field);
  });
});

describe.each([
  { method: 'GET', template: '/api/v1/users/{id}', options: (): RequestOptions => ({ params: { id: ALICE.id } }) },
  { method: 'POST', template: '/api/v1/products', options: (): RequestOptions => ({ json: teacup }) },
  {
    method: 'POST',
    template: '/api/v1/orders',
    options: (): RequestOptions => ({ json: order, headers: { 'idempotency-key': 'access-test-key' } }),
  },
  { method: 'GET', template: '/api/v1/orders', options: (): RequestOptions => ({}) },
  { method: 'GET', template: '/api/v1/orders/{id}', options: (): RequestOptions => ({ params: { id: ORDER_ID } }) },
  {
    method: 'PATCH',
    template: '/api/v1/products/{id}',
    options: (): RequestOptions => ({ params: { id: TEAPOT.id }, json: { stockDelta: 1 } }),
  },
  { method: 'GET', template: '/api/v1/admin/orders', options: (): RequestOptions => ({}) },
])('access tokens at $method $template', ({ method, template, options }) => {
  it('refuses every malformed Authorization header with 401 and WWW-Authenticate: Bearer', async () => {
    for (const [what, header] of Object.entries(await badAuthorizationHeaders())) {
      const base = options();
      const response = await platform.api.request(method, template, {
        ...base,
        headers: { ...base.headers, ...(header === undefined ? {} : { authorization: header }) },
      });
      expect({ what, status: response.status }).toEqual({ what, status: 401 });
      expectRejected(response, 401, 'UNAUTHENTICATED');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('refuses every bad token with 401 UNAUTHENTICATED', async () => {
    for (const [what, token] of Object.entries(await badTokens())) {
      const base = options();
      const response = await platform.api.request(method, template, {
        ...base,
        headers: { ...base.headers, authorization: `Bearer ${token}` },
      });
      expect({ what, status: response.status }).toEqual({ what, status: 401 });
      expectRejected(response, 401, 'UNAUTHENTICATED');
    }
  });

  it('checks the token before the body or the id: a bad token with bad input is still 401', async () => {
    const response = await platform.api.request(method, template, {
      params: { id: 'not-a-uuid' },
      ...((method === 'POST' || method === 'PATCH') && { rawBody: '{broken' }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-jwt' },
    });
    expectRejected(response, 401, 'UNAUTHENTICATED');
  });
});

describe('the order of checks on POST /api/v1/products', () => {
  it('refuses a customer with 403 even when the body is broken', async () => {
    const response = await platform.api.request('POST', '/api/v1/products', {
      rawBody: '{broken',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer}` },
    });
    expectRejected(response, 403, 'PERMISSION_DENIED');
  });
});

describe('a customer asking for a malformed id', () => {
  it('gets 400 for the id, not 403', async () => {
    const response = await platform.api.request('GET', '/api/v1/users/{id}', {
      params: { id: 'nope' },
      headers: { authorization: `Bearer ${customer}` },
    });
    expectRejected(response, 400, 'INVALID_ARGUMENT', 'id');
  });
});

describe('the Idempotency-Key header of POST /api/v1/orders', () => {
  const place = (headers: Record<string, string>) =>
    platform.api.request('POST', '/api/v1/orders', {
      json: order,
      headers: { authorization: `Bearer ${customer}`, ...headers },
    });

  it('is required: without it, 400 naming it', async () => {
    const response = await place({});
    expectRejected(response, 400, 'INVALID_ARGUMENT', 'Idempotency-Key');
    expect(response.body).toMatchObject({ error: { message: 'is required' } });
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space inside', 'order 1'],
    ['a slash', 'orders/1'],
    ['a semicolon', 'a;b'],
    ['quotes', '"abc"'],
    ['a non-ASCII letter', 'clé'],
    ['two keys (a repeated header is joined with a comma)', 'key-1, key-2'],
  ])('rejects one with %s with 400 naming it', async (_, key) => {
    expectRejected(await place({ 'idempotency-key': key }), 400, 'INVALID_ARGUMENT', 'Idempotency-Key');
  });

  it('is checked after the token: a bad token without a key is 401', async () => {
    const response = await platform.api.request('POST', '/api/v1/orders', {
      json: order,
      headers: { authorization: 'Bearer not-a-jwt' },
    });
    expectRejected(response, 401, 'UNAUTHENTICATED');
  });
});

describe('items of POST /api/v1/orders', () => {
  const place = (items: unknown) =>
    platform.api.request('POST', '/api/v1/orders', {
      json: { items, paymentToken: 'tok_visa' },
      headers: orderHeaders(),
    });

  it('refuses a product twice, naming the later item', async () => {
    const response = await place([
      { productId: TEAPOT.id, quantity: 1 },
      { productId: KETTLE.id, quantity: 1 },
      { productId: TEAPOT.id, quantity: 3 },
    ]);
    expectRejected(response, 400, 'INVALID_ARGUMENT', 'items[2].productId');
  });

  it('refuses a product twice in another letter case (UUIDs are case-insensitive)', async () => {
    const response = await place([
      { productId: TEAPOT.id, quantity: 1 },
      { productId: TEAPOT.id.toUpperCase(), quantity: 1 },
    ]);
    expectRejected(response, 400, 'INVALID_ARGUMENT', 'items[1].productId');
  });

  it('names the first bad item of several', async () => {
    const response = await place([line(1), line(2), { ...line(3), quantity: 0 }, { ...line(4), quantity: -5 }]);
    expectRejected(response, 400, 'INVALID_ARGUMENT', 'items[2].quantity');
  });
});

// ---- requests node's HTTP parser refuses, written byte by byte on a socket ----

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  /** 'closed': the server closed the connection; 'timeout': it was still open at the end. */
  readonly end: 'closed' | 'timeout';
}

function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

/** Writes `chunks` (`gapMs` apart) and reads until the server closes the connection or `timeoutMs` passes. */
function rawExchange(chunks: readonly string[], options: { gapMs?: number; timeoutMs?: number } = {}) {
  return new Promise<RawAnswer>((resolve) => {
    const socket = net.connect(Number(new URL(platform.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    let ended = false;
    const finish = (end: RawAnswer['end']) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      let body: unknown;
      try {
        body = JSON.parse(rest.join('\r\n\r\n'));
      } catch {
        body = rest.join('\r\n\r\n');
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body, end });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 5000);
    socket.on('data', (data) => received.push(data));
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (ended || socket.destroyed) return;
        socket.write(chunk);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    });
  });
}

/** The documented error answer: JSON `{error: {code, message}}`, the security headers, the connection closed. */
function expectRawError(answer: RawAnswer, status: number, code: string): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: { error: expect.objectContaining({ code, message: expect.any(String) }) },
  });
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['strict-transport-security']).toContain('max-age=');
  expect(answer.headers['x-powered-by']).toBeUndefined();
}

describe('requests node cannot parse', () => {
  const get = (extra: string) => `GET /api/v1/products HTTP/1.1\r\nhost: x\r\n${extra}\r\n`;
  const post = (headers: string, body: string) =>
    `POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${headers}\r\n${body}`;

  it.each([
    ['a bare CR inside a header value', get('idempotency-key: a\rb\r\n')],
    ['a bare LF inside a header value', get('idempotency-key: a\nb: c\r\n')],
    ['a NUL inside a header value', get('x-trace: a\u0000b\r\n')],
    ['obsolete line folding', get('x-trace: a\r\n folded\r\n')],
    ['two different Content-Lengths', post('content-length: 2\r\ncontent-length: 3\r\n', '{}')],
    [
      'Content-Length beside Transfer-Encoding',
      post('content-length: 5\r\ntransfer-encoding: chunked\r\n', '0\r\n\r\n'),
    ],
    ['a Content-Length that is not a number', post('content-length: abc\r\n', '')],
    ['a request line that is not HTTP', 'HELLO WORLD\r\n\r\n'],
    ['a space inside the path', 'GET /api/v1/prod ucts HTTP/1.1\r\nhost: x\r\n\r\n'],
  ])('answers %s with 400 INVALID_ARGUMENT in the error body, then closes', async (_, bytes) => {
    const answer = await rawExchange([bytes]);
    expect(answer.end).toBe('closed');
    expectRawError(answer, 400, 'INVALID_ARGUMENT');
  });

  it('answers headers over the limit with 431 REQUEST_HEADER_FIELDS_TOO_LARGE in the error body', async () => {
    const answer = await rawExchange([get(`x-big: ${'a'.repeat(20_000)}\r\n`)]);
    expect(answer.end).toBe('closed');
    expectRawError(answer, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
  });

  it('answers an HTTP/1.1 request without Host with 400 naming Host', async () => {
    const answer = await rawExchange(['GET /api/v1/products HTTP/1.1\r\nconnection: close\r\n\r\n']);
    expectRawError(answer, 400, 'INVALID_ARGUMENT');
    expect(answer.body).toEqual({ error: expect.objectContaining({ field: 'Host' }) });
  });

  it('answers CONNECT, which no route has, with 404 NOT_FOUND instead of dropping the connection', async () => {
    const answer = await rawExchange(['CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n']);
    expect(answer.end).toBe('closed');
    expectRawError(answer, 404, 'NOT_FOUND');
  });

  it('answers a request not received within the server timeouts (a slow client) with 408 REQUEST_TIMEOUT', async () => {
    // The server's headers timeout takes 10 s or more to fire; its event is what matters here.
    const server = createServer();
    answerMalformedRequests(server);
    const written: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const error = Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    server.emit('clientError', error, socket);
    await new Promise((resolve) => setImmediate(resolve));
    const text = Buffer.concat(written).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('\r\nContent-Security-Policy: ');
    expect(JSON.parse(text.split('\r\n\r\n')[1] ?? '')).toEqual({
      error: { code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' },
    });
    socket.destroy();
  });
});
