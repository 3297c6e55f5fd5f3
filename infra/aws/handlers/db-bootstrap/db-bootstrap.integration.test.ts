/**
 * Runs the real `pg` path of the db-bootstrap handler against a real PostgreSQL.
 *
 * Needs TEST_DATABASE_URL = a superuser URL, e.g. postgres://postgres:secret@127.0.0.1:5432/postgres, on a
 * server whose pg_hba.conf uses password authentication (scram-sha-256 / md5) for that host, as Debian's
 * default does for TCP connections: the test proves that a wrong password is refused, so `trust` would fail it.
 * Secrets Manager is replaced by an in-memory reader; TLS is off (`ssl: false`) because a throwaway cluster has
 * no server certificate. Everything the test creates carries a random suffix and is dropped afterwards.
 *
 * Run: TEST_DATABASE_URL=... npx jest --testPathIgnorePatterns=/node_modules/ \
 *        --testMatch='**\/*.integration.test.ts' infra/aws/handlers
 */
import { randomBytes } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client, type ClientConfig } from 'pg';
import { createPgConnector } from './clients';
import { createOnEvent, physicalResourceId } from './index';
import type { Connector, LogFields, SecretReader } from './ports';

const url = process.env.TEST_DATABASE_URL;
// Skipped only when the variable is absent; a set but unreachable URL fails the suite.
const describeWithDb = url ? describe : describe.skip;
const SKIP_REASON =
  'TEST_DATABASE_URL is not set (a superuser URL, e.g. postgres://postgres:pw@127.0.0.1:5432/postgres)';
if (!url) {
  // Jest does not print the titles of a fully skipped file; say why once.
  console.warn(`db-bootstrap integration tests SKIPPED: ${SKIP_REASON}`);
}
const title = url
  ? 'db-bootstrap against a real PostgreSQL'
  : `db-bootstrap against a real PostgreSQL — SKIPPED: ${SKIP_REASON}`;

function serverFromUrl(raw: string) {
  const parsed = new URL(raw);
  return {
    host: decodeURIComponent(parsed.hostname) || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
  };
}

