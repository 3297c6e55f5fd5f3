import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { type BootstrapDeps, createOnEvent, physicalResourceId } from './index';
import { QUERY_TAGS } from './inspect';
import type { ConnectionTarget, LogFields, Row, SecretReader, SqlSession } from './ports';

// ---------------------------------------------------------------------------------------------------------------
// Fakes
// ---------------------------------------------------------------------------------------------------------------

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
const MASTER_ARN = ARN('platform/master');
const ORDERS_ARN = ARN('orders');
const PAYMENTS_ARN = ARN('payments');

const MASTER_PASSWORD = 'M4ster-Pa55word-never-logged';
const ORDERS_PASSWORD = 'Orders-Pa55word-never-logged';
const PAYMENTS_PASSWORD = 'Payments-Pa55word-never-logged';
/** Deterministic stand-in for the SCRAM verifier so assertions can name it. */
const fakeVerifier = (password: string) =>
  `SCRAM-SHA-256$4096:salt$stored-${password.length}:server-${password.length}`;
const ALL_SECRET_MATERIAL = [
  MASTER_PASSWORD,
  ORDERS_PASSWORD,
  PAYMENTS_PASSWORD,
  fakeVerifier(ORDERS_PASSWORD),
  fakeVerifier(PAYMENTS_PASSWORD),
];

