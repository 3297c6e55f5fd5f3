import { ConfigError } from '../../lib/runtime/config';
import { loadUserServiceConfig } from './config';

const SECRET = 'a-jwt-signing-secret-of-at-least-32-chars';

function configError(variables: Record<string, string | undefined>): ConfigError {
  try {
    loadUserServiceConfig(variables);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadUserServiceConfig', () => {
  it('defaults ports from the catalog and everything else as documented', () => {
    expect(loadUserServiceConfig({ JWT_SECRET: SECRET })).toEqual({
      GRPC_PORT: 50051,
      METRICS_PORT: 9151,
      DATABASE_URL: undefined,
      DATA_DIR: '.data',
      JWT_SECRET: SECRET,
      TOKEN_TTL_SECONDS: 900,
      LOG_LEVEL: 'info',
      BOOTSTRAP_ADMIN_EMAIL: undefined,
      BOOTSTRAP_ADMIN_PASSWORD: undefined,
      PASSWORD_HASH_MEMORY_KIB: 16384,
      PASSWORD_HASH_CONCURRENCY: 2,
      PASSWORD_HASH_QUEUE: 32,
      PASSWORD_HASH_QUEUE_TIMEOUT_MS: 2000,
    });
  });

  it.each([
    ['PASSWORD_HASH_CONCURRENCY', '0', 'must be a whole number from 1 to 64'],
    ['PASSWORD_HASH_CONCURRENCY', 'two', 'must be a whole number from 1 to 64'],
    ['PASSWORD_HASH_QUEUE', '-1', 'must be a whole number from 0 to 10000'],
    ['PASSWORD_HASH_QUEUE_TIMEOUT_MS', '0', 'must be a whole number from 1 to 60000'],
  ])('refuses %s=%s, naming the variable and the range', (variable, value, message) => {
    const error = configError({ JWT_SECRET: SECRET, [variable]: value });
    expect(error.problems).toEqual([{ variable, message: expect.stringContaining(message) }]);
  });

  it('reads every variable, and 0 as "any free port"', () => {
    const config = loadUserServiceConfig({
      JWT_SECRET: SECRET,
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      DATABASE_URL: 'postgres://u:p@db:5432/users',
      DATA_DIR: '/var/lib/user-service',
      TOKEN_TTL_SECONDS: '300',
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_MEMORY_KIB: '4096',
      BOOTSTRAP_ADMIN_EMAIL: ' Root@Example.com ',
      BOOTSTRAP_ADMIN_PASSWORD: 'Admin-Pass-2025',
    });
    expect(config).toMatchObject({
      GRPC_PORT: 0,
      METRICS_PORT: 0,
      DATABASE_URL: 'postgres://u:p@db:5432/users',
      DATA_DIR: '/var/lib/user-service',
      TOKEN_TTL_SECONDS: 300,
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_MEMORY_KIB: 4096,
      bootstrapAdmin: { email: 'root@example.com', password: 'Admin-Pass-2025' },
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('names JWT_SECRET when it is %s', (_what, value) => {
    const error = configError({ JWT_SECRET: value });
    expect(error.problems.map((p) => p.variable)).toEqual(['JWT_SECRET']);
    expect(error.message).toContain('JWT_SECRET');
  });

  it('names JWT_SECRET when it is shorter than 32 characters, without printing it', () => {
    const short = 'short-secret-31-characters-long';
    expect(short).toHaveLength(31);
    const error = configError({ JWT_SECRET: short });
    expect(error.problems).toEqual([{ variable: 'JWT_SECRET', message: expect.stringContaining('at least 32') }]);
    expect(error.message).not.toContain(short);
    expect(error.message).toContain('(hidden)');
  });

  it.each([
    ['GRPC_PORT', '70000'],
    ['GRPC_PORT', 'http'],
    ['METRICS_PORT', '-1'],
    ['TOKEN_TTL_SECONDS', '0'],
    ['TOKEN_TTL_SECONDS', '86401'],
    ['TOKEN_TTL_SECONDS', '1.5'],
    ['PASSWORD_HASH_MEMORY_KIB', '4095'],
    ['PASSWORD_HASH_MEMORY_KIB', 'lots'],
    ['PASSWORD_HASH_MEMORY_KIB', '6000'],
    ['LOG_LEVEL', 'verbose'],
    ['DATABASE_URL', 'mysql://u:p@db/users'],
  ])('names %s=%s and quotes the bad value', (variable, value) => {
    const error = configError({ JWT_SECRET: SECRET, [variable]: value });
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it.each([
    ['BOOTSTRAP_ADMIN_PASSWORD', { BOOTSTRAP_ADMIN_EMAIL: 'root@example.com' }],
    ['BOOTSTRAP_ADMIN_EMAIL', { BOOTSTRAP_ADMIN_PASSWORD: 'Admin-Pass-2025' }],
  ])('asks for %s when only the other bootstrap variable is set', (missing, variables) => {
    const error = configError({ JWT_SECRET: SECRET, ...variables });
    expect(error.problems).toEqual([{ variable: missing, message: expect.stringContaining('set both or neither') }]);
    expect(error.message).not.toContain('Admin-Pass-2025');
  });

  it('refuses a bootstrap email that is not an address', () => {
    const error = configError({
      JWT_SECRET: SECRET,
      BOOTSTRAP_ADMIN_EMAIL: 'root',
      BOOTSTRAP_ADMIN_PASSWORD: 'Admin-Pass-2025',
    });
    expect(error.problems).toEqual([
      { variable: 'BOOTSTRAP_ADMIN_EMAIL', message: expect.stringContaining('name@example.com') },
    ]);
  });

  it.each(['short', 'password123', 'root.admin-2025!'])(
    'refuses a bootstrap password the policy refuses, without printing it (%#)',
    (password) => {
      const error = configError({
        JWT_SECRET: SECRET,
        BOOTSTRAP_ADMIN_EMAIL: 'root.admin@example.com',
        BOOTSTRAP_ADMIN_PASSWORD: password,
      });
      expect(error.problems).toEqual([
        { variable: 'BOOTSTRAP_ADMIN_PASSWORD', message: expect.stringMatching(/^password /) },
      ]);
      expect(error.message).not.toContain(password);
    },
  );
});
