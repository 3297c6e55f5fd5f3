import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { StartedService } from '../../lib/runtime/host';
import { start } from './main';
import { grpcErrorOf, healthClient, testEnv, userServiceClient } from './test-support/clients';

const url = process.env.TEST_DATABASE_URL;

// `npm run test:integration` starts a throwaway PostgreSQL and sets TEST_DATABASE_URL.
const describeWithPostgres = url ? describe : describe.skip;
if (!url)
  console.warn('user-service on PostgreSQL skipped: TEST_DATABASE_URL is not set (run npm run test:integration)');

describeWithPostgres('user-service on PostgreSQL (DATABASE_URL)', () => {
  let service: StartedService;
  let users: ReturnType<typeof userServiceClient>;

  beforeAll(async () => {
    service = await start({ env: testEnv({ DATABASE_URL: url }), host: '127.0.0.1' });
    users = userServiceClient(service.ports.grpc ?? 0);
  });
  afterAll(async () => {
    users?.close();
    await service?.stop();
  });

  it('reports SERVING when PostgreSQL answers', async () => {
    const health = healthClient(service.ports.grpc ?? 0);
    try {
      expect(await health.status('')).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('registers, signs in and finds a user', async () => {
    const email = `pg-${randomUUID()}@example.com`;
    const { user } = await users.register({ email, password: 'Kestrel2Harbor', name: 'Ada' });
    const session = await users.authenticate({ email, password: 'Kestrel2Harbor' });
    expect(session.user).toEqual(user);
    expect(await users.getUser({ id: user?.id ?? '' })).toEqual({ user });
  });

  it('lets exactly one of concurrent registrations of the same email win (unique index, SQLSTATE 23505)', async () => {
    const email = `race-${randomUUID()}@example.com`;
    const results = await Promise.allSettled(
      ['One', 'Two', 'Three', 'Four'].map((name) => users.register({ email, password: 'Kestrel2Harbor', name })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const lost of results.filter((r) => r.status === 'rejected')) {
      expect(await grpcErrorOf(Promise.reject(lost.reason))).toMatchObject({
        code: status.ALREADY_EXISTS,
        field: 'email',
      });
    }
  });
});