class FakeSecrets implements SecretReader {
  readonly reads: string[] = [];
  constructor(readonly values: Record<string, unknown>) {}
  async getSecretString(arn: string): Promise<string> {
    this.reads.push(arn);
    const value = this.values[arn];
    if (value === undefined) throw new Error(`ResourceNotFoundException: ${arn}`);
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function defaultSecrets(): FakeSecrets {
  return new FakeSecrets({
    [MASTER_ARN]: {
      engine: 'postgres',
      host: 'db.example.eu-west-1.rds.amazonaws.com',
      port: 5432,
      username: 'master',
      password: MASTER_PASSWORD,
      dbname: 'postgres',
    },
    [ORDERS_ARN]: { username: 'order_service', password: ORDERS_PASSWORD },
    [PAYMENTS_ARN]: { username: 'payment_service', password: PAYMENTS_PASSWORD },
  });
}

interface FakeRole {
  canLogin: boolean;
  password: string | null;
  members: Set<string>;
}
interface FakeDatabase {
  owner: string;
  publicPrivileges: Set<string>;
  connect: Set<string>;
  publicSchemaCreate: boolean;
}

/**
 * An in-memory stand-in for PostgreSQL that answers the handler's catalog queries and applies the handful of
 * statements the plan emits, with RDS-like rules: the master user is not a superuser, so CREATE DATABASE ... OWNER
 * needs membership in the owner role.
 */
class FakeCluster {
  readonly roles = new Map<string, FakeRole>([['master', { canLogin: true, password: 'x', members: new Set() }]]);
  readonly databases = new Map<string, FakeDatabase>([
    [
      'postgres',
      { owner: 'master', publicPrivileges: new Set(['CONNECT']), connect: new Set(), publicSchemaCreate: false },
    ],
  ]);
  readonly executed: { database: string; sql: string }[] = [];
  readonly connections: ConnectionTarget[] = [];
  openSessions = 0;
  superuser = false;
  /** PostgreSQL < 15 behaviour: new databases let PUBLIC create in schema public. */
  legacyPublicSchema = false;
  failOn: RegExp | undefined;

  readonly connect = async (target: ConnectionTarget): Promise<SqlSession> => {
    this.connections.push(target);
    if (!this.databases.has(target.database)) throw new Error(`database "${target.database}" does not exist`);
    this.openSessions += 1;
    return {
      query: async (sql, params) => this.query(target.database, sql, params ?? []),
      close: async () => {
        this.openSessions -= 1;
      },
    };
  };

  private usable(role: string): boolean {
    return this.superuser || (this.roles.get(role)?.members.has('master') ?? false);
  }

  private query(database: string, sql: string, params: readonly unknown[]): Row[] {
    const names = (params[0] ?? []) as string[];
    if (sql.startsWith(QUERY_TAGS.whoami)) return [{ current_user: 'master', is_superuser: this.superuser }];
    if (sql.startsWith(QUERY_TAGS.roles)) {
      return names
        .filter((n) => this.roles.has(n))
        .map((n) => ({ name: n, can_login: this.roles.get(n)?.canLogin, usable: this.usable(n) }));
    }
    if (sql.startsWith(QUERY_TAGS.databases)) {
      return names.flatMap((n) => {
        const db = this.databases.get(n);
        return db
          ? [
              {
                name: n,
                owner: db.owner,
                public_privileges: [...db.publicPrivileges].sort(),
                connect_grantees: [...db.connect].sort(),
              },
            ]
          : [];
      });
    }
    if (sql.startsWith(QUERY_TAGS.schema)) {
      return [{ public_can_create: this.databases.get(database)?.publicSchemaCreate ?? false }];
    }
    if (/^SELECT pg_advisory_(un)?lock\(\$1\)$/.test(sql)) return [];

    this.executed.push({ database, sql });
    if (this.failOn?.test(sql)) throw Object.assign(new Error('permission denied (fake)'), { code: '42501' });
    for (const [pattern, apply] of this.statements) {
      const match = pattern.exec(sql);
      if (match) {
        apply(match.slice(1) as string[], database);
        return [];
      }
    }
    throw new Error(`fake cluster: unexpected SQL ${sql}`);
  }

  /** The statements the plan can emit, and their effect on the fake catalog. */
  private readonly statements: [RegExp, (args: string[], database: string) => void][] = [
    [
      /^CREATE ROLE "(\w+)" WITH LOGIN PASSWORD '([^']*)'$/,
      ([role = '', password = '']) => {
        if (this.roles.has(role)) throw new Error('role already exists');
        this.roles.set(role, { canLogin: true, password, members: new Set() });
      },
    ],
    [
      /^ALTER ROLE "(\w+)" WITH PASSWORD '([^']*)'$/,
      ([role, password = '']) => {
        this.role(role).password = password;
      },
    ],
    [
      /^ALTER ROLE "(\w+)" WITH LOGIN$/,
      ([role]) => {
        this.role(role).canLogin = true;
      },
    ],
    [/^GRANT "(\w+)" TO CURRENT_USER$/, ([role]) => this.role(role).members.add('master')],
    [
      /^CREATE DATABASE "(\w+)" WITH OWNER "(\w+)"$/,
      ([name = '', owner = '']) => {
        if (this.databases.has(name)) throw new Error('database already exists');
        if (!this.usable(owner)) throw new Error(`must be able to SET ROLE "${owner}"`);
        this.databases.set(name, {
          owner,
          publicPrivileges: new Set(['CONNECT', 'TEMPORARY']),
          connect: new Set([owner]),
          publicSchemaCreate: this.legacyPublicSchema,
        });
      },
    ],
    [
      /^ALTER DATABASE "(\w+)" OWNER TO "(\w+)"$/,
      ([name, owner = '']) => {
        const db = this.db(name);
        db.connect.delete(db.owner);
        db.owner = owner;
        db.connect.add(owner);
      },
    ],
    [/^REVOKE ALL ON DATABASE "(\w+)" FROM PUBLIC$/, ([name]) => this.db(name).publicPrivileges.clear()],
    [/^GRANT CONNECT ON DATABASE "(\w+)" TO "(\w+)"$/, ([name, role = '']) => this.db(name).connect.add(role)],
    [
      /^REVOKE CREATE ON SCHEMA public FROM PUBLIC$/,
      (_args, database) => {
        this.db(database).publicSchemaCreate = false;
      },
    ],
  ];

  private role(name: string | undefined): FakeRole {
    const role = this.roles.get(name ?? '');
    if (!role) throw new Error(`role "${name}" does not exist`);
    return role;
  }

  private db(name: string | undefined): FakeDatabase {
    const db = this.databases.get(name ?? '');
    if (!db) throw new Error(`database "${name}" does not exist`);
    return db;
  }
}

