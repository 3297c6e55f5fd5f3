/**
 * Hostile input against a running gateway: each attack is a named case with the outcome it must get. Every byte
 * goes over a raw socket, so the script says exactly what is sent (CR/LF in headers, lying Content-Length, bodies
 * one byte a second). Besides each case's own expectation, every answer must carry the gateway's security headers,
 * no answer may be a 5xx, and every answer that is not 2xx must be JSON in the documented error shape (the `Error`
 * schema of the OpenAPI document the gateway serves).
 *
 *   npx tsx test/hostile/attacks.ts <gateway-url> <secrets.json> [--report <file>]
 *
 * `secrets.json` is the local platform's (`$DATA_DIR/secrets.json`): the administrator's credentials and the token
 * signing key, used to forge tokens a client could not (expired but well signed, for an unknown user). Prints one
 * line per case and exits 1 when any case fails.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { type Schema, validate } from '../../services/api-gateway/test-support/json-schema';

// ---- the wire ----

interface Answer {
  /** 0 when the server closed the connection or the time ran out without a complete answer. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** Parsed JSON, or undefined when the text is not JSON. */
  readonly json: unknown;
  readonly ms: number;
  /** How the exchange ended: the server answered, closed without an answer, or the time ran out. */
  readonly end: 'answered' | 'closed' | 'timeout';
}

interface RequestSpec {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON value sent as application/json, unless `body` is given. */
  readonly json?: unknown;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
}

let gateway = new URL('http://127.0.0.1:8080');

/** Splits a complete HTTP/1.1 answer; undefined while more bytes are needed. */
function parseAnswer(bytes: Buffer, complete: boolean): Omit<Answer, 'ms' | 'end'> | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
  }
  const rest = bytes.subarray(headEnd + 4);
  let body: Buffer;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', at);
      if (lineEnd === -1) return complete ? finish(Buffer.concat(parts)) : undefined;
      const size = Number.parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
      if (size === 0) break;
      if (rest.length < lineEnd + 2 + size + 2) return complete ? finish(Buffer.concat(parts)) : undefined;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (rest.length < length) return complete ? finish(rest) : undefined;
    body = rest.subarray(0, length);
  } else {
    if (!complete && status !== 204 && status !== 304) return undefined;
    body = rest;
  }
  return finish(body);

  function finish(payload: Buffer) {
    const text = payload.toString('utf8');
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status, headers, text, json };
  }
}

/**
 * Writes `chunks` (waiting `gapMs` between them) on a fresh connection and reads one answer. Resolves when the
 * answer is complete, the server closes, or `timeoutMs` passes.
 */
function exchange(chunks: readonly (string | Buffer)[], timeoutMs = 15_000, gapMs = 0): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(Number(gateway.port || 80), gateway.hostname);
    const received: Buffer[] = [];
    let settled = false;
    const settle = (end: Answer['end']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseAnswer(Buffer.concat(received), true);
      const ms = Date.now() - started;
      resolve(parsed ? { ...parsed, ms, end } : { status: 0, headers: {}, text: '', json: undefined, ms, end });
    };
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    socket.on('data', (data) => {
      received.push(data);
      if (parseAnswer(Buffer.concat(received), false)) settle('answered');
    });
    socket.on('close', () => settle(received.length > 0 ? 'answered' : 'closed'));
    socket.on('error', () => settle(received.length > 0 ? 'answered' : 'closed'));
    socket.on('connect', async () => {
      for (const [index, chunk] of chunks.entries()) {
        if (settled || socket.destroyed) return;
        if (index > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (settled || socket.destroyed) return;
        socket.write(chunk);
      }
    });
  });
}

