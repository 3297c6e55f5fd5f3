import type { Express } from 'express';
import { TokenVerifier } from '../../lib/runtime/auth';
import { Health } from '../../lib/runtime/health';
import { listenHttp, type RunningHttpServer } from '../../lib/runtime/http';
import { createLogger } from '../../lib/runtime/logger';
import { ServiceMetrics } from '../../lib/runtime/metrics';
import { ResultsFileWindows } from './adapters/analytics-windows';
import { OrderServicePeer, ProductServicePeer, UserServicePeer } from './adapters/peers';
import { ALICE, KETTLE, ORDER_ID, TEAPOT } from './test-support/fake-upstreams';
import {
  type ApiResponse,
  adminToken,
  customerToken,
  DocumentedApi,
  JWT_SECRET,
  type RequestOptions,
  startTestPlatform,
  type TestPlatform,
} from './test-support/gateway';
import { type Schema, validate } from './test-support/json-schema';
import { createGatewayApp } from './transport/http-app';
import { openApiPath } from './transport/openapi';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: unknown };
}

/** Every method+path the express app routes, read from its router (express `:id` as OpenAPI `{id}`). */
function registeredRoutes(app: Express): string[] {
  const layers = (app.router as unknown as { stack: Layer[] }).stack;
  // A mounted sub-router would hide its routes from this enumeration; the gateway registers none.
  expect(layers.filter((layer) => layer.handle?.stack !== undefined)).toEqual([]);
  return layers.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).map(
          (method) => `${method.toUpperCase()} ${openApiPath(layer.route?.path ?? '')}`,
        )
      : [],
  );
}

function documentedRoutes(document: Schema): string[] {
  const paths = document.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
}

let platform: TestPlatform;
let app: Express;
let server: RunningHttpServer;
let appApi: DocumentedApi;
const peers = [
  new UserServicePeer('127.0.0.1:9', 100),
  new ProductServicePeer('127.0.0.1:9', 100),
  new OrderServicePeer('127.0.0.1:9', 100, 100),
] as const;

beforeAll(async () => {
  platform = await startTestPlatform();
  const logger = createLogger({ service: 'api-gateway', level: 'silent' });
  app = createGatewayApp({
    logger,
    metrics: new ServiceMetrics('api-gateway', { defaults: false }),
    health: new Health(logger),
    users: peers[0],
    products: peers[1],
    orders: peers[2],
    analyticsWindows: new ResultsFileWindows('/nonexistent/analytics-results.jsonl'),
    tokens: new TokenVerifier({ secret: JWT_SECRET }),
    maxBodyBytes: 16_384,
  });
  server = await listenHttp(app, 0, '127.0.0.1');
  appApi = await DocumentedApi.load(`http://127.0.0.1:${server.port}`);
});
afterAll(async () => {
  await server.close();
  for (const peer of peers) peer.close();
  await platform.stop();
});
beforeEach(() => platform.reset());

describe('the OpenAPI document and the router', () => {
  it('documents exactly the routes the express app registers, no more, no fewer', () => {
    const registered = registeredRoutes(app);
    expect(registered.length).toBeGreaterThanOrEqual(10);
    expect(new Set(registered).size).toBe(registered.length);
    expect(documentedRoutes(appApi.document).sort()).toEqual([...registered].sort());
  });

  it('is the document the started gateway serves', () => {
    expect(platform.api.document).toEqual(appApi.document);
  });

  it('includes the public API, health and the kit routes', () => {
    expect(documentedRoutes(appApi.document)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/login',
        'GET /api/v1/users/{id}',
        'GET /api/v1/products',
        'GET /api/v1/products/{id}',
        'POST /api/v1/products',
        'PATCH /api/v1/products/{id}',
        'POST /api/v1/orders',
        'GET /api/v1/orders',
        'GET /api/v1/orders/{id}',
        'GET /api/v1/admin/orders',
        'GET /api/v1/openapi.json',
        'GET /health',
        'GET /metrics',
        'GET /livez',
        'GET /readyz',
      ]),
    );
  });

  it('turns express parameters into OpenAPI templates', () => {
    expect(openApiPath('/a/:id/b/:other_id')).toBe('/a/{id}/b/{other_id}');
    expect(openApiPath('/plain')).toBe('/plain');
  });
});

type Operation = {
  operationId: string;
  security: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content: Record<string, { schema: Schema }> }>;
};

function operations(document: Schema): [string, string, Operation][] {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [method, path, op] as [string, string, Operation]),
  );
}