class RecordingLogger {
  readonly calls: { level: string; message: string; fields?: LogFields }[] = [];
  info(message: string, fields?: LogFields) {
    this.calls.push({ level: 'info', message, ...(fields ? { fields } : {}) });
  }
  warn(message: string, fields?: LogFields) {
    this.calls.push({ level: 'warn', message, ...(fields ? { fields } : {}) });
  }
  text(): string {
    return JSON.stringify(this.calls);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------------

const DATABASES = [
  { name: 'orders', owner: 'order_service', secretArn: ORDERS_ARN },
  { name: 'payments', owner: 'payment_service', secretArn: PAYMENTS_ARN },
];
const base = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/platform/1',
  RequestId: 'req-1',
  LogicalResourceId: 'DbBootstrap',
  ResourceType: 'Custom::DbBootstrap',
};
const properties = (databases: unknown = DATABASES) => ({
  ServiceToken: base.ServiceToken,
  MasterSecretArn: MASTER_ARN,
  Databases: databases,
});

const createEvent = (databases?: unknown): CloudFormationCustomResourceCreateEvent => ({
  ...base,
  RequestType: 'Create',
  ResourceProperties: properties(databases),
});
const updateEvent = (databases?: unknown, oldDatabases?: unknown): CloudFormationCustomResourceUpdateEvent => ({
  ...base,
  RequestType: 'Update',
  PhysicalResourceId: physicalResourceId(MASTER_ARN),
  ResourceProperties: properties(databases),
  OldResourceProperties: properties(oldDatabases),
});
const deleteEvent = (): CloudFormationCustomResourceDeleteEvent => ({
  ...base,
  RequestType: 'Delete',
  PhysicalResourceId: physicalResourceId(MASTER_ARN),
  ResourceProperties: properties(),
});

function setup(overrides: Partial<BootstrapDeps> = {}) {
  const cluster = new FakeCluster();
  const secrets = defaultSecrets();
  const logger = new RecordingLogger();
  const onEvent = createOnEvent({
    secrets,
    connect: cluster.connect,
    logger,
    passwordVerifier: fakeVerifier,
    ...overrides,
  });
  return { cluster, secrets, logger, onEvent };
}

const consoleSpies: jest.SpyInstance[] = [];
beforeEach(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    consoleSpies.push(jest.spyOn(console, method).mockImplementation(() => undefined));
  }
});
afterEach(() => {
  // Nothing in this handler may print secret material anywhere, not only through the logger port.
  const printed = JSON.stringify(consoleSpies.map((spy) => spy.mock.calls));
  for (const secret of ALL_SECRET_MATERIAL) expect(printed).not.toContain(secret);
  for (const spy of consoleSpies.splice(0)) spy.mockRestore();
});