/** The bytes of a request: Host and `Connection: close` added, Content-Length computed unless given. */
function requestBytes(spec: RequestSpec): Buffer {
  const headers: Record<string, string> = { Host: gateway.host, Connection: 'close', ...spec.headers };
  let body: Buffer | undefined;
  if (spec.body !== undefined) body = Buffer.from(spec.body);
  else if (spec.json !== undefined) {
    body = Buffer.from(JSON.stringify(spec.json));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
  }
  const hasLength = Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h));
  if (body !== undefined && !hasLength) headers['Content-Length'] = String(body.length);
  const head = `${spec.method ?? 'GET'} ${spec.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body ?? Buffer.alloc(0)]);
}

// ---- what every answer must be ----

/** helmet's headers as the gateway configures them. */
const SECURITY_HEADERS: readonly (readonly [string, RegExp])[] = [
  ['content-security-policy', /default-src 'none'/],
  ['x-content-type-options', /^nosniff$/],
  ['x-frame-options', /^SAMEORIGIN$/],
  ['strict-transport-security', /max-age=\d+/],
  ['referrer-policy', /^no-referrer$/],
  ['cross-origin-resource-policy', /^same-origin$/],
];

let errorSchema: Schema = {};
let openApiDocument: Schema = {};

const figures = { requests: 0, serverErrors: 0, shapeViolations: 0, headerViolations: 0 };

/** What is wrong with an answer whatever the request was. */
function invariantProblems(answer: Answer, method: string): string[] {
  if (answer.status === 0) return [];
  const problems: string[] = [];
  if (answer.status >= 500) {
    figures.serverErrors++;
    problems.push(`server error ${answer.status}: ${answer.text.slice(0, 200)}`);
  }
  const missing = SECURITY_HEADERS.filter(([name, pattern]) => !pattern.test(answer.headers[name] ?? ''));
  if (missing.length > 0 || 'x-powered-by' in answer.headers) {
    figures.headerViolations++;
    problems.push(
      `security headers: ${[...missing.map(([n]) => `no ${n}`), ...('x-powered-by' in answer.headers ? ['x-powered-by'] : [])].join(', ')}`,
    );
  }
  if ((answer.status < 200 || answer.status > 299) && method !== 'HEAD') {
    const shape: string[] = [];
    if (!/^application\/json(;|$)/.test(answer.headers['content-type'] ?? '')) {
      shape.push(`content-type ${answer.headers['content-type'] ?? '(none)'}`);
    }
    if (answer.json === undefined) shape.push(`body is not JSON: ${JSON.stringify(answer.text.slice(0, 120))}`);
    else shape.push(...validate(errorSchema, answer.json, openApiDocument));
    if (shape.length > 0) {
      figures.shapeViolations++;
      problems.push(`error shape: ${shape.join('; ')}`);
    }
  }
  return problems;
}

// ---- cases ----

class CaseFailure extends Error {}

/** One case's view of the wire: every answer is counted and checked against the invariants. */
class Probe {
  readonly problems: string[] = [];

  async send(spec: RequestSpec): Promise<Answer> {
    return this.raw([requestBytes(spec)], { timeoutMs: spec.timeoutMs, method: spec.method ?? 'GET' });
  }

  async raw(
    chunks: readonly (string | Buffer)[],
    options: { timeoutMs?: number | undefined; gapMs?: number; method?: string } = {},
  ): Promise<Answer> {
    figures.requests++;
    const answer = await exchange(chunks, options.timeoutMs, options.gapMs);
    this.problems.push(...invariantProblems(answer, options.method ?? 'GET'));
    return answer;
  }

  check(condition: boolean, message: string): void {
    if (!condition) throw new CaseFailure(message);
  }
}

const describeAnswer = (a: Answer): string => {
  if (a.status === 0) return a.end === 'timeout' ? `no answer in ${a.ms} ms` : `closed without an answer`;
  const error = (a.json as { error?: { code?: string; field?: string } } | undefined)?.error;
  return [a.status, error?.code, error?.field && `field=${error.field}`].filter(Boolean).join(' ');
};

/** Asserts status (and error code and field when given); returns the answer's summary. */
function expectError(t: Probe, a: Answer, status: number, code?: string, field?: string): string {
  const error = (a.json as { error?: { code?: string; field?: string } } | undefined)?.error;
  const got = describeAnswer(a);
  t.check(a.status === status, `expected ${status}, got ${got}`);
  if (code !== undefined) t.check(error?.code === code, `expected code ${code}, got ${got}`);
  if (field !== undefined) t.check(error?.field === field, `expected field ${field}, got ${got}`);
  return got;
}

interface Case {
  readonly name: string;
  readonly expected: string;
  /** Returns what it got; throws CaseFailure when that is not what was expected. */
  run(t: Probe): Promise<string>;
}

interface Outcome {
  readonly name: string;
  readonly expected: string;
  readonly got: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

async function runCase(c: Case): Promise<Outcome> {
  const t = new Probe();
  let got: string;
  let ok = true;
  try {
    got = await c.run(t);
  } catch (error) {
    ok = false;
    got = error instanceof CaseFailure ? error.message : `crashed: ${String(error)}`;
  }
  if (t.problems.length > 0) ok = false;
  return { name: c.name, expected: c.expected, got, ok, problems: t.problems };
}

// ---- the platform's state the cases use ----

interface Session {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}

interface Fixture {
  readonly admin: Session;
  readonly alice: Session;
  readonly bob: Session;
  readonly jwtSecret: string;
  /** A product of this run, so orders do not depend on the demo catalogue's stock. */
  readonly productId: string;
  readonly initialStock: number;
}

const PASSWORD = 'Hostile-input 2 passphrase';
const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;

async function setupRequest(spec: RequestSpec): Promise<Answer> {
  const answer = await exchange([requestBytes(spec)]);
  figures.requests++;
  const problems = invariantProblems(answer, spec.method ?? 'GET');
  if (problems.length > 0) throw new Error(`setup ${spec.method} ${spec.path}: ${problems.join('; ')}`);
  return answer;
}

async function login(email: string, password: string): Promise<Session> {
  const answer = await setupRequest({ method: 'POST', path: '/api/v1/auth/login', json: { email, password } });
  const body = answer.json as { accessToken?: string; user?: { id: string } };
  if (answer.status !== 200 || !body.accessToken || !body.user) {
    throw new Error(`login of ${email}: ${answer.status} ${answer.text}`);
  }
  return { id: body.user.id, email, token: body.accessToken };
}

async function register(name: string): Promise<Session> {
  const email = `${name.toLowerCase()}.${RUN}@hostile.example.com`;
  const answer = await setupRequest({
    method: 'POST',
    path: '/api/v1/auth/register',
    json: { email, password: PASSWORD, name },
  });
  if (answer.status !== 201) throw new Error(`register ${email}: ${answer.status} ${answer.text}`);
  return login(email, PASSWORD);
}

async function setUp(secretsPath: string): Promise<Fixture> {
  const secrets = JSON.parse(readFileSync(secretsPath, 'utf8')) as Record<string, string>;
  const { adminEmail, adminPassword, jwtSecret } = secrets;
  if (!adminEmail || !adminPassword || !jwtSecret) throw new Error(`${secretsPath} lacks the admin or the jwt secret`);
  const document = await setupRequest({ path: '/api/v1/openapi.json' });
  openApiDocument = document.json as Schema;
  errorSchema = { $ref: '#/components/schemas/Error' };
  if (!(openApiDocument.components as { schemas?: { Error?: unknown } } | undefined)?.schemas?.Error) {
    throw new Error('the OpenAPI document has no Error schema');
  }
  const admin = await login(adminEmail, adminPassword);
  const [alice, bob] = [await register('Alice'), await register('Bob')];
  const initialStock = 1000;
  const product = await setupRequest({
    method: 'POST',
    path: '/api/v1/products',
    headers: { Authorization: `Bearer ${admin.token}` },
    json: { name: `Hostile teapot ${RUN}`, price: { amount: 1250, currency: 'EUR' }, stock: initialStock },
  });
  if (product.status !== 201) throw new Error(`create product: ${product.status} ${product.text}`);
  return { admin, alice, bob, jwtSecret, productId: (product.json as { id: string }).id, initialStock };
}

// ---- tokens ----

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function signHs256(header: object, claims: object, secret: string): string {
  const unsigned = `${b64url(header)}.${b64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);

function claimsFor(session: Session, role: string, overrides: object = {}): object {
  return {
    sub: session.id,
    email: session.email,
    role,
    iss: 'shopfront/user-service',
    aud: 'shopfront',
    iat: now(),
    exp: now() + 600,
    ...overrides,
  };
}

// ---- the attacks ----

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  '1; SELECT pg_sleep(5)--',
  "admin'--",
  "' UNION SELECT id, email, password_hash FROM users--",
  '$$; DROP TABLE products; $$',
  "%' AND 1=1 --",
] as const;

const SQL_NO_SPACES = ["'OR'1'='1", "';DROP/**/TABLE/**/orders;--", '1;SELECT/**/pg_sleep(5)'] as const;

