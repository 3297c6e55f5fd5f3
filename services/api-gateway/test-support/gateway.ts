import { SignJWT } from 'jose';
import type { OrderServiceServer } from '../../../lib/contracts/gen/shopfront/order/v1/order';
import type { ProductServiceServer } from '../../../lib/contracts/gen/shopfront/product/v1/product';
import type { UserServiceServer } from '../../../lib/contracts/gen/shopfront/user/v1/user';
import { type AccessClaims, TokenIssuer } from '../../../lib/runtime/auth';
import type { StartedService } from '../../../lib/runtime/host';
import { capturedLogger } from '../../../lib/runtime/test-support/logs';
import { start } from '../main';
import {
  ALICE,
  type FakeUpstream,
  fakeOrderService,
  fakeProductService,
  fakeUserService,
  ROOT,
} from './fake-upstreams';
import { type Schema, validate } from './json-schema';

export const JWT_SECRET = 'gateway-test-signing-secret-0123456789abcdef';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text. */
  readonly body: unknown;
  readonly text: string;
}

export interface RequestOptions {
  /** Values for `{name}` placeholders of the template, inserted as given (already percent-encoded). */
  readonly params?: Record<string, string>;
  /** Raw query string without `?`. */
  readonly query?: string;
  /** Sent as JSON with `Content-Type: application/json` unless `rawBody` or a content-type header is given. */
  readonly json?: unknown;
  readonly rawBody?: string | Uint8Array;
  readonly headers?: Record<string, string>;
}

type OpenApiOperation = {
  responses: Record<
    string,
    { content?: Record<string, { schema: unknown }>; headers?: Record<string, { required?: boolean }> }
  >;
};

/**
 * A client that checks every answer against the OpenAPI document the running gateway serves: the status must be
 * documented for the operation (or covered by its `default`), the media type must match, the body must validate
 * against the documented schema, and required headers must be present. A changed response shape fails the test
 * that made the request.
 */
export class DocumentedApi {
  constructor(
    readonly url: string,
    readonly document: Schema,
  ) {}

  static async load(url: string): Promise<DocumentedApi> {
    const response = await fetch(`${url}/api/v1/openapi.json`);
    if (response.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${response.status}`);
    return new DocumentedApi(url, (await response.json()) as Schema);
  }

  async request(method: string, template: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const path = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`no value for {${name}} of ${template}`);
      return value;
    });
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Uint8Array | undefined = options.rawBody;
    if (options.json !== undefined && body === undefined) {
      body = JSON.stringify(options.json);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    const response = await fetch(`${this.url}${path}${options.query === undefined ? '' : `?${options.query}`}`, {
      method,
      headers,
      body,
    });
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
    const parsed: ApiResponse = {
      status: response.status,
      headers: response.headers,
      body: isJson ? JSON.parse(text) : text,
      text,
    };
    this.assertConforms(method, template, parsed);
    return parsed;
  }

  assertConforms(method: string, template: string, response: ApiResponse): void {
    const paths = this.document.paths as Record<string, Record<string, OpenApiOperation>>;
    const operation = paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the OpenAPI document has no ${method} ${template}`);
    const documented = operation.responses[String(response.status)] ?? operation.responses.default;
    const where = `${method} ${template} -> ${response.status}`;
    if (!documented) throw new Error(`${where}: status not documented. Body: ${response.text}`);
    const [mediaType, media] = Object.entries(documented.content ?? {})[0] ?? [];
    if (!mediaType || !media) throw new Error(`${where}: the document gives no content`);
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.startsWith(mediaType))
      throw new Error(`${where}: content-type ${contentType}, documented ${mediaType}`);
    const problems = validate(media.schema, response.body, this.document);
    if (problems.length > 0) {
      throw new Error(
        `${where}: the body breaks the documented schema:\n  ${problems.join('\n  ')}\nBody: ${response.text}`,
      );
    }
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if (header.required && !response.headers.has(name)) throw new Error(`${where}: missing header ${name}`);
    }
  }
}

export interface TestPlatform {
  readonly users: FakeUpstream<UserServiceServer>;
  readonly products: FakeUpstream<ProductServiceServer>;
  readonly orders: FakeUpstream<OrderServiceServer>;
  readonly gateway: StartedService;
  readonly api: DocumentedApi;
  readonly url: string;
  /** The gateway's log lines (JSON), for assertions on what is and is not logged. */
  readonly logs: Record<string, unknown>[];
  reset(): void;
  stop(): Promise<void>;
}

