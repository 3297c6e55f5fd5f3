import { TokenIssuer } from '../../lib/runtime/auth';
import { Bulkhead } from '../../lib/runtime/bulkhead';
import { runService, type ServiceDefinition, type StartOptions, startService } from '../../lib/runtime/host';
import { createProbeListener } from '../../lib/runtime/http-server';
import { ScryptPasswordHasher } from './adapters/scrypt-password-hasher';
import { ScryptThreads } from './adapters/scrypt-threads';
import { DATABASE_SCHEMA, loadUserServiceConfig, SERVICE_NAME, type UserServiceConfig } from './config';
import { UserAccounts } from './domain/accounts';
import { MIGRATIONS_DIR, PostgresUserStore } from './store/user-store';
import { USER_PROTO, userServiceBinding } from './transport/grpc';

const BOOTSTRAP_ADMIN_NAME = 'Administrator';

/** user-service: accounts, password sign-in and access tokens over gRPC; /livez /readyz /metrics on METRICS_PORT. */
export const userService: ServiceDefinition<UserServiceConfig> = {
  name: SERVICE_NAME,
  config: loadUserServiceConfig,
  database: { schema: DATABASE_SCHEMA, migrations: MIGRATIONS_DIR },
  build: async ({ config, db, logger, metrics, health, serveGrpc, serveHttp, onStop }) => {
    // Password hashing on threads of its own at a lower priority: a burst of sign-ups takes the CPU the shop leaves.
    const threads = new ScryptThreads(config.PASSWORD_HASH_CONCURRENCY, (reason) =>
      logger.warn({ reason }, 'password hashing runs at normal priority: its thread priority could not be lowered'),
    );
    onStop('stop password hashing threads', () => threads.close());
    const accounts = new UserAccounts({
      users: new PostgresUserStore(db),
      hasher: await ScryptPasswordHasher.create({
        threads,
        memoryKib: config.PASSWORD_HASH_MEMORY_KIB,
        bulkhead: new Bulkhead({
          name: 'password hashing',
          concurrency: config.PASSWORD_HASH_CONCURRENCY,
          maxQueue: config.PASSWORD_HASH_QUEUE,
          queueTimeoutMs: config.PASSWORD_HASH_QUEUE_TIMEOUT_MS,
        }),
      }),
      tokens: new TokenIssuer({ secret: config.JWT_SECRET, ttlSeconds: config.TOKEN_TTL_SECONDS }),
    });
    if (config.bootstrapAdmin) {
      const { created, user } = await accounts.ensureAdmin({ ...config.bootstrapAdmin, name: BOOTSTRAP_ADMIN_NAME });
      logger.info(
        { userId: user.id, role: user.role },
        created ? 'bootstrap admin created' : 'bootstrap admin already exists; left unchanged',
      );
      if (user.role !== 'admin') logger.warn({ userId: user.id }, 'the bootstrap admin email belongs to a non-admin');
    }
    await serveGrpc('grpc', config.GRPC_PORT, {
      services: [userServiceBinding(accounts)],
      protoFiles: USER_PROTO.files,
      protoIncludeDirs: USER_PROTO.includeDirs,
    });
    await serveHttp('metrics', config.METRICS_PORT, createProbeListener({ logger, metrics, health }));
    return {};
  },
};

export const start = (options: StartOptions) => startService(userService, options);

if (require.main === module) runService(userService);