describeWithDb(title, () => {
  const server = serverFromUrl(url ?? 'postgres://unused@localhost/unused');
  const suffix = randomBytes(4).toString('hex');
  const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-${suffix}`;
  const MASTER_ARN = ARN('master');
  const ORDERS_ARN = ARN('orders');
  const PAYMENTS_ARN = ARN('payments');

  const orders = { name: `it_orders_${suffix}`, owner: `it_order_svc_${suffix}`, secretArn: ORDERS_ARN };
  const payments = { name: `it_payments_${suffix}`, owner: `it_payment_svc_${suffix}`, secretArn: PAYMENTS_ARN };
  // Punctuation that would break naive SQL quoting, to show the cleartext never needs quoting at all.
  const password = () => `p'w"\\$${randomBytes(18).toString('base64url')}`;
  const passwords: Record<string, string> = { [orders.owner]: password(), [payments.owner]: password() };
  const clonePassword = password();

  const secretValues: Record<string, unknown> = {
    [MASTER_ARN]: {
      engine: 'postgres',
      host: server.host,
      port: server.port,
      username: server.user,
      password: server.password,
      dbname: server.database,
    },
    [ORDERS_ARN]: { username: orders.owner, password: passwords[orders.owner] },
    [PAYMENTS_ARN]: { username: payments.owner, password: passwords[payments.owner] },
  };
  const secrets: SecretReader = {
    async getSecretString(arn) {
      const value = secretValues[arn];
      if (value === undefined) throw new Error(`no such secret ${arn}`);
      return JSON.stringify(value);
    },
  };

  const logLines: string[] = [];
  const logger = {
    info: (message: string, fields?: LogFields) => logLines.push(JSON.stringify({ message, fields })),
    warn: (message: string, fields?: LogFields) => logLines.push(JSON.stringify({ message, fields })),
  };

  // The real connector, wrapped to record the statements the handler executes (catalog reads are tagged).
  const executed: string[] = [];
  const realConnect = createPgConnector({ ssl: false, logger });
  const connect: Connector = async (target) => {
    const session = await realConnect(target);
    return {
      query: async (sql, params) => {
        if (!sql.startsWith('/* db-bootstrap:') && !sql.startsWith('SELECT pg_advisory_')) executed.push(sql);
        return session.query(sql, params);
      },
      close: () => session.close(),
    };
  };
  const onEvent = createOnEvent({ secrets, connect, logger });

  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://example.invalid/',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/it/1',
    RequestId: 'it',
    LogicalResourceId: 'DbBootstrap',
    ResourceType: 'Custom::DbBootstrap',
  };
  const resourceProperties = {
    ServiceToken: base.ServiceToken,
    MasterSecretArn: MASTER_ARN,
    Databases: [orders, payments],
  };
  const create: CloudFormationCustomResourceEvent = {
    ...base,
    RequestType: 'Create',
    ResourceProperties: resourceProperties,
  };
  const update: CloudFormationCustomResourceEvent = {
    ...base,
    RequestType: 'Update',
    PhysicalResourceId: physicalResourceId(MASTER_ARN),
    ResourceProperties: resourceProperties,
    OldResourceProperties: resourceProperties,
  };

  async function withClient<T>(config: ClientConfig, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ ...config, ssl: false, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
  const asSuperuser = <T>(fn: (client: Client) => Promise<T>, database = server.database) =>
    withClient({ ...server, database }, fn);
  const loginAs = (user: string, pw: string, database: string) =>
    withClient({ ...server, user, password: pw, database }, async (c) => {
      const { rows } = await c.query<{ user: string; db: string }>(
        'SELECT current_user AS user, current_database() AS db',
      );
      return rows[0];
    });

  /** Everything the handler manages, as the catalog sees it. */
  const catalogSnapshot = () =>
    asSuperuser(async (c) => {
      const names = [orders.name, payments.name];
      const roles = [orders.owner, payments.owner];
      const dbs = await c.query(
        `SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text AS acl
         FROM pg_database WHERE datname = ANY($1) ORDER BY datname`,
        [names],
      );
      const rs = await c.query(
        `SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit
         FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
        [roles],
      );
      const members = await c.query(
        `SELECT r.rolname AS role, m.rolname AS member FROM pg_auth_members a
         JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
         WHERE r.rolname = ANY($1) ORDER BY 1, 2`,
        [roles],
      );
      return { databases: dbs.rows, roles: rs.rows, members: members.rows };
    });

  const publicCanCreate = (database: string) =>
    asSuperuser(async (c) => {
      const { rows } = await c.query<{ can: boolean }>(
        "SELECT has_schema_privilege('public', 'public', 'CREATE') AS can",
      );
      return rows[0]?.can;
    }, database);

  afterAll(async () => {
    if (!url) return;
    await asSuperuser(async (c) => {
      for (const db of [orders.name, payments.name]) {
        await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      }
      for (const role of [`${orders.owner}_clone`, orders.owner, payments.owner]) {
        await c.query(`DROP ROLE IF EXISTS "${role}"`);
      }
    });
  });

  it('Create provisions both databases and roles', async () => {
    const response = await onEvent(create);
    expect(response.PhysicalResourceId).toBe(`db-bootstrap:${MASTER_ARN}`);

    const snapshot = await catalogSnapshot();
    expect(snapshot.databases.map((d) => [d.datname, d.owner])).toEqual([
      [orders.name, orders.owner],
      [payments.name, payments.owner],
    ]);
    for (const db of snapshot.databases) {
      // no "=...": PUBLIC holds nothing; the owner keeps CONNECT (c) and TEMPORARY (T) and CREATE (C)
      expect(db.acl).not.toMatch(/[{,]=/);
      expect(db.acl).toContain(`${db.owner}=CTc/${db.owner}`);
    }
    expect(snapshot.roles).toEqual([
      expect.objectContaining({ rolname: orders.owner, rolcanlogin: true, rolsuper: false, rolcreatedb: false }),
      expect.objectContaining({ rolname: payments.owner, rolcanlogin: true, rolsuper: false, rolcreatedb: false }),
    ]);
    expect(await publicCanCreate(orders.name)).toBe(false);
    expect(await publicCanCreate(payments.name)).toBe(false);

    // nothing secret in the handler's logs
    const logs = logLines.join('\n');
    for (const secret of [server.password, ...Object.values(passwords)]) expect(logs).not.toContain(secret);
    expect(logs).not.toContain('SCRAM-SHA-256$');
  });

  it('a second run changes nothing but re-setting the same passwords', async () => {
    const before = await catalogSnapshot();
    executed.length = 0;
    await onEvent(update);
    expect(executed).toEqual([
      expect.stringMatching(new RegExp(`^ALTER ROLE "${orders.owner}" WITH PASSWORD 'SCRAM-SHA-256\\$4096:`)),
      expect.stringMatching(new RegExp(`^ALTER ROLE "${payments.owner}" WITH PASSWORD 'SCRAM-SHA-256\\$4096:`)),
    ]);
    expect(await catalogSnapshot()).toEqual(before);
    // and a third run, for good measure, with no error
    await expect(onEvent(update)).resolves.toEqual(
      expect.objectContaining({ PhysicalResourceId: physicalResourceId(MASTER_ARN) }),
    );
  });

  it('each role connects to its own database with the secret password, and not to the other one', async () => {
    await expect(loginAs(orders.owner, passwords[orders.owner] ?? '', orders.name)).resolves.toEqual({
      user: orders.owner,
      db: orders.name,
    });
    await expect(loginAs(payments.owner, passwords[payments.owner] ?? '', payments.name)).resolves.toEqual({
      user: payments.owner,
      db: payments.name,
    });
    await expect(loginAs(orders.owner, passwords[orders.owner] ?? '', payments.name)).rejects.toMatchObject({
      code: '42501', // insufficient_privilege: permission denied for database
    });
    await expect(loginAs(payments.owner, passwords[payments.owner] ?? '', orders.name)).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('the server really checks passwords (otherwise the test above proves nothing)', async () => {
    await expect(loginAs(orders.owner, 'wrong-password', orders.name)).rejects.toMatchObject({
      code: '28P01', // invalid_password; a `trust` pg_hba entry would let this through
    });
  });

  it('the owner can use its database (schema public belongs to the database owner)', async () => {
    await withClient(
      { ...server, user: orders.owner, password: passwords[orders.owner], database: orders.name },
      async (c) => {
        await c.query('CREATE TABLE it_probe (id int PRIMARY KEY)');
        await c.query('INSERT INTO it_probe VALUES (1)');
        const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM it_probe');
        expect(rows[0]?.n).toBe(1);
      },
    );
  });

  it('with a multi-user rotation clone in the secret, leaves the owner password alone; the clone connects', async () => {
    // What SecretsManagerRDSPostgreSQLRotationMultiUser does on its first rotation:
    await asSuperuser(async (c) => {
      await c.query(`CREATE ROLE "${orders.owner}_clone" WITH LOGIN PASSWORD ${c.escapeLiteral(clonePassword)}`);
      await c.query(`GRANT "${orders.owner}" TO "${orders.owner}_clone"`);
    });
    secretValues[ORDERS_ARN] = { username: `${orders.owner}_clone`, password: clonePassword };
    executed.length = 0;

    await onEvent(update);
    expect(executed).toEqual([expect.stringMatching(new RegExp(`^ALTER ROLE "${payments.owner}" WITH PASSWORD`))]);
    // the owner still has its previous password, the clone works through its membership
    await expect(loginAs(orders.owner, passwords[orders.owner] ?? '', orders.name)).resolves.toBeDefined();
    await expect(loginAs(`${orders.owner}_clone`, clonePassword, orders.name)).resolves.toEqual({
      user: `${orders.owner}_clone`,
      db: orders.name,
    });
    await expect(loginAs(`${orders.owner}_clone`, clonePassword, payments.name)).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('Delete drops nothing', async () => {
    const before = await catalogSnapshot();
    executed.length = 0;
    const response = await onEvent({
      ...base,
      RequestType: 'Delete',
      PhysicalResourceId: physicalResourceId(MASTER_ARN),
      ResourceProperties: resourceProperties,
    });
    expect(response).toEqual({ PhysicalResourceId: physicalResourceId(MASTER_ARN) });
    expect(executed).toEqual([]);
    expect(await catalogSnapshot()).toEqual(before);
  });
});

/**
 * RDS's master user is not a superuser: it has CREATEDB and CREATEROLE (through rds_superuser). This block runs
 * the handler as such a user, which exercises the membership grant (`GRANT role TO CURRENT_USER`, required by
 * CREATE DATABASE ... OWNER) and granting/revoking as the database owner. On PostgreSQL 16+ it also covers the
 * stricter CREATEROLE rules.
 */
describeWithDb(`${title} — as a non-superuser master (like RDS)`, () => {
  const server = serverFromUrl(url ?? 'postgres://unused@localhost/unused');
  const suffix = randomBytes(4).toString('hex');
  const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-${suffix}`;
  const master = { user: `it_master_${suffix}`, password: randomBytes(18).toString('base64url') };
  const shop = { name: `it_shop_${suffix}`, owner: `it_shop_svc_${suffix}`, secretArn: ARN('shop') };
  const shopPassword = randomBytes(18).toString('base64url');

  const secrets: SecretReader = {
    async getSecretString(arn) {
      if (arn === ARN('master')) {
        return JSON.stringify({
          engine: 'postgres',
          host: server.host,
          port: server.port,
          ...master,
          username: master.user,
        });
      }
      if (arn === shop.secretArn) return JSON.stringify({ username: shop.owner, password: shopPassword });
      throw new Error(`no such secret ${arn}`);
    },
  };
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (message: string) => warnings.push(message) };
  const onEvent = createOnEvent({ secrets, connect: createPgConnector({ ssl: false }), logger });
  const event: CloudFormationCustomResourceEvent = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://example.invalid/',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/it/2',
    RequestId: 'it2',
    LogicalResourceId: 'DbBootstrap',
    ResourceType: 'Custom::DbBootstrap',
    RequestType: 'Create',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
      MasterSecretArn: ARN('master'),
      Databases: [shop],
    },
  };

  async function sql(database: string, text: string): Promise<Record<string, unknown>[]> {
    const client = new Client({ ...server, database, ssl: false });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await sql(
      server.database,
      `CREATE ROLE "${master.user}" WITH LOGIN CREATEDB CREATEROLE PASSWORD '${master.password}'`,
    );
  });

  afterAll(async () => {
    await sql(server.database, `DROP DATABASE IF EXISTS "${shop.name}" WITH (FORCE)`);
    await sql(server.database, `DROP ROLE IF EXISTS "${shop.owner}"`);
    await sql(server.database, `DROP ROLE IF EXISTS "${master.user}"`);
  });

  it('creates, locks down and converges; a PUBLIC CREATE grant on schema public is revoked again', async () => {
    await onEvent(event);
    const [db] = await sql(
      server.database,
      `SELECT pg_get_userbyid(datdba) AS owner, datacl::text AS acl FROM pg_database WHERE datname = '${shop.name}'`,
    );
    expect(db?.owner).toBe(shop.owner);
    expect(db?.acl).not.toMatch(/[{,]=/);

    const client = new Client({ ...server, user: shop.owner, password: shopPassword, database: shop.name, ssl: false });
    await client.connect();
    await client.end();

    // Someone re-opens schema public (the PostgreSQL < 15 default); the next run closes it again.
    await sql(shop.name, 'GRANT CREATE ON SCHEMA public TO PUBLIC');
    await onEvent({
      ...event,
      RequestType: 'Update',
      PhysicalResourceId: physicalResourceId(ARN('master')),
      OldResourceProperties: event.ResourceProperties,
    });
    const [schema] = await sql(shop.name, "SELECT has_schema_privilege('public', 'public', 'CREATE') AS can");
    expect(schema?.can).toBe(false);
    expect(warnings).toEqual([]);
  });
});
