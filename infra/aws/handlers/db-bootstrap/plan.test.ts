import {
  type ClusterState,
  type DatabaseState,
  type DesiredDatabase,
  PlanError,
  planCluster,
  planInDatabase,
  type RoleState,
} from './plan';

const V_ORDERS = 'SCRAM-SHA-256$4096:b3JkZXJz$storedOrders=:serverOrders=';
const V_PAYMENTS = 'SCRAM-SHA-256$4096:cGF5$storedPay=:serverPay=';

const desired: DesiredDatabase[] = [
  { name: 'orders', owner: 'order_service', ownerPasswordVerifier: V_ORDERS },
  { name: 'payments', owner: 'payment_service', ownerPasswordVerifier: V_PAYMENTS },
];

function cluster(overrides: Partial<ClusterState> = {}): ClusterState {
  // RDS-like: the master user is rds_superuser, not a superuser.
  return { currentUser: 'master', currentUserIsSuperuser: false, roles: {}, databases: {}, ...overrides };
}

const usableRole: RoleState = { canLogin: true, usableByCurrentUser: true };
const convergedDb = (owner: string): DatabaseState => ({ owner, publicPrivileges: [], connectGrantees: [owner] });

const sqlOf = (steps: { sql: string }[]) => steps.map((s) => s.sql);

describe('planCluster', () => {
  it('nothing exists: creates roles and databases, then locks them down, in order', () => {
    const steps = planCluster(desired, cluster());
    expect(sqlOf(steps)).toEqual([
      `CREATE ROLE "order_service" WITH LOGIN PASSWORD '${V_ORDERS}'`,
      'GRANT "order_service" TO CURRENT_USER',
      'CREATE DATABASE "orders" WITH OWNER "order_service"',
      'REVOKE ALL ON DATABASE "orders" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "orders" TO "order_service"',
      `CREATE ROLE "payment_service" WITH LOGIN PASSWORD '${V_PAYMENTS}'`,
      'GRANT "payment_service" TO CURRENT_USER',
      'CREATE DATABASE "payments" WITH OWNER "payment_service"',
      'REVOKE ALL ON DATABASE "payments" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "payments" TO "payment_service"',
    ]);
    // every step runs on the maintenance connection; CREATE DATABASE is a step of its own
    expect(steps.every((s) => s.database === null)).toBe(true);
  });

  it('nothing exists, superuser master: no self-grant of the role', () => {
    const steps = planCluster(desired, cluster({ currentUserIsSuperuser: true }));
    expect(steps.map((s) => s.kind)).not.toContain('grant-role-to-master');
    expect(steps).toHaveLength(8);
  });

  it('role exists: password is re-set (cannot be compared), role is not re-created', () => {
    const steps = planCluster(desired.slice(0, 1), cluster({ roles: { order_service: usableRole } }));
    expect(sqlOf(steps)).toEqual([
      `ALTER ROLE "order_service" WITH PASSWORD '${V_ORDERS}'`,
      'CREATE DATABASE "orders" WITH OWNER "order_service"',
      'REVOKE ALL ON DATABASE "orders" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "orders" TO "order_service"',
    ]);
  });

  it('role exists without LOGIN and not usable by the master: enables login and grants it', () => {
    const steps = planCluster(
      desired.slice(0, 1),
      cluster({
        roles: { order_service: { canLogin: false, usableByCurrentUser: false } },
        databases: { orders: convergedDb('order_service') },
      }),
    );
    expect(sqlOf(steps)).toEqual([
      'ALTER ROLE "order_service" WITH LOGIN',
      `ALTER ROLE "order_service" WITH PASSWORD '${V_ORDERS}'`,
      'GRANT "order_service" TO CURRENT_USER',
    ]);
  });

  it('all exists and converged: only the password convergence remains', () => {
    const state = cluster({
      roles: { order_service: usableRole, payment_service: usableRole },
      databases: { orders: convergedDb('order_service'), payments: convergedDb('payment_service') },
    });
    const steps = planCluster(desired, state);
    expect(steps.map((s) => s.kind)).toEqual(['set-password', 'set-password']);
  });

  it('all exists and converged, secrets hold rotation clones: nothing at all', () => {
    const state = cluster({
      roles: { order_service: usableRole, payment_service: usableRole },
      databases: { orders: convergedDb('order_service'), payments: convergedDb('payment_service') },
    });
    expect(
      planCluster(
        desired.map((d) => ({ ...d, ownerPasswordVerifier: null })),
        state,
      ),
    ).toEqual([]);
  });

  it('database pre-exists owned by the master with default ACL: changes owner and locks it down', () => {
    const state = cluster({
      roles: { order_service: usableRole },
      databases: {
        orders: { owner: 'master', publicPrivileges: ['CONNECT', 'TEMPORARY'], connectGrantees: ['master'] },
      },
    });
    expect(sqlOf(planCluster(desired.slice(0, 1), state))).toEqual([
      `ALTER ROLE "order_service" WITH PASSWORD '${V_ORDERS}'`,
      'ALTER DATABASE "orders" OWNER TO "order_service"',
      'REVOKE ALL ON DATABASE "orders" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "orders" TO "order_service"',
    ]);
  });

  it('database exists but PUBLIC regained CONNECT: only the revoke (besides the password)', () => {
    const state = cluster({
      roles: { order_service: usableRole },
      databases: { orders: { ...convergedDb('order_service'), publicPrivileges: ['CONNECT'] } },
    });
    expect(planCluster(desired.slice(0, 1), state).map((s) => s.kind)).toEqual([
      'set-password',
      'revoke-database-public',
    ]);
  });

  it('summaries name roles and databases but never carry the verifier', () => {
    for (const step of planCluster(desired, cluster())) {
      expect(step.summary).not.toContain('SCRAM');
      expect(step.summary).not.toContain(V_ORDERS);
      expect(step.summary).not.toContain(V_PAYMENTS);
    }
  });

  it('refuses an owner that is the master user', () => {
    expect(() =>
      planCluster([{ name: 'orders', owner: 'master', ownerPasswordVerifier: V_ORDERS }], cluster()),
    ).toThrow(PlanError);
  });

  it('refuses to create a role whose secret holds the rotation clone', () => {
    expect(() => planCluster([{ ...desired[0], ownerPasswordVerifier: null } as DesiredDatabase], cluster())).toThrow(
      /role "order_service" does not exist but its secret holds the rotation clone "order_service_clone"/,
    );
  });

  it('quotes defensively: a name that skipped validation is refused, not interpolated', () => {
    expect(() =>
      planCluster([{ name: 'x"; DROP DATABASE y; --', owner: 'o', ownerPasswordVerifier: V_ORDERS }], cluster()),
    ).toThrow(/refusing to quote identifier/);
  });
});

describe('planInDatabase', () => {
  it('revokes CREATE on schema public from PUBLIC when it is granted (PostgreSQL < 15)', () => {
    expect(planInDatabase('orders', { publicCanCreateInPublicSchema: true })).toEqual([
      {
        kind: 'revoke-schema-create',
        database: 'orders',
        sql: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
        summary: 'revoke CREATE on schema public from PUBLIC in database orders',
      },
    ]);
  });

  it('does nothing when already revoked (PostgreSQL 15+ default)', () => {
    expect(planInDatabase('orders', { publicCanCreateInPublicSchema: false })).toEqual([]);
  });
});