describe('each operation', () => {
  it('is OpenAPI 3.1 with a unique operationId', () => {
    expect(appApi.document.openapi).toBe('3.1.0');
    const ids = operations(appApi.document).map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents every path parameter as required', () => {
    for (const [, path, op] of operations(appApi.document)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const documented = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect({ path, names: documented.map((p) => p.name) }).toEqual({ path, names: inPath });
      expect(documented.every((p) => p.required)).toBe(true);
    }
  });

  it('documents a required JSON body exactly on POST and PATCH operations', () => {
    for (const [method, path, op] of operations(appApi.document)) {
      expect({ path, method, body: op.requestBody?.required ?? false }).toEqual({
        path,
        method,
        body: method === 'post' || method === 'patch',
      });
      if (op.requestBody) expect(Object.keys(op.requestBody.content)).toEqual(['application/json']);
    }
  });

  it('asks for a Bearer token exactly where the gateway requires one', () => {
    const secured = operations(appApi.document)
      .filter(([, , op]) => op.security.length > 0)
      .map(([method, path]) => `${method.toUpperCase()} ${path}`);
    expect(secured.sort()).toEqual([
      'GET /api/v1/admin/orders',
      'GET /api/v1/analytics/windows',
      'GET /api/v1/orders',
      'GET /api/v1/orders/{id}',
      'GET /api/v1/users/{id}',
      'PATCH /api/v1/products/{id}',
      'POST /api/v1/orders',
      'POST /api/v1/products',
    ]);
  });

  it('documents the Idempotency-Key header as a required parameter of POST /api/v1/orders, and nowhere else', () => {
    const withHeaders = operations(appApi.document).flatMap(([method, path, op]) =>
      (op.parameters ?? [])
        .filter((p) => p.in === 'header')
        .map((p) => ({ operation: `${method.toUpperCase()} ${path}`, name: p.name, required: p.required })),
    );
    expect(withHeaders).toEqual([{ operation: 'POST /api/v1/orders', name: 'Idempotency-Key', required: true }]);
  });

  it('documents every status POST /api/v1/orders answers for an order, and what the same key again answers', () => {
    const create = (appApi.document.paths as Record<string, Record<string, Operation>>)['/api/v1/orders']?.post;
    const statuses = Object.keys(create?.responses ?? {});
    expect(statuses).toEqual(
      expect.arrayContaining(['201', '202', '400', '401', '402', '409', '422', '500', '502', '503', '504']),
    );
    const described = create?.responses as unknown as Record<string, { description: string }>;
    expect(described['201']?.description).toMatch(/same Idempotency-Key answers 201 again with the same order/);
    expect(described['402']?.description).toMatch(/PAYMENT_DECLINED/);
    expect(described['409']?.description).toMatch(/OUT_OF_STOCK/);
    expect(described['422']?.description).toMatch(
      /IDEMPOTENCY_KEY_REUSED.*PRODUCT_NOT_FOUND|PRODUCT_NOT_FOUND.*IDEMPOTENCY_KEY_REUSED/,
    );
    expect(described['502']?.description).toMatch(/PAYMENT_FAILED/);
  });

  it('documents one order shape for every state: every member required, those of some states nullable', () => {
    const get = (appApi.document.paths as Record<string, Record<string, Operation>>)['/api/v1/orders/{id}']?.get;
    const order = get?.responses['200']?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, Schema>;
    };
    expect([...order.required].sort()).toEqual(Object.keys(order.properties).sort());
    for (const member of ['total', 'failureCode', 'failureReason', 'declineCode', 'paymentId']) {
      expect(JSON.stringify(order.properties[member])).toContain('"null"');
    }
    const timestamp = order.properties.createdAt as { pattern?: string };
    expect(new RegExp(timestamp.pattern ?? '').test('2026-12-04T05:42:42.602Z')).toBe(true);
    expect(new RegExp(timestamp.pattern ?? '').test('2026-12-04T05:42:42.602000Z')).toBe(false);
  });

  it('answers every error with the one Error schema', () => {
    const schemas = (appApi.document.components as { schemas: Record<string, Schema> }).schemas;
    expect(schemas.Error).toMatchObject({ required: ['error'], additionalProperties: false });
    for (const [, , op] of operations(appApi.document)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content['application/json']?.schema;
        if (status === 'default' || Number(status) >= 400) {
          // /health and /readyz answer 503 with their own report, documented as such.
          if (schema?.$ref === undefined) expect(['health', 'readyz']).toContain(op.operationId);
          else expect(schema).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
  });
});

describe('real responses conform to the document', () => {
  /** One real, successful request per operation; a new route without one here fails the test. */
  const samples: Record<string, () => Promise<[string, string, RequestOptions]>> = {
    register: async () => [
      'POST',
      '/api/v1/auth/register',
      { json: { email: 'dan@example.com', password: 'correct horse battery', name: 'Dan' } },
    ],
    login: async () => ['POST', '/api/v1/auth/login', { json: { email: ALICE.email, password: 'pw' } }],
    getUser: async () => [
      'GET',
      '/api/v1/users/{id}',
      { params: { id: ALICE.id }, headers: { authorization: `Bearer ${await adminToken()}` } },
    ],
    listProducts: async () => ['GET', '/api/v1/products', { query: 'limit=2' }],
    getProduct: async () => ['GET', '/api/v1/products/{id}', { params: { id: TEAPOT.id } }],
    createProduct: async () => [
      'POST',
      '/api/v1/products',
      {
        json: { name: 'Cup', price: { amount: 100, currency: 'EUR' }, stock: 1 },
        headers: { authorization: `Bearer ${await adminToken()}` },
      },
    ],
    updateProduct: async () => [
      'PATCH',
      '/api/v1/products/{id}',
      {
        params: { id: TEAPOT.id },
        json: { price: { amount: 2500, currency: 'EUR' }, stockDelta: -2 },
        headers: { authorization: `Bearer ${await adminToken()}` },
      },
    ],
    createOrder: async () => [
      'POST',
      '/api/v1/orders',
      {
        json: { items: [{ productId: TEAPOT.id, quantity: 2 }], paymentToken: 'tok_visa' },
        headers: { authorization: `Bearer ${await customerToken()}`, 'idempotency-key': 'sample-1' },
      },
    ],
    listOrders: async () => [
      'GET',
      '/api/v1/orders',
      { query: 'limit=5', headers: { authorization: `Bearer ${await customerToken()}` } },
    ],
    getOrder: async () => [
      'GET',
      '/api/v1/orders/{id}',
      { params: { id: ORDER_ID }, headers: { authorization: `Bearer ${await customerToken()}` } },
    ],
    listAllOrders: async () => [
      'GET',
      '/api/v1/admin/orders',
      { query: 'limit=5', headers: { authorization: `Bearer ${await adminToken()}` } },
    ],
    listAnalyticsWindows: async () => [
      'GET',
      '/api/v1/analytics/windows',
      {
        query: 'from=2026-12-04T09:00:00Z&to=2026-12-04T10:00:00Z',
        headers: { authorization: `Bearer ${await adminToken()}` },
      },
    ],
    openApiDocument: async () => ['GET', '/api/v1/openapi.json', {}],
    health: async () => ['GET', '/health', {}],
    livez: async () => ['GET', '/livez', {}],
    readyz: async () => ['GET', '/readyz', {}],
    metrics: async () => ['GET', '/metrics', {}],
  };

  it('has a sample for every documented operation', () => {
    const ids = operations(platform.api.document).map(([, , op]) => op.operationId);
    expect(Object.keys(samples).sort()).toEqual(ids.sort());
  });

  it.each(Object.keys(samples))('%s answers 2xx with a body its documented schema accepts', async (operationId) => {
    const sample = samples[operationId];
    if (!sample) throw new Error(`no sample for ${operationId}`);
    const [method, template, options] = await sample();
    // DocumentedApi.request validates status, media type, body and required headers against the document.
    const response = await platform.api.request(method, template, options);
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
  });
});

describe('the conformance check', () => {
  let product: ApiResponse;
  let page: ApiResponse;

  beforeAll(async () => {
    product = await platform.api.request('GET', '/api/v1/products/{id}', { params: { id: TEAPOT.id } });
    page = await platform.api.request('GET', '/api/v1/products');
  });

  const mutated = (response: ApiResponse, change: (body: Record<string, unknown>) => void): ApiResponse => {
    const body = structuredClone(response.body) as Record<string, unknown>;
    change(body);
    return { ...response, body, text: JSON.stringify(body) };
  };

  it.each<[string, (body: Record<string, unknown>) => void]>([
    ['an added field', (b) => Object.assign(b, { createdAt: '2026-01-01' })],
    ['a missing field', (b) => delete b.stock],
    ['a renamed field', (b) => Object.assign(b, { priceAmount: 1 }) && delete b.price],
    ['an amount as a string', (b) => Object.assign(b, { price: { amount: '19.99', currency: 'EUR' } })],
    ['an amount as a float', (b) => Object.assign(b, { price: { amount: 19.99, currency: 'EUR' } })],
    ['a null name', (b) => Object.assign(b, { name: null })],
  ])('fails a product response with %s', (_, change) => {
    expect(() => platform.api.assertConforms('GET', '/api/v1/products/{id}', mutated(product, change))).toThrow(
      /breaks the documented schema/,
    );
  });

  it('fails a page whose nextCursor is missing or whose items are not products', () => {
    expect(() =>
      platform.api.assertConforms(
        'GET',
        '/api/v1/products',
        mutated(page, (b) => delete b.nextCursor),
      ),
    ).toThrow(/breaks/);
    expect(() =>
      platform.api.assertConforms(
        'GET',
        '/api/v1/products',
        mutated(page, (b) => Object.assign(b, { items: [{}] })),
      ),
    ).toThrow(/breaks/);
  });

  it('fails an error body of another shape', () => {
    const wrong = { ...product, status: 404, body: { message: 'not found' }, text: '{"message":"not found"}' };
    expect(() => platform.api.assertConforms('GET', '/api/v1/products/{id}', wrong)).toThrow(/breaks/);
    const unknownCode = { ...product, status: 404, body: { error: { code: 'GONE', message: 'x' } }, text: '' };
    expect(() => platform.api.assertConforms('GET', '/api/v1/products/{id}', unknownCode)).toThrow(/breaks/);
  });

  it('fails an undocumented status on a route without a default', () => {
    const teapot = { ...product, status: 418 };
    expect(() => platform.api.assertConforms('GET', '/health', teapot)).toThrow(/not documented/);
  });

  it('fails a missing Location on a 201', async () => {
    const created = await platform.api.request('POST', '/api/v1/products', {
      json: { name: 'Cup', price: { amount: 100, currency: 'EUR' }, stock: 1 },
      headers: { authorization: `Bearer ${await adminToken()}` },
    });
    const headers = new Headers(created.headers);
    headers.delete('location');
    expect(() => platform.api.assertConforms('POST', '/api/v1/products', { ...created, headers })).toThrow(
      /missing header Location/,
    );
  });
});

describe('request schemas in the document agree with what the gateway accepts', () => {
  const requestSchema = (template: string, method = 'post'): Schema => {
    const op = (appApi.document.paths as Record<string, Record<string, Operation>>)[template]?.[method];
    const schema = op?.requestBody?.content['application/json']?.schema;
    if (!schema) throw new Error(`no request schema for ${method.toUpperCase()} ${template}`);
    return schema;
  };

  const candidates: Record<string, Record<string, unknown>[]> = {
    '/api/v1/auth/register': [
      { email: 'erin@example.com', password: '12345678', name: 'Erin' },
      { email: 'erin@example.com', password: '1234567', name: 'Erin' },
      { email: 'erin@example.com', password: '12345678' },
      { email: 'erin@example.com', password: '12345678', name: 'Erin', role: 'admin' },
      { email: 'erin', password: '12345678', name: 'Erin' },
      { email: 'erin@example.com', password: 12345678, name: 'Erin' },
      { email: 'erin@example.com', password: 'p'.repeat(128), name: 'n'.repeat(100) },
      { email: 'erin@example.com', password: 'p'.repeat(129), name: 'Erin' },
    ],
    '/api/v1/auth/login': [
      { email: 'erin@example.com', password: 'x' },
      { email: 'erin@example.com', password: '' },
      { email: 'erin@example.com' },
      { email: 'erin@example.com', password: 'x', remember: true },
    ],
    '/api/v1/products': [
      { name: 'Cup', price: { amount: 0, currency: 'EUR' }, stock: 0 },
      { name: 'Cup', description: 'd', price: { amount: 1, currency: 'EUR' }, stock: 2_147_483_647 },
      { name: 'Cup', price: { amount: 1, currency: 'EUR' }, stock: 2_147_483_648 },
      { name: 'Cup', price: { amount: -1, currency: 'EUR' }, stock: 1 },
      { name: 'Cup', price: { amount: 1.5, currency: 'EUR' }, stock: 1 },
      { name: 'Cup', price: { amount: 1, currency: 'eur' }, stock: 1 },
      { name: 'Cup', price: { amount: 1, currency: 'EUR', tax: 0 }, stock: 1 },
      { name: '', price: { amount: 1, currency: 'EUR' }, stock: 1 },
      { price: { amount: 1, currency: 'EUR' }, stock: 1 },
    ],
    // Not a candidate: two items of one product. The gateway refuses it, but JSON Schema cannot say "unique by
    // productId"; the document says it in words.
    '/api/v1/orders': [
      { items: [{ productId: TEAPOT.id, quantity: 1 }], paymentToken: 'tok_visa' },
      {
        items: [
          { productId: TEAPOT.id, quantity: 1000 },
          { productId: KETTLE.id, quantity: 1 },
        ],
        paymentToken: 't'.repeat(255),
      },
      { items: [{ productId: TEAPOT.id, quantity: 1001 }], paymentToken: 'tok_visa' },
      { items: [{ productId: TEAPOT.id, quantity: 0 }], paymentToken: 'tok_visa' },
      { items: [{ productId: TEAPOT.id, quantity: 1.5 }], paymentToken: 'tok_visa' },
      { items: [{ productId: TEAPOT.id, quantity: '1' }], paymentToken: 'tok_visa' },
      { items: [{ productId: 'c232ab00-9414-11ec-b3c8-9f6bdeced846', quantity: 1 }], paymentToken: 'tok_visa' },
      { items: [{ productId: TEAPOT.id, quantity: 1, note: 'gift' }], paymentToken: 'tok_visa' },
      { items: [], paymentToken: 'tok_visa' },
      { items: [{ productId: TEAPOT.id, quantity: 1 }] },
      { items: [{ productId: TEAPOT.id, quantity: 1 }], paymentToken: '' },
      { items: [{ productId: TEAPOT.id, quantity: 1 }], paymentToken: 'tok visa' },
      { items: [{ productId: TEAPOT.id, quantity: 1 }], paymentToken: 't'.repeat(256) },
    ],
  };

  it.each(Object.entries(candidates))('POST %s: schema verdict = gateway verdict', async (template, bodies) => {
    const token = await adminToken();
    for (const body of bodies) {
      const documentedValid = validate(requestSchema(template), body, appApi.document).length === 0;
      const response = await platform.api.request('POST', template, {
        json: body,
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'verdict-1' },
      });
      expect({ body, accepted: response.status !== 400 }).toEqual({ body, accepted: documentedValid });
    }
  });

  it('PATCH /api/v1/products/{id}: schema verdict = gateway verdict', async () => {
    const token = await adminToken();
    const bodies: unknown[] = [
      { price: { amount: 100, currency: 'EUR' } },
      { stockDelta: -5 },
      { stockDelta: 1_000_000, price: { amount: 1, currency: 'JPY' } },
      {},
      { stockDelta: 0 },
      { stockDelta: 1.5 },
      { stockDelta: '3' },
      { stockDelta: -1_000_001 },
      { stock: 5 },
      { price: { amount: 0, currency: 'EUR' } },
      { price: { amount: 100, currency: 'eur' } },
      { price: null },
    ];
    for (const body of bodies) {
      const documentedValid =
        validate(requestSchema('/api/v1/products/{id}', 'patch'), body, appApi.document).length === 0;
      const response = await platform.api.request('PATCH', '/api/v1/products/{id}', {
        params: { id: TEAPOT.id },
        json: body,
        headers: { authorization: `Bearer ${token}` },
      });
      expect({ body, accepted: response.status !== 400 }).toEqual({ body, accepted: documentedValid });
    }
  });

  it('POST /api/v1/orders: Idempotency-Key schema verdict = gateway verdict', async () => {
    const op = (appApi.document.paths as Record<string, Record<string, Operation>>)['/api/v1/orders']?.post;
    const schema = op?.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key')?.schema;
    if (!schema) throw new Error('no Idempotency-Key parameter');
    const token = await customerToken();
    for (const key of ['k', 'a'.repeat(255), 'order:2026-03-01_a.b-c', 'a'.repeat(256), 'with space', 'ké', 'a/b']) {
      const documentedValid = validate(schema, key, appApi.document).length === 0;
      const response = await platform.api.request('POST', '/api/v1/orders', {
        json: { items: [{ productId: TEAPOT.id, quantity: 1 }], paymentToken: 'tok_visa' },
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
      });
      expect({ key, accepted: response.status !== 400 }).toEqual({ key, accepted: documentedValid });
    }
  });
});
