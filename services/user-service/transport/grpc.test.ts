import { status } from '@grpc/grpc-js';
import { Role } from '../../../lib/contracts/gen/shopfront/user/v1/user';
import { TokenVerifier } from '../../../lib/runtime/auth';
import type { StartedService } from '../../../lib/runtime/host';
import { freshDatabase, type TestDatabase } from '../../../lib/runtime/test-support/postgres';
import { start } from '../main';
import { grpcErrorOf, healthClient, TEST_JWT_SECRET, testEnv, userServiceClient } from '../test-support/clients';

const PASSWORD = 'Kestrel2Harbor';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let database: TestDatabase;
let service: StartedService;
let users: ReturnType<typeof userServiceClient>;
let emails = 0;
const freshEmail = () => `person-${++emails}@example.com`;

beforeAll(async () => {
  database = await freshDatabase();
  service = await start({
    env: testEnv({ TOKEN_TTL_SECONDS: '600', DATABASE_URL: database.url }),
    host: '127.0.0.1',
  });
  users = userServiceClient(service.ports.grpc ?? 0);
});

afterAll(async () => {
  users?.close();
  await service?.stop();
  await database?.drop();
});

describe('user-service over gRPC', () => {
  it('binds ephemeral ports when asked for port 0 and reports them', () => {
    expect(service.name).toBe('user-service');
    expect(service.ports.grpc).toBeGreaterThan(0);
    expect(service.ports.metrics).toBeGreaterThan(0);
  });

  it('registers a customer, finds it by id, and signs it in with a token the gateway can verify', async () => {
    const { user } = await users.register({ email: '  Ada@Example.COM ', password: PASSWORD, name: ' Ada Lovelace ' });
    expect(user).toEqual({
      id: expect.stringMatching(UUID),
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      role: Role.ROLE_CUSTOMER,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
    });
    expect(await users.getUser({ id: user?.id ?? '' })).toEqual({ user });

    const session = await users.authenticate({ email: 'ADA@example.com', password: PASSWORD });
    expect(session.user).toEqual(user);
    expect(session.expiresInSeconds).toBe(600);
    const claims = await new TokenVerifier({ secret: TEST_JWT_SECRET }).verify(session.accessToken);
    expect(claims).toEqual({ sub: user?.id, email: 'ada@example.com', role: 'customer' });
  });

  it('issues a token that another secret does not verify', async () => {
    const email = freshEmail();
    await users.register({ email, password: PASSWORD, name: 'Grace' });
    const { accessToken } = await users.authenticate({ email, password: PASSWORD });
    const other = new TokenVerifier({ secret: 'another-signing-secret-of-32-characters!' });
    await expect(other.verify(accessToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it.each([
    ['email', { email: 'not-an-email', password: PASSWORD, name: 'Ada' }, 'email must be an address'],
    ['email', { email: '', password: PASSWORD, name: 'Ada' }, 'email is required'],
    ['email', { email: `${'a'.repeat(300)}@example.com`, password: PASSWORD, name: 'Ada' }, 'at most 254'],
    ['email', { email: 'jöhn@example.com', password: PASSWORD, name: 'Ada' }, 'ASCII'],
    ['password', { email: 'x1@example.com', password: 'Sh0rt!', name: 'Ada' }, '10 to 128 characters'],
    ['password', { email: 'x1@example.com', password: 'password123', name: 'Ada' }, 'commonly used'],
    ['password', { email: 'x1@example.com', password: ' '.repeat(16), name: 'Ada' }, 'only spaces'],
    ['password', { email: 'kestrel@example.com', password: 'Kestrel-2-Harbor', name: 'Ada' }, 'before the @'],
    ['password', { email: 'x1@example.com', password: 'kestrelharbor', name: 'Ada' }, 'at least 3 of'],
    ['name', { email: 'x1@example.com', password: PASSWORD, name: '   ' }, 'name is required'],
    ['name', { email: 'x1@example.com', password: PASSWORD, name: '😀'.repeat(101) }, 'at most 100'],
    ['name', { email: 'x1@example.com', password: PASSWORD, name: 'Ada\nLovelace' }, 'control characters'],
  ])('refuses a bad %s as INVALID_ARGUMENT naming the field (%#)', async (field, request, says) => {
    const error = await grpcErrorOf(users.register(request));
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, field });
    expect(error.details).toContain(says);
    if (request.password.trim()) expect(error.details).not.toContain(request.password);
  });

  it('refuses a taken email, in any letter case, as ALREADY_EXISTS on email', async () => {
    const email = freshEmail();
    await users.register({ email, password: PASSWORD, name: 'First' });
    const error = await grpcErrorOf(users.register({ email: email.toUpperCase(), password: PASSWORD, name: 'Second' }));
    expect(error).toEqual({
      code: status.ALREADY_EXISTS,
      details: 'an account with this email already exists',
      field: 'email',
    });
  });

  it('lets exactly one of two concurrent registrations of the same email succeed', async () => {
    const email = freshEmail();
    const results = await Promise.allSettled([
      users.register({ email, password: PASSWORD, name: 'One' }),
      users.register({ email, password: 'Other-Pass-42', name: 'Two' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(await grpcErrorOf(Promise.reject(rejected?.reason))).toMatchObject({
      code: status.ALREADY_EXISTS,
      field: 'email',
    });
  });

  it('answers a wrong password and an unknown email with the same status and message', async () => {
    const email = freshEmail();
    await users.register({ email, password: PASSWORD, name: 'Ada' });
    const wrongPassword = await grpcErrorOf(users.authenticate({ email, password: 'Wrong-Pass-42' }));
    const unknownEmail = await grpcErrorOf(users.authenticate({ email: 'nobody@example.com', password: PASSWORD }));
    const malformed = await grpcErrorOf(users.authenticate({ email: '', password: '' }));
    const expected = { code: status.UNAUTHENTICATED, details: 'invalid email or password' };
    expect(wrongPassword).toEqual(expected);
    expect(unknownEmail).toEqual(expected);
    expect(malformed).toEqual(expected);
  });

  it('answers a malformed id as INVALID_ARGUMENT on id and an unknown one as NOT_FOUND', async () => {
    for (const id of ['', '42', "1' OR '1'='1", 'a'.repeat(10_000)]) {
      expect(await grpcErrorOf(users.getUser({ id }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'id' });
    }
    expect(await grpcErrorOf(users.getUser({ id: '9b2f4c1e-3d5a-4f6b-8c7d-0e1f2a3b4c5d' }))).toMatchObject({
      code: status.NOT_FOUND,
      details: 'user not found',
    });
  });

  it('honours the deadline callUnary sets: an already expired one fails as DEADLINE_EXCEEDED', async () => {
    const email = freshEmail();
    const error = await grpcErrorOf(users.register({ email, password: PASSWORD, name: 'Late' }, { timeoutMs: 0 }));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('reports SERVING on grpc.health.v1 while its database answers, overall and for UserService', async () => {
    const health = healthClient(service.ports.grpc ?? 0);
    try {
      expect(await health.status('')).toBe('SERVING');
      expect(await health.status('shopfront.user.v1.UserService')).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('serves /livez, /readyz with the postgres check, and /metrics with the RPCs it handled', async () => {
    const base = `http://127.0.0.1:${service.ports.metrics}`;
    const live = await fetch(`${base}/livez`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: { ok: true } } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /grpc_server_handled_total\{[^}]*grpc_service="shopfront\.user\.v1\.UserService",grpc_method="Register",grpc_code="ALREADY_EXISTS"[^}]*\} [1-9]/,
    );
  });
});