function expectNoSecretsIn(logger: RecordingLogger) {
  const text = logger.text();
  for (const secret of ALL_SECRET_MATERIAL) expect(text).not.toContain(secret);
  expect(text).not.toContain('SCRAM-SHA-256$');
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

describe('onEvent', () => {
  it('Create on an empty instance executes the expected statements, each on the right connection', async () => {
    const { cluster, logger, onEvent } = setup();
    const response = await onEvent(createEvent());

    expect(response).toEqual({
      PhysicalResourceId: `db-bootstrap:${MASTER_ARN}`,
      Data: { Databases: 'orders,payments', Owners: 'order_service,payment_service' },
    });
    expect(cluster.executed).toEqual([
      {
        database: 'postgres',
        sql: `CREATE ROLE "order_service" WITH LOGIN PASSWORD '${fakeVerifier(ORDERS_PASSWORD)}'`,
      },
      { database: 'postgres', sql: 'GRANT "order_service" TO CURRENT_USER' },
      { database: 'postgres', sql: 'CREATE DATABASE "orders" WITH OWNER "order_service"' },
      { database: 'postgres', sql: 'REVOKE ALL ON DATABASE "orders" FROM PUBLIC' },
      { database: 'postgres', sql: 'GRANT CONNECT ON DATABASE "orders" TO "order_service"' },
      {
        database: 'postgres',
        sql: `CREATE ROLE "payment_service" WITH LOGIN PASSWORD '${fakeVerifier(PAYMENTS_PASSWORD)}'`,
      },
      { database: 'postgres', sql: 'GRANT "payment_service" TO CURRENT_USER' },
      { database: 'postgres', sql: 'CREATE DATABASE "payments" WITH OWNER "payment_service"' },
      { database: 'postgres', sql: 'REVOKE ALL ON DATABASE "payments" FROM PUBLIC' },
      { database: 'postgres', sql: 'GRANT CONNECT ON DATABASE "payments" TO "payment_service"' },
    ]);
    // connected as the master user: maintenance database first, then each service database
    expect(cluster.connections.map((c) => [c.user, c.database, c.host, c.port])).toEqual([
      ['master', 'postgres', 'db.example.eu-west-1.rds.amazonaws.com', 5432],
      ['master', 'orders', 'db.example.eu-west-1.rds.amazonaws.com', 5432],
      ['master', 'payments', 'db.example.eu-west-1.rds.amazonaws.com', 5432],
    ]);
    expect(cluster.openSessions).toBe(0);
    expectNoSecretsIn(logger);
    // names are logged
    expect(logger.text()).toContain('create database orders owned by order_service');
  });

  it('cleartext passwords never reach SQL: the default verifier is SCRAM', async () => {
    const { cluster, onEvent } = setup({ passwordVerifier: undefined });
    await onEvent(createEvent());
    const sql = cluster.executed.map((e) => e.sql).join('\n');
    for (const secret of [MASTER_PASSWORD, ORDERS_PASSWORD, PAYMENTS_PASSWORD]) expect(sql).not.toContain(secret);
    expect(sql).toMatch(/CREATE ROLE "order_service" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:[^']+'/);
  });

  it('is idempotent: a second run only re-sets the passwords and leaves the state identical', async () => {
    const { cluster, logger, onEvent } = setup();
    await onEvent(createEvent());
    const snapshot = JSON.stringify([...cluster.databases], (_k, v) => (v instanceof Set ? [...v].sort() : v));
    cluster.executed.length = 0;

    await onEvent(updateEvent());
    expect(cluster.executed).toEqual([
      { database: 'postgres', sql: `ALTER ROLE "order_service" WITH PASSWORD '${fakeVerifier(ORDERS_PASSWORD)}'` },
      { database: 'postgres', sql: `ALTER ROLE "payment_service" WITH PASSWORD '${fakeVerifier(PAYMENTS_PASSWORD)}'` },
    ]);
    expect(JSON.stringify([...cluster.databases], (_k, v) => (v instanceof Set ? [...v].sort() : v))).toBe(snapshot);
    expectNoSecretsIn(logger);
  });

  it('revokes CREATE on schema public inside each database on PostgreSQL < 15, once', async () => {
    const { cluster, onEvent } = setup();
    cluster.legacyPublicSchema = true;
    await onEvent(createEvent());
    expect(cluster.executed.filter((e) => e.database !== 'postgres')).toEqual([
      { database: 'orders', sql: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC' },
      { database: 'payments', sql: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC' },
    ]);
    cluster.executed.length = 0;
    await onEvent(updateEvent());
    expect(cluster.executed.filter((e) => e.database !== 'postgres')).toEqual([]);
  });

  it('leaves the owner password to multi-user rotation when the secret holds the _clone user', async () => {
    const { cluster, secrets, logger, onEvent } = setup();
    await onEvent(createEvent());
    cluster.executed.length = 0;
    secrets.values[ORDERS_ARN] = { username: 'order_service_clone', password: 'Clone-Pa55word-never-logged' };

    await onEvent(updateEvent());
    expect(cluster.executed).toEqual([
      { database: 'postgres', sql: `ALTER ROLE "payment_service" WITH PASSWORD '${fakeVerifier(PAYMENTS_PASSWORD)}'` },
    ]);
    expect(cluster.roles.get('order_service')?.password).toBe(fakeVerifier(ORDERS_PASSWORD));
    expect(logger.text()).not.toContain('Clone-Pa55word-never-logged');
  });

  it('rejects a service secret whose username is neither the owner nor its clone', async () => {
    const { cluster, secrets, onEvent } = setup();
    secrets.values[PAYMENTS_ARN] = { username: 'someone_else', password: PAYMENTS_PASSWORD };
    await expect(onEvent(createEvent())).rejects.toThrow(
      `Databases[1].secretArn: secret ${PAYMENTS_ARN} has username "someone_else", expected the owner "payment_service"`,
    );
    expect(cluster.connections).toEqual([]);
  });

  it('Delete does nothing and returns the same PhysicalResourceId', async () => {
    const { cluster, secrets, onEvent } = setup();
    const response = await onEvent(deleteEvent());
    expect(response).toEqual({ PhysicalResourceId: `db-bootstrap:${MASTER_ARN}` });
    expect(secrets.reads).toEqual([]);
    expect(cluster.connections).toEqual([]);
    expect(cluster.executed).toEqual([]);
  });

  it('Update that drops an entry retains its database and role and says so', async () => {
    const { cluster, logger, onEvent } = setup();
    await onEvent(createEvent());
    cluster.executed.length = 0;
    await onEvent(updateEvent(DATABASES.slice(0, 1), DATABASES));
    expect(cluster.databases.has('payments')).toBe(true);
    expect(cluster.executed.some((e) => /DROP/i.test(e.sql))).toBe(false);
    expect(logger.calls).toContainEqual({
      level: 'warn',
      message: 'no longer listed; database and role are retained, not dropped',
      fields: { databases: ['payments'], owners: ['payment_service'] },
    });
  });

  it('PhysicalResourceId is stable across Create and Update', async () => {
    const { onEvent } = setup();
    const created = await onEvent(createEvent());
    const updated = await onEvent(updateEvent());
    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
  });

  it('validation errors name the field before touching secrets or the database', async () => {
    const { cluster, secrets, onEvent } = setup();
    await expect(onEvent(createEvent([{ ...DATABASES[0], owner: 'Order-Service' }]))).rejects.toThrow(
      'Databases[0].owner: must match',
    );
    expect(secrets.reads).toEqual([]);
    expect(cluster.connections).toEqual([]);
  });

  it('a failing statement fails the request with its summary and SQLSTATE, not its SQL', async () => {
    const { cluster, logger, onEvent } = setup();
    await onEvent(createEvent());
    cluster.failOn = /^ALTER ROLE "order_service" WITH PASSWORD/;
    const failure = onEvent(updateEvent());
    await expect(failure).rejects.toThrow(
      'set password of role order_service from its secret: failed [42501]: permission denied (fake)',
    );
    await failure.catch((error: Error) => {
      for (const secret of ALL_SECRET_MATERIAL) expect(error.message).not.toContain(secret);
    });
    expect(cluster.openSessions).toBe(0);
    expectNoSecretsIn(logger);
  });

  it('fails when the result does not converge (e.g. a revoke silently had no effect)', async () => {
    const cluster = new FakeCluster();
    // simulate a REVOKE that PostgreSQL accepted with only a WARNING ("no privileges could be revoked")
    const connect = async (target: ConnectionTarget): Promise<SqlSession> => {
      const session = await cluster.connect(target);
      return {
        query: async (sql, params) => (sql.startsWith('REVOKE ALL ON DATABASE') ? [] : session.query(sql, params)),
        close: session.close,
      };
    };
    const onEvent = createOnEvent({
      secrets: defaultSecrets(),
      connect,
      logger: new RecordingLogger(),
      passwordVerifier: fakeVerifier,
    });
    await expect(onEvent(createEvent())).rejects.toThrow(
      /did not converge.*revoke all privileges on database orders from PUBLIC/,
    );
    expect([...(cluster.databases.get('orders')?.publicPrivileges ?? [])]).toEqual(['CONNECT', 'TEMPORARY']);
    expect(cluster.openSessions).toBe(0);
  });

  it('secret payload problems are reported without the payload', async () => {
    const { secrets, onEvent } = setup();
    secrets.values[MASTER_ARN] = `not json ${MASTER_PASSWORD}`;
    const failure = onEvent(createEvent());
    await expect(failure).rejects.toThrow(`secret ${MASTER_ARN}: SecretString is not valid JSON`);
    await failure.catch((error: Error) => expect(error.message).not.toContain(MASTER_PASSWORD));

    secrets.values[MASTER_ARN] = { host: 'h', username: 'master' };
    await expect(onEvent(createEvent())).rejects.toThrow(
      `secret ${MASTER_ARN}: field "password" must be a non-empty string`,
    );
  });

  it('a password outside printable ASCII is refused without echoing it', async () => {
    const { secrets, onEvent } = setup({ passwordVerifier: undefined });
    secrets.values[ORDERS_ARN] = { username: 'order_service', password: 'naïve-secret' };
    const failure = onEvent(createEvent());
    await expect(failure).rejects.toThrow(
      `Databases[0].secretArn: secret ${ORDERS_ARN} field "password": password must consist of printable ASCII`,
    );
    await failure.catch((error: Error) => expect(error.message).not.toContain('naïve-secret'));
  });

  it('accepts any CloudFormation event shape the Provider framework passes', async () => {
    const { onEvent } = setup();
    const event: CloudFormationCustomResourceEvent = createEvent();
    await expect(onEvent(event)).resolves.toHaveProperty('PhysicalResourceId');
  });
});