function attacks(f: Fixture): { background: Case[]; cases: Case[] } {
  const bearer = (s: Session) => ({ Authorization: `Bearer ${s.token}` });
  const orderHeaders = (s: Session, key: string) => ({ ...bearer(s), 'Idempotency-Key': key });
  const order = (quantity = 1) => ({ items: [{ productId: f.productId, quantity }], paymentToken: 'tok_visa' });
  const teacup = (name = 'Teacup') => ({ name, price: { amount: 990, currency: 'EUR' }, stock: 5 });
  const stockOf = async (t: Probe) => {
    const a = await t.send({ path: `/api/v1/products/${f.productId}` });
    t.check(a.status === 200, `reading the product: ${describeAnswer(a)}`);
    return (a.json as { stock: number }).stock;
  };
  const ordersOf = async (t: Probe, s: Session) => {
    const a = await t.send({ path: '/api/v1/orders?limit=100', headers: bearer(s) });
    t.check(a.status === 200, `listing orders: ${describeAnswer(a)}`);
    return (a.json as { items: { id: string; status: string; items: { quantity: number }[] }[] }).items;
  };
  const bodyRoutes = [
    { path: '/api/v1/auth/register', headers: {} },
    { path: '/api/v1/auth/login', headers: {} },
    { path: '/api/v1/products', headers: bearer(f.admin) },
    { path: '/api/v1/orders', headers: orderHeaders(f.alice, `big-${RUN}`) },
  ];
  const MAX_BODY = 16_384;

  const cases: Case[] = [];
  const add = (name: string, expected: string, run: (t: Probe) => Promise<string>) =>
    cases.push({ name, expected, run });

  // -- oversized bodies --
  for (const route of bodyRoutes) {
    add(`oversized: ${MAX_BODY + 1} bytes with Content-Length to ${route.path}`, '413 PAYLOAD_TOO_LARGE', async (t) => {
      const body = JSON.stringify({ padding: 'x'.repeat(MAX_BODY) });
      const a = await t.send({ method: 'POST', path: route.path, headers: { ...route.headers, ...ctJson }, body });
      return expectError(t, a, 413, 'PAYLOAD_TOO_LARGE');
    });
    add(`oversized: 64 KiB chunked, no Content-Length, to ${route.path}`, '413 PAYLOAD_TOO_LARGE', async (t) => {
      const chunk = `${(1024).toString(16)}\r\n${' '.repeat(1024)}\r\n`;
      const head = requestBytes({
        method: 'POST',
        path: route.path,
        headers: { ...route.headers, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      const a = await t.raw([head, chunk.repeat(64), '0\r\n\r\n'], { method: 'POST' });
      return expectError(t, a, 413, 'PAYLOAD_TOO_LARGE');
    });
  }
  add(
    'oversized: Content-Length of 100 MiB, body never sent',
    '413 PAYLOAD_TOO_LARGE at once, without waiting for the body',
    async (t) => {
      const head = requestBytes({
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(100 * 1024 * 1024) },
      });
      const a = await t.raw([head, '{"email":'], { method: 'POST', timeoutMs: 5000 });
      const got = expectError(t, a, 413, 'PAYLOAD_TOO_LARGE');
      return `${got} in ${a.ms} ms`;
    },
  );
  add('oversized: endless chunked body', '413 PAYLOAD_TOO_LARGE while the client is still sending', async (t) => {
    const head = requestBytes({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    });
    const chunk = `${(4096).toString(16)}\r\n${' '.repeat(4096)}\r\n`;
    // 4 MiB over 10 s at most: the answer must come long before the end.
    const a = await t.raw([head, ...Array.from({ length: 1024 }, () => chunk)], {
      method: 'POST',
      gapMs: 10,
      timeoutMs: 8000,
    });
    const got = expectError(t, a, 413, 'PAYLOAD_TOO_LARGE');
    return `${got} in ${a.ms} ms`;
  });

  // -- deeply nested JSON --
  add('nesting: 100k levels of [ (over the size limit)', '413 PAYLOAD_TOO_LARGE', async (t) => {
    const a = await t.send({ method: 'POST', path: '/api/v1/auth/login', body: '['.repeat(100_000), headers: ctJson });
    return expectError(t, a, 413, 'PAYLOAD_TOO_LARGE');
  });
  add('nesting: 8000 levels of [[...]] within the size limit', '400 INVALID_ARGUMENT', async (t) => {
    const body = `${'['.repeat(8000)}${']'.repeat(8000)}`;
    const a = await t.send({ method: 'POST', path: '/api/v1/auth/login', body, headers: ctJson });
    return expectError(t, a, 400, 'INVALID_ARGUMENT');
  });
  add('nesting: 2700 levels of {"a": in the email field', '400 INVALID_ARGUMENT field=email', async (t) => {
    const body = `{"email":${'{"a":'.repeat(2700)}1${'}'.repeat(2700)},"password":"x"}`;
    const a = await t.send({ method: 'POST', path: '/api/v1/auth/login', body, headers: ctJson });
    return expectError(t, a, 400, 'INVALID_ARGUMENT', 'email');
  });
  add('nesting: 8000 unclosed [ in an order', '400 INVALID_ARGUMENT', async (t) => {
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/orders',
      headers: { ...orderHeaders(f.alice, `nest-${RUN}`), ...ctJson },
      body: `{"items":${'['.repeat(8000)}`,
    });
    return expectError(t, a, 400, 'INVALID_ARGUMENT');
  });
  add('nesting: bracketed query keys limit[a][b][c]=1', '400 INVALID_ARGUMENT field=limit[a][b][c]', async (t) => {
    const a = await t.send({ path: '/api/v1/products?limit[a][b][c]=1' });
    return expectError(t, a, 400, 'INVALID_ARGUMENT', 'limit[a][b][c]');
  });

  // -- prototype pollution --
  const pollutions: [string, string, string, string][] = [
    [
      'login, top-level __proto__',
      '/api/v1/auth/login',
      `{"email":"a@example.com","password":"x","__proto__":{"role":"admin","polluted":true}}`,
      '__proto__',
    ],
    [
      'login, constructor.prototype',
      '/api/v1/auth/login',
      `{"email":"a@example.com","password":"x","constructor":{"prototype":{"role":"admin","polluted":true}}}`,
      'constructor',
    ],
    [
      'register, top-level __proto__',
      '/api/v1/auth/register',
      `{"email":"p.${RUN}@example.com","password":"${PASSWORD}","name":"P","__proto__":{"role":"admin"}}`,
      '__proto__',
    ],
  ];
  for (const [what, path, body, field] of pollutions) {
    add(`prototype pollution: ${what}`, `400 INVALID_ARGUMENT field=${field}`, async (t) => {
      const a = await t.send({ method: 'POST', path, body, headers: ctJson });
      return expectError(t, a, 400, 'INVALID_ARGUMENT', field);
    });
  }
  add('prototype pollution: __proto__ inside price', '400 INVALID_ARGUMENT field=price.__proto__', async (t) => {
    const body = `{"name":"P","price":{"amount":1,"currency":"EUR","__proto__":{"polluted":true}},"stock":1}`;
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/products',
      body,
      headers: { ...bearer(f.admin), ...ctJson },
    });
    return expectError(t, a, 400, 'INVALID_ARGUMENT', 'price.__proto__');
  });
  add(
    'prototype pollution: constructor.prototype inside an item',
    '400 INVALID_ARGUMENT field=items[0].constructor',
    async (t) => {
      const body = `{"items":[{"productId":"${f.productId}","quantity":1,"constructor":{"prototype":{"polluted":true}}}],"paymentToken":"tok_visa"}`;
      const a = await t.send({
        method: 'POST',
        path: '/api/v1/orders',
        body,
        headers: { ...orderHeaders(f.alice, `proto-${RUN}`), ...ctJson },
      });
      return expectError(t, a, 400, 'INVALID_ARGUMENT', 'items[0].constructor');
    },
  );
  add(
    'prototype pollution: ?__proto__[role]=admin and ?constructor[prototype][x]=1',
    '400 INVALID_ARGUMENT, both',
    async (t) => {
      const one = await t.send({ path: '/api/v1/products?__proto__[role]=admin' });
      const two = await t.send({ path: '/api/v1/orders?constructor[prototype][polluted]=1', headers: bearer(f.alice) });
      return `${expectError(t, one, 400, 'INVALID_ARGUMENT')}; ${expectError(t, two, 400, 'INVALID_ARGUMENT')}`;
    },
  );
  add(
    'prototype pollution: afterwards a normal request is unaffected',
    '200 without "polluted"; a customer still 403 on POST /products',
    async (t) => {
      const list = await t.send({ path: '/api/v1/products?limit=5' });
      t.check(list.status === 200, `list: ${describeAnswer(list)}`);
      t.check(!list.text.includes('polluted'), 'the answer mentions "polluted"');
      const me = await t.send({ path: `/api/v1/users/${f.alice.id}`, headers: bearer(f.alice) });
      t.check(me.status === 200 && (me.json as { role?: string }).role === 'customer', `account: ${me.text}`);
      const create = await t.send({
        method: 'POST',
        path: '/api/v1/products',
        headers: bearer(f.alice),
        json: teacup(),
      });
      return `200, role customer, ${expectError(t, create, 403, 'PERMISSION_DENIED')}`;
    },
  );

  // -- SQL injection --
  for (const [i, sql] of SQL.entries()) {
    add(
      `SQL injection ${i + 1}: in register (email / name / password)`,
      '400 on email; name stored as typed; password 201 or 400',
      async (t) => {
        const badEmail = await t.send({
          method: 'POST',
          path: '/api/v1/auth/register',
          json: { email: sql, password: PASSWORD, name: 'Mallory' },
        });
        const got = [expectError(t, badEmail, 400, 'INVALID_ARGUMENT', 'email')];
        const email = `sql${i}.${RUN}@hostile.example.com`;
        const named = await t.send({
          method: 'POST',
          path: '/api/v1/auth/register',
          json: { email, password: PASSWORD, name: sql },
        });
        t.check(named.status === 201, `name: ${describeAnswer(named)}`);
        t.check((named.json as { name?: string }).name === sql, `the name came back as ${named.text}`);
        got.push('201 name verbatim');
        const pw = await t.send({
          method: 'POST',
          path: '/api/v1/auth/register',
          json: { email: `sqlpw${i}.${RUN}@hostile.example.com`, password: `${sql} Aa1x`, name: 'Mallory' },
        });
        t.check(pw.status === 201 || pw.status === 400, `password: ${describeAnswer(pw)}`);
        got.push(`password ${describeAnswer(pw)}`);
        return got.join('; ');
      },
    );
    add(`SQL injection ${i + 1}: in login (email / password)`, '400 on email, 401 on password', async (t) => {
      const email = await t.send({ method: 'POST', path: '/api/v1/auth/login', json: { email: sql, password: 'x' } });
      const password = await t.send({
        method: 'POST',
        path: '/api/v1/auth/login',
        json: { email: f.admin.email, password: sql },
      });
      const slow = password.ms > 4000 ? ` (took ${password.ms} ms)` : '';
      t.check(slow === '', `the password check took ${password.ms} ms`);
      return `${expectError(t, email, 400, 'INVALID_ARGUMENT', 'email')}; ${expectError(t, password, 401, 'UNAUTHENTICATED')}`;
    });
    add(
      `SQL injection ${i + 1}: in product name, description, currency`,
      'name and description stored verbatim (201); currency 400',
      async (t) => {
        const created = await t.send({
          method: 'POST',
          path: '/api/v1/products',
          headers: bearer(f.admin),
          json: { name: sql, description: sql, price: { amount: 1, currency: 'EUR' }, stock: 1 },
        });
        t.check(created.status === 201, `create: ${describeAnswer(created)}`);
        const id = (created.json as { id: string }).id;
        const read = await t.send({ path: `/api/v1/products/${id}` });
        const product = read.json as { name?: string; description?: string };
        t.check(product.name === sql && product.description === sql, `read back: ${read.text}`);
        const currency = await t.send({
          method: 'POST',
          path: '/api/v1/products',
          headers: bearer(f.admin),
          json: { name: 'P', price: { amount: 1, currency: sql }, stock: 1 },
        });
        return `201 verbatim; ${expectError(t, currency, 400, 'INVALID_ARGUMENT', 'price.currency')}`;
      },
    );
    add(
      `SQL injection ${i + 1}: in path ids, limit, cursor, Idempotency-Key, productId`,
      '400 INVALID_ARGUMENT each',
      async (t) => {
        const enc = encodeURIComponent(sql);
        const got: string[] = [];
        for (const path of [`/api/v1/products/${enc}`, `/api/v1/users/${enc}`, `/api/v1/orders/${enc}`]) {
          const a = await t.send({ path, headers: bearer(f.alice) });
          got.push(expectError(t, a, 400, 'INVALID_ARGUMENT', 'id'));
        }
        for (const [query, field] of [
          [`limit=${enc}`, 'limit'],
          [`cursor=${enc}`, 'cursor'],
        ] as const) {
          const products = await t.send({ path: `/api/v1/products?${query}` });
          const orders = await t.send({ path: `/api/v1/orders?${query}`, headers: bearer(f.alice) });
          got.push(expectError(t, products, 400, 'INVALID_ARGUMENT', field));
          got.push(expectError(t, orders, 400, 'INVALID_ARGUMENT', field));
        }
        const item = await t.send({
          method: 'POST',
          path: '/api/v1/orders',
          headers: orderHeaders(f.alice, `sql-${i}-${RUN}`),
          json: { items: [{ productId: sql, quantity: 1 }], paymentToken: 'tok_visa' },
        });
        got.push(expectError(t, item, 400, 'INVALID_ARGUMENT', 'items[0].productId'));
        const key = await t.send({
          method: 'POST',
          path: '/api/v1/orders',
          headers: { ...bearer(f.alice), 'Idempotency-Key': sql },
          json: order(),
        });
        got.push(expectError(t, key, 400, 'INVALID_ARGUMENT', 'Idempotency-Key'));
        return [...new Set(got)].join('; ');
      },
    );
  }
  for (const [i, sql] of SQL_NO_SPACES.entries()) {
    add(
      `SQL injection ${i + 1}: as a payment token`,
      '422 PAYMENT_FAILED field=paymentToken (a token the processor does not know)',
      async (t) => {
        const a = await t.send({
          method: 'POST',
          path: '/api/v1/orders',
          headers: orderHeaders(f.alice, `sqltok-${i}-${RUN}`),
          json: { items: [{ productId: f.productId, quantity: 1 }], paymentToken: sql },
        });
        return expectError(t, a, 422, 'PAYMENT_FAILED', 'paymentToken');
      },
    );
  }
  add(
    'SQL injection: the data is still there afterwards',
    'logins work, the product and catalogue are intact',
    async (t) => {
      await login(f.alice.email, PASSWORD);
      const list = await t.send({ path: '/api/v1/products?limit=100' });
      t.check(
        list.status === 200 && (list.json as { items: unknown[] }).items.length > 0,
        `list: ${describeAnswer(list)}`,
      );
      t.check((await stockOf(t)) >= 0, 'no stock');
      return '200, logins and catalogue intact';
    },
  );

  // -- header injection (raw bytes a normal client refuses to send) --
  const rawHead = (lines: string) =>
    `GET /api/v1/products?limit=1 HTTP/1.1\r\nHost: ${gateway.host}\r\n${lines}Connection: close\r\n\r\n`;
  const orderHead = (key: string) => {
    const body = JSON.stringify(order());
    return `POST /api/v1/orders HTTP/1.1\r\nHost: ${gateway.host}\r\nAuthorization: Bearer ${f.alice.token}\r\nIdempotency-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  };
  const malformed: [string, string][] = [
    ['bare CR inside Idempotency-Key', orderHead('key-a\rX-Injected: 1')],
    ['bare LF inside Idempotency-Key', orderHead('key-a\nX-Injected: 1')],
    ['NUL inside a header', rawHead('X-Trace: a\0b\r\n')],
    ['obsolete line folding', rawHead('X-Trace: a\r\n folded\r\n')],
    [
      'two different Content-Length',
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    ],
    [
      'Content-Length and Transfer-Encoding (smuggling)',
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n`,
    ],
    [
      'a Content-Length that is not a number',
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
    ],
    ['a request line that is not HTTP', 'HELLO WORLD\r\n\r\n'],
    ['a space inside the path', `GET /api/v1/prod ucts HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['no Host header', 'GET /api/v1/products HTTP/1.1\r\nConnection: close\r\n\r\n'],
  ];
  for (const [what, bytes] of malformed) {
    add(`header injection: ${what}`, '400 INVALID_ARGUMENT, connection closed', async (t) => {
      const a = await t.raw([bytes], { timeoutMs: 5000 });
      return expectError(t, a, 400, 'INVALID_ARGUMENT');
    });
  }
  add('header injection: 20 KB header', '431 with the error body', async (t) => {
    const a = await t.raw([rawHead(`X-Big: ${'a'.repeat(20_000)}\r\n`)], { timeoutMs: 5000 });
    const got = describeAnswer(a);
    t.check(a.status === 431, `expected 431, got ${got}`);
    return got;
  });
  add(
    'header injection: CRLF in Idempotency-Key makes a second header, not a response header',
    '201 or 202; no X-Injected or Set-Cookie answered',
    async (t) => {
      const a = await t.raw([orderHead(`crlf-${RUN}\r\nSet-Cookie: session=evil\r\nX-Injected: 1`)]);
      t.check(a.status === 201 || a.status === 202, `expected the order placed, got ${describeAnswer(a)}`);
      t.check(!('set-cookie' in a.headers) && !('x-injected' in a.headers), 'an injected header came back');
      return `${a.status}, nothing reflected`;
    },
  );
  add(
    'header injection: X-Request-Id with markup and CR/LF-like escapes',
    'a fresh request id, the value never echoed',
    async (t) => {
      const a = await t.raw([rawHead('X-Request-Id: <script>alert(1)</script>%0d%0aSet-Cookie:x\r\n')]);
      t.check(a.status === 200, describeAnswer(a));
      t.check(!(a.headers['x-request-id'] ?? '').includes('<'), `echoed ${a.headers['x-request-id']}`);
      t.check(!('set-cookie' in a.headers), 'Set-Cookie answered');
      return `200, x-request-id ${a.headers['x-request-id']}`;
    },
  );
  add('header injection: CONNECT', '404 NOT_FOUND, connection closed', async (t) => {
    const a = await t.raw([`CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`], { timeoutMs: 5000 });
    return expectError(t, a, 404, 'NOT_FOUND');
  });

  // -- tokens --
  const customer = () => f.alice.token.split('.');
  const tokenCases: [string, () => string][] = [
    [
      'payload changed (role admin), signature kept',
      () => {
        const [h, p, s] = customer();
        const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as object;
        return `${h}.${b64url({ ...claims, role: 'admin' })}.${s}`;
      },
    ],
    [
      'signature changed',
      () => {
        const [h, p, s = ''] = customer();
        return `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      },
    ],
    ['signature removed', () => `${customer().slice(0, 2).join('.')}.`],
    [
      'expired (well signed)',
      () =>
        signHs256(
          { alg: 'HS256', typ: 'JWT' },
          claimsFor(f.alice, 'customer', { iat: now() - 3600, exp: now() - 600 }),
          f.jwtSecret,
        ),
    ],
    ['alg none', () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claimsFor(f.alice, 'admin'))}.`],
    ['alg None, signature kept', () => `${b64url({ alg: 'None', typ: 'JWT' })}.${customer()[1]}.${customer()[2]}`],
    [
      'HS256 with a wrong key',
      () =>
        signHs256(
          { alg: 'HS256', typ: 'JWT' },
          claimsFor(f.alice, 'admin'),
          'a-wrong-key-that-is-long-enough-0123456789',
        ),
    ],
    [
      'HS512 with the right key',
      () => {
        const unsigned = `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url(claimsFor(f.admin, 'admin'))}`;
        return `${unsigned}.${createHmac('sha512', f.jwtSecret).update(unsigned).digest('base64url')}`;
      },
    ],
    [
      'kid pointing at /dev/null, empty key',
      () => signHs256({ alg: 'HS256', kid: '../../../../dev/null' }, claimsFor(f.alice, 'admin'), ''),
    ],
    [
      'another issuer (well signed)',
      () => signHs256({ alg: 'HS256' }, claimsFor(f.alice, 'admin', { iss: 'evil.example.com' }), f.jwtSecret),
    ],
    [
      'no exp (well signed)',
      () => signHs256({ alg: 'HS256' }, { ...claimsFor(f.alice, 'customer'), exp: undefined }, f.jwtSecret),
    ],
    ['an unknown role (well signed)', () => signHs256({ alg: 'HS256' }, claimsFor(f.alice, 'root'), f.jwtSecret)],
    ['garbage', () => 'garbage'],
    ['three dots of nothing', () => '...'],
    ['8 KB of base64', () => 'A'.repeat(8000)],
    ['JSON instead of a token', () => b64url({ role: 'admin' })],
  ];
  for (const [what, token] of tokenCases) {
    add(`token: ${what}`, '401 UNAUTHENTICATED with WWW-Authenticate: Bearer, on every protected route', async (t) => {
      const value = token();
      const got = new Set<string>();
      const requests: RequestSpec[] = [
        { path: '/api/v1/orders' },
        { path: `/api/v1/users/${f.alice.id}` },
        { method: 'POST', path: '/api/v1/products', json: teacup() },
        { method: 'POST', path: '/api/v1/orders', json: order(), headers: { 'Idempotency-Key': `tok-${RUN}` } },
      ];
      for (const spec of requests) {
        const a = await t.send({ ...spec, headers: { ...spec.headers, Authorization: `Bearer ${value}` } });
        got.add(expectError(t, a, 401, 'UNAUTHENTICATED'));
        t.check(/^Bearer/.test(a.headers['www-authenticate'] ?? ''), 'no WWW-Authenticate: Bearer');
      }
      return [...got].join('; ');
    });
  }
  add(
    'token: Authorization that is not Bearer (Basic, two tokens, no scheme, non-ASCII)',
    '401 UNAUTHENTICATED each',
    async (t) => {
      const got = new Set<string>();
      for (const header of [
        'Basic YWRtaW46YWRtaW4=',
        `Bearer ${f.alice.token} ${f.alice.token}`,
        f.alice.token,
        'Bearer ünïcode',
        'Bearer',
      ]) {
        const a = await t.send({ path: '/api/v1/orders', headers: { Authorization: header } });
        got.add(expectError(t, a, 401, 'UNAUTHENTICATED'));
      }
      return [...got].join('; ');
    },
  );
  add(
    'token: well signed for a user that does not exist',
    "its account 404; its order list empty; no one else's data",
    async (t) => {
      const ghost = { id: randomUUID(), email: `ghost.${RUN}@hostile.example.com`, token: '' };
      const token = signHs256({ alg: 'HS256', typ: 'JWT' }, claimsFor(ghost, 'customer'), f.jwtSecret);
      const account = await t.send({
        path: `/api/v1/users/${ghost.id}`,
        headers: { Authorization: `Bearer ${token}` },
      });
      const alice = await t.send({
        path: `/api/v1/users/${f.alice.id}`,
        headers: { Authorization: `Bearer ${token}` },
      });
      const list = await ordersOf(t, { ...ghost, token });
      t.check(list.length === 0, `the ghost sees ${list.length} orders`);
      return `${expectError(t, account, 404, 'NOT_FOUND')}; Alice's account ${expectError(t, alice, 403, 'PERMISSION_DENIED')}; 0 orders`;
    },
  );

  // -- idempotency --
  const key = `hostile-${RUN}`;
  let firstOrderId = '';
  add('idempotency: first order with a key', '201, stock down by 1', async (t) => {
    const before = await stockOf(t);
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/orders',
      headers: orderHeaders(f.alice, key),
      json: order(1),
    });
    t.check(a.status === 201, `expected 201, got ${describeAnswer(a)} ${a.text.slice(0, 200)}`);
    firstOrderId = (a.json as { id: string }).id;
    const after = await stockOf(t);
    t.check(after === before - 1, `stock ${before} -> ${after}`);
    return `201 ${firstOrderId.slice(0, 8)}, stock ${before} -> ${after}`;
  });
  add(
    'idempotency: the same key and body again',
    '201 with the same order and Location; no second order, stock unchanged',
    async (t) => {
      const before = await stockOf(t);
      const ordersBefore = (await ordersOf(t, f.alice)).length;
      const a = await t.send({
        method: 'POST',
        path: '/api/v1/orders',
        headers: orderHeaders(f.alice, key),
        json: order(1),
      });
      t.check(a.status === 201, `expected 201, got ${describeAnswer(a)}`);
      t.check((a.json as { id?: string }).id === firstOrderId, `another order: ${(a.json as { id?: string }).id}`);
      t.check(a.headers.location === `/api/v1/orders/${firstOrderId}`, `Location ${a.headers.location}`);
      const ordersAfter = (await ordersOf(t, f.alice)).length;
      t.check(ordersAfter === ordersBefore, `${ordersBefore} orders before, ${ordersAfter} after`);
      t.check((await stockOf(t)) === before, 'the stock moved');
      return '201 same order and Location, no new order, stock unchanged';
    },
  );
  add(
    'idempotency: the same key with another body',
    '422 IDEMPOTENCY_KEY_REUSED field=Idempotency-Key; the order unchanged',
    async (t) => {
      const before = await stockOf(t);
      const a = await t.send({
        method: 'POST',
        path: '/api/v1/orders',
        headers: orderHeaders(f.alice, key),
        json: order(2),
      });
      const got = expectError(t, a, 422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key');
      const original = await t.send({ path: `/api/v1/orders/${firstOrderId}`, headers: bearer(f.alice) });
      const body = original.json as { status?: string; items?: { quantity: number }[] };
      t.check(body.status === 'CONFIRMED' && body.items?.[0]?.quantity === 1, `the order is now ${original.text}`);
      t.check((await stockOf(t)) === before, 'the stock moved');
      return `${got}; order still CONFIRMED x1`;
    },
  );
  add('idempotency: the same key with another payment token', '422 IDEMPOTENCY_KEY_REUSED', async (t) => {
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/orders',
      headers: orderHeaders(f.alice, key),
      json: { ...order(1), paymentToken: 'tok_mastercard' },
    });
    return expectError(t, a, 422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key');
  });
  add(
    "idempotency: another customer's request with the same key",
    "a new order of their own, never the first customer's",
    async (t) => {
      const a = await t.send({
        method: 'POST',
        path: '/api/v1/orders',
        headers: orderHeaders(f.bob, key),
        json: order(1),
      });
      t.check(a.status === 201, `expected 201, got ${describeAnswer(a)}`);
      const id = (a.json as { id: string; userId: string }).id;
      t.check(
        id !== firstOrderId && (a.json as { userId: string }).userId === f.bob.id,
        `answered ${a.text.slice(0, 200)}`,
      );
      const peek = await t.send({ path: `/api/v1/orders/${firstOrderId}`, headers: bearer(f.bob) });
      return `201 a new order; Alice's order to Bob: ${expectError(t, peek, 404, 'NOT_FOUND')}`;
    },
  );
  add(
    'idempotency: 6 concurrent requests with one new key',
    'all 201/202 naming one order; stock down once',
    async (t) => {
      const before = await stockOf(t);
      const concurrentKey = `hostile-concurrent-${RUN}`;
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.send({
            method: 'POST',
            path: '/api/v1/orders',
            headers: orderHeaders(f.bob, concurrentKey),
            json: order(2),
          }),
        ),
      );
      const ids = new Set(answers.map((a) => (a.json as { id?: string; error?: { orderId?: string } }).id));
      t.check(
        answers.every((a) => a.status === 201 || a.status === 202),
        answers.map(describeAnswer).join(', '),
      );
      t.check(ids.size === 1, `${ids.size} different orders`);
      // A 202 means another request is still placing it: give it a moment before reading the stock.
      for (let i = 0; i < 20 && (await stockOf(t)) !== before - 2; i++) await new Promise((r) => setTimeout(r, 250));
      const after = await stockOf(t);
      t.check(after === before - 2, `stock ${before} -> ${after}`);
      return `${answers.map((a) => a.status).join(',')} one order, stock ${before} -> ${after}`;
    },
  );

  // -- content types --
  const valid = JSON.stringify({ email: f.alice.email, password: PASSWORD });
  for (const contentType of [
    undefined,
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/json-patch+json',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'text/json',
    '*/*',
    'application/json\0',
  ]) {
    add(
      `content type: ${JSON.stringify(contentType ?? '(none)')}`,
      '415 UNSUPPORTED_MEDIA_TYPE (400 for one the parser refuses)',
      async (t) => {
        const a = await t.send({
          method: 'POST',
          path: '/api/v1/auth/login',
          body: valid,
          headers: contentType === undefined ? {} : { 'Content-Type': contentType },
        });
        if (contentType?.includes('\0')) return expectError(t, a, 400, 'INVALID_ARGUMENT');
        return expectError(t, a, 415, 'UNSUPPORTED_MEDIA_TYPE');
      },
    );
  }
  add('content type: gzip Content-Encoding', '415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/auth/login',
      body: valid,
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    });
    return expectError(t, a, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
  add(
    'content type: application/json with a UTF-8 byte order mark',
    '200 (the BOM is not part of the JSON)',
    async (t) => {
      const a = await t.send({ method: 'POST', path: '/api/v1/auth/login', body: `\ufeff${valid}`, headers: ctJson });
      t.check(a.status === 200, `expected 200, got ${describeAnswer(a)}`);
      return '200';
    },
  );

  // -- methods and routes --
  for (const [method, path] of [
    ['PUT', '/api/v1/products'],
    ['DELETE', '/api/v1/products/00000000-0000-4000-8000-000000000000'],
    ['PATCH', '/api/v1/orders'],
    ['DELETE', '/api/v1/users/00000000-0000-4000-8000-000000000000'],
    ['TRACE', '/health'],
    ['OPTIONS', '/api/v1/auth/login'],
    ['PROPFIND', '/api/v1/products'],
    ['GET', '/api/v1/auth/login'],
    ['POST', '/api/v1/products/00000000-0000-4000-8000-000000000000'],
  ] as const) {
    add(`method: ${method} ${path}`, '404 NOT_FOUND', async (t) => {
      const a = await t.send({ method, path, headers: bearer(f.admin), ...(method === 'TRACE' ? {} : { json: {} }) });
      return expectError(t, a, 404, 'NOT_FOUND');
    });
  }
  add('method: HEAD /api/v1/products', '200 without a body', async (t) => {
    const a = await t.send({ method: 'HEAD', path: '/api/v1/products' });
    t.check(a.status === 200, describeAnswer(a));
    return '200';
  });
  for (const path of [
    '/api/v2/products',
    '/admin',
    '/.env',
    '/api/v1/products/../users',
    '/api/v1/%2e%2e/%2e%2e/etc/passwd',
    '/api/v1/products%00',
    `/api/v1/${'a'.repeat(8000)}`,
    '/api/v1/users',
    '/api/v1/users/',
    '//api/v1/products',
  ]) {
    add(
      `route: ${path.length > 60 ? `${path.slice(0, 40)}... (${path.length} chars)` : path}`,
      '404 NOT_FOUND',
      async (t) => {
        const a = await t.send({ path, headers: bearer(f.alice) });
        return expectError(t, a, 404, 'NOT_FOUND');
      },
    );
  }
  add('route: broken percent-encoding in an id', '400 INVALID_ARGUMENT', async (t) => {
    const a = await t.send({ path: '/api/v1/products/%E0%A4%A' });
    return expectError(t, a, 400, 'INVALID_ARGUMENT');
  });

  // -- paging parameters --
  for (const [query, field] of [
    ['limit=99999999999999999999999', 'limit'],
    ['limit=1e309', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=0', 'limit'],
    ['limit=2.5', 'limit'],
    ['limit=NaN', 'limit'],
    ['limit=%00', 'limit'],
    ['limit=', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['cursor=garbage', 'cursor'],
    ['cursor=%00', 'cursor'],
    [`cursor=${'Z'.repeat(600)}`, 'cursor'],
    [
      `cursor=${Buffer.from(JSON.stringify(["2020-01-01T00:00:00.000000Z' OR 1=1 --", randomUUID()])).toString('base64url')}`,
      'cursor',
    ],
    [
      `cursor=${Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000000Z', "x' OR '1'='1"])).toString('base64url')}`,
      'cursor',
    ],
    [`cursor=${Buffer.from('{"__proto__":{"polluted":1}}').toString('base64url')}`, 'cursor'],
  ] as const) {
    add(
      `paging: ?${query.length > 50 ? `${query.slice(0, 30)}...` : query}`,
      `400 INVALID_ARGUMENT field=${field}, on products and orders`,
      async (t) => {
        const products = await t.send({ path: `/api/v1/products?${query}` });
        const orders = await t.send({ path: `/api/v1/orders?${query}`, headers: bearer(f.alice) });
        const got = new Set([
          expectError(t, products, 400, 'INVALID_ARGUMENT', field),
          expectError(t, orders, 400, 'INVALID_ARGUMENT', field),
        ]);
        return [...got].join('; ');
      },
    );
  }
  add('paging: a well-formed cursor from the far future', '200 with an empty page', async (t) => {
    const cursor = Buffer.from(JSON.stringify(['2999-01-01T00:00:00.000000Z', randomUUID()])).toString('base64url');
    const a = await t.send({ path: `/api/v1/products?cursor=${cursor}` });
    t.check(a.status === 200 || a.status === 400, describeAnswer(a));
    return describeAnswer(a);
  });

  // -- unicode and NUL --
  const unicodeNames: [string, string, number][] = [
    ['emoji and accents', 'Zoë 🚀 Ünïcödé', 201],
    ['right-to-left override', 'abc\u202Egnp.exe', 201],
    ['combining marks', 'Z̷̢͈a̶̡l̷g̵o̴', 201],
    ['NUL inside', 'Tea\u0000pot', 400],
    ['a line break', 'Tea\npot', 400],
    ['only spaces', '     ', 400],
  ];
  for (const [what, name, status] of unicodeNames) {
    add(
      `unicode: product name with ${what}`,
      status === 201 ? '201, stored as sent' : '400 INVALID_ARGUMENT field=name',
      async (t) => {
        const a = await t.send({
          method: 'POST',
          path: '/api/v1/products',
          headers: bearer(f.admin),
          json: teacup(name),
        });
        if (status !== 201) return expectError(t, a, 400, 'INVALID_ARGUMENT', 'name');
        t.check(a.status === 201, `expected 201, got ${describeAnswer(a)}`);
        t.check(
          (a.json as { name?: string }).name === name.trim(),
          `stored as ${JSON.stringify((a.json as { name?: string }).name)}`,
        );
        return '201, stored as sent';
      },
    );
    add(
      `unicode: registration name with ${what}`,
      status === 201 ? '201' : '400 INVALID_ARGUMENT field=name',
      async (t) => {
        const email = `uni${Buffer.from(what).toString('hex').slice(0, 12)}.${RUN}@hostile.example.com`;
        const a = await t.send({
          method: 'POST',
          path: '/api/v1/auth/register',
          json: { email, password: PASSWORD, name },
        });
        if (status !== 201) return expectError(t, a, 400, 'INVALID_ARGUMENT', 'name');
        t.check(a.status === 201, `expected 201, got ${describeAnswer(a)}`);
        return '201';
      },
    );
  }
  add('unicode: a lone surrogate in a product name', '201 or 400, never a 5xx', async (t) => {
    const body = `{"name":"Tea\\ud800pot","price":{"amount":1,"currency":"EUR"},"stock":1}`;
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/products',
      headers: { ...bearer(f.admin), ...ctJson },
      body,
    });
    t.check(a.status === 201 || a.status === 400, describeAnswer(a));
    return describeAnswer(a);
  });
  add('unicode: invalid UTF-8 bytes in a JSON body', '400 or 401, never a 5xx', async (t) => {
    const body = Buffer.concat([
      Buffer.from('{"email":"a@example.com","password":"'),
      Buffer.from([0xc0, 0xaf, 0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const a = await t.send({ method: 'POST', path: '/api/v1/auth/login', headers: ctJson, body });
    t.check(a.status === 400 || a.status === 401, describeAnswer(a));
    return describeAnswer(a);
  });
  add(
    'unicode: NUL and non-ASCII in email, password, payment token, key',
    '400 INVALID_ARGUMENT naming each field (a login password with a trailing NUL too)',
    async (t) => {
      const got = new Set<string>();
      const email = await t.send({
        method: 'POST',
        path: '/api/v1/auth/register',
        json: { email: 'a\u0000@example.com', password: PASSWORD, name: 'N' },
      });
      got.add(expectError(t, email, 400, 'INVALID_ARGUMENT', 'email'));
      const idn = await t.send({
        method: 'POST',
        path: '/api/v1/auth/register',
        json: { email: 'ada@exämple.com', password: PASSWORD, name: 'N' },
      });
      got.add(expectError(t, idn, 400, 'INVALID_ARGUMENT', 'email'));
      const password = await t.send({
        method: 'POST',
        path: '/api/v1/auth/register',
        json: { email: `nul.${RUN}@hostile.example.com`, password: `${PASSWORD}\u0000`, name: 'N' },
      });
      got.add(expectError(t, password, 400, 'INVALID_ARGUMENT', 'password'));
      const loginNul = await t.send({
        method: 'POST',
        path: '/api/v1/auth/login',
        json: { email: f.alice.email, password: `${PASSWORD}\u0000` },
      });
      got.add(expectError(t, loginNul, 400, 'INVALID_ARGUMENT', 'password'));
      const token = await t.send({
        method: 'POST',
        path: '/api/v1/orders',
        headers: orderHeaders(f.alice, `nul-${RUN}`),
        json: { ...order(), paymentToken: 'tok_visa\u0000' },
      });
      got.add(expectError(t, token, 400, 'INVALID_ARGUMENT', 'paymentToken'));
      const key = await t.raw(
        [
          Buffer.concat([
            Buffer.from(
              `POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${f.alice.token}\r\nIdempotency-Key: cl`,
            ),
            Buffer.from('é', 'utf8'),
            Buffer.from(`\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`),
          ]),
        ],
        { method: 'POST' },
      );
      got.add(expectError(t, key, 400, 'INVALID_ARGUMENT', 'Idempotency-Key'));
      return [...got].join('; ');
    },
  );
  add('unicode: 2001 emoji in a description', '400 INVALID_ARGUMENT field=description', async (t) => {
    const a = await t.send({
      method: 'POST',
      path: '/api/v1/products',
      headers: bearer(f.admin),
      json: { ...teacup(), description: '🍵'.repeat(2001) },
    });
    return expectError(t, a, 400, 'INVALID_ARGUMENT', 'description');
  });

  // -- slow clients: run beside everything else --
  const background: Case[] = [
    {
      name: 'slow client: 8 slowloris sockets, one header byte a second',
      expected:
        'each dropped by the server within its headers timeout (10 s) plus its 30 s check interval; others served meanwhile',
      run: async (t) => {
        const head = `GET /api/v1/products HTTP/1.1\r\nHost: ${gateway.host}\r\nX-Slow: `;
        const drip = Array.from({ length: 60 }, () => 'a');
        const served = sampleHealth(t);
        const answers = await Promise.all(
          Array.from({ length: 8 }, () => t.raw([head, ...drip], { gapMs: 1000, timeoutMs: 50_000 })),
        );
        const sample = await served.stop();
        const slowest = Math.max(...answers.map((a) => a.ms));
        t.check(
          answers.every((a) => a.end !== 'timeout'),
          `still open after ${slowest} ms`,
        );
        t.check(sample.failed === 0, `${sample.failed} of ${sample.sent} other requests failed or were slow`);
        return `dropped after ${(Math.min(...answers.map((a) => a.ms)) / 1000).toFixed(0)}-${(slowest / 1000).toFixed(0)} s (${[...new Set(answers.map(describeAnswer))].join(', ')}); ${sample.sent} other requests served`;
      },
    },
    {
      name: 'slow client: a body of 4 KiB sent one byte a second',
      expected: 'dropped by the server within its request timeout (30 s) plus its 30 s check interval',
      run: async (t) => {
        const head = requestBytes({
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: { 'Content-Type': 'application/json', 'Content-Length': '4096' },
        });
        const drip = Array.from({ length: 80 }, () => ' ');
        const a = await t.raw([head, '{', ...drip], { gapMs: 1000, timeoutMs: 70_000, method: 'POST' });
        t.check(a.end !== 'timeout', `still open after ${a.ms} ms`);
        return `dropped after ${(a.ms / 1000).toFixed(0)} s (${describeAnswer(a)})`;
      },
    },
  ];
  return { background, cases };
}

const ctJson = { 'Content-Type': 'application/json' };

/** GET /health every 500 ms until stopped; a failure is an answer that is not 200 or takes over 2 s. */
function sampleHealth(t: Probe): { stop(): Promise<{ sent: number; failed: number }> } {
  let running = true;
  let sent = 0;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      const a = await t.send({ path: '/health', timeoutMs: 5000 });
      sent++;
      if (a.status !== 200 || a.ms > 2000) failed++;
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { sent, failed };
    },
  };
}

// ---- main ----

function printLine(o: Outcome): void {
  const mark = o.ok ? 'ok  ' : 'FAIL';
  process.stdout.write(`${mark} ${o.name} | expected: ${o.expected} | got: ${o.got}\n`);
  for (const problem of o.problems) process.stdout.write(`     problem: ${problem}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reportAt = args.indexOf('--report');
  const reportPath = reportAt === -1 ? undefined : args[reportAt + 1];
  const positional = args.filter((_, i) => i !== reportAt && i !== reportAt + 1);
  gateway = new URL(positional[0] ?? process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080');
  const secretsPath = positional[1] ?? process.env.SHOPFRONT_SECRETS ?? '.data/secrets.json';
  const started = Date.now();

  const fixture = await setUp(secretsPath);
  const { background, cases } = attacks(fixture);
  const slow = background.map(runCase);
  const outcomes: Outcome[] = [];
  for (const c of cases) {
    const outcome = await runCase(c);
    outcomes.push(outcome);
    printLine(outcome);
  }
  for (const outcome of await Promise.all(slow)) {
    outcomes.push(outcome);
    printLine(outcome);
  }
  const after = await runCase({
    name: 'afterwards: the platform is healthy and serves a normal request',
    expected: '/health 200; login and a product list 200',
    run: async (t) => {
      const health = await t.send({ path: '/health' });
      t.check(health.status === 200, `health ${describeAnswer(health)}`);
      await login(fixture.alice.email, PASSWORD);
      const list = await t.send({ path: '/api/v1/products?limit=3' });
      t.check(list.status === 200, `list ${describeAnswer(list)}`);
      return '200, 200, 200';
    },
  });
  outcomes.push(after);
  printLine(after);

  const failed = outcomes.filter((o) => !o.ok);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `\n${outcomes.length - failed.length} passed, ${failed.length} failed — ${figures.requests} requests, ${figures.serverErrors} 5xx, ${figures.shapeViolations} error-shape violations, ${figures.headerViolations} security-header violations, ${seconds.toFixed(1)} s\n`,
  );
  if (reportPath) {
    writeFileSync(
      reportPath,
      `${JSON.stringify(
        {
          cases: outcomes.length,
          passed: outcomes.length - failed.length,
          failed: failed.length,
          failedCases: failed.map((o) => o.name),
          ...figures,
          seconds,
        },
        null,
        2,
      )}\n`,
    );
  }
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`attacks could not run: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