/** Fake user-service, product-service and order-service on port 0, and the real gateway on HTTP_PORT=0. */
export async function startTestPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const users = await fakeUserService().start();
  const products = await fakeProductService().start();
  const orders = await fakeOrderService().start();
  const { logger, lines } = capturedLogger('api-gateway');
  const gateway = await start({
    env: {
      HTTP_PORT: '0',
      USER_SERVICE_ADDR: users.address,
      PRODUCT_SERVICE_ADDR: products.address,
      ORDER_SERVICE_ADDR: orders.address,
      JWT_SECRET,
      UPSTREAM_TIMEOUT_MS: '2000',
      // The fakes change their answers between requests; the cache has tests of its own.
      CATALOGUE_CACHE_TTL_MS: '0',
      ...env,
    },
    logger,
    host: '127.0.0.1',
  });
  const url = `http://127.0.0.1:${gateway.ports.http}`;
  return {
    users,
    products,
    orders,
    gateway,
    api: await DocumentedApi.load(url),
    url,
    logs: lines,
    reset: () => {
      users.reset();
      products.reset();
      orders.reset();
    },
    stop: async () => {
      await gateway.stop();
      await users.stop();
      await products.stop();
      await orders.stop();
    },
  };
}

const issuer = new TokenIssuer({ secret: JWT_SECRET });

export async function tokenFor(claims: AccessClaims): Promise<string> {
  return (await issuer.issue(claims)).token;
}

export const customerToken = () => tokenFor({ sub: ALICE.id, email: ALICE.email, role: 'customer' });
export const adminToken = () => tokenFor({ sub: ROOT.id, email: ROOT.email, role: 'admin' });

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const secretKey = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);
const adminClaims = { email: ROOT.email, role: 'admin' };

/** Tokens the gateway must refuse with 401, each wrong in one way. */
export async function badTokens(): Promise<Record<string, string>> {
  const valid = await adminToken();
  const [header, payload] = valid.split('.');
  const customer = (await customerToken()).split('.');
  const standard = { sub: ROOT.id, iss: 'shopfront/user-service', aud: 'shopfront', iat: now(), exp: now() + 600 };
  const sign = (claims: object, alg = 'HS256', secret = JWT_SECRET) =>
    new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).sign(secretKey(secret));
  return {
    'not a JWT': 'not-a-jwt',
    expired: await sign({ ...adminClaims, ...standard, iat: now() - 3600, exp: now() - 600 }),
    'alg none': `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...adminClaims, ...standard })}.`,
    'unsigned (signature stripped)': `${header}.${payload}.`,
    'signed with another secret': await new TokenIssuer({ secret: 'another-secret-that-is-also-long-enough!!' })
      .issue({ sub: ROOT.id, email: ROOT.email, role: 'admin' })
      .then((t) => t.token),
    'from another issuer': await new TokenIssuer({ secret: JWT_SECRET, issuer: 'evil.example.com' })
      .issue({ sub: ROOT.id, email: ROOT.email, role: 'admin' })
      .then((t) => t.token),
    'for another audience': await new TokenIssuer({ secret: JWT_SECRET, audience: 'another-api' })
      .issue({ sub: ROOT.id, email: ROOT.email, role: 'admin' })
      .then((t) => t.token),
    'HS512 with the right secret': await sign({ ...adminClaims, ...standard }, 'HS512'),
    "a customer's token with its role changed to admin": `${customer[0]}.${base64url({ ...JSON.parse(Buffer.from(customer[1] ?? '', 'base64url').toString()), role: 'admin' })}.${customer[2]}`,
    'without a role claim': await sign({ email: ROOT.email, ...standard }),
    'with an unknown role': await sign({ ...adminClaims, ...standard, role: 'superuser' }),
  };
}

/** Authorization headers that are not `Bearer <token>`. */
export async function badAuthorizationHeaders(): Promise<Record<string, string | undefined>> {
  const valid = await adminToken();
  return {
    'no Authorization header': undefined,
    'Basic credentials': `Basic ${Buffer.from('root@example.com:secret').toString('base64')}`,
    'Bearer without a token': 'Bearer',
    'Bearer with two tokens': `Bearer ${valid} ${valid}`,
    'a token without a scheme': valid,
    'another scheme name': `Token ${valid}`,
  };
}

/** True when no response text looks like a stack trace or names a source file. */
export function looksLikeInternals(text: string): boolean {
  return /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|ECONNREFUSED|127\.0\.0\.1/.test(text);
}
