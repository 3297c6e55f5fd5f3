/**
 * Read-only catalog queries that produce the state `plan.ts` works from. Each query starts with a
 * `/* db-bootstrap:<name> *\/` tag so logs, `pg_stat_activity` and test fakes can tell them apart.
 */
import type { ClusterState, DatabaseState, InDatabaseState, RoleState } from './plan';
import type { Row, SqlSession } from './ports';

export const QUERY_TAGS = {
  whoami: '/* db-bootstrap:whoami */',
  roles: '/* db-bootstrap:roles */',
  databases: '/* db-bootstrap:databases */',
  schema: '/* db-bootstrap:schema */',
} as const;

const WHOAMI_SQL = `${QUERY_TAGS.whoami}
SELECT current_user::text AS current_user, r.rolsuper AS is_superuser
FROM pg_catalog.pg_roles r
WHERE r.rolname = current_user`;

const ROLES_SQL = `${QUERY_TAGS.roles}
SELECT r.rolname::text AS name, r.rolcanlogin AS can_login, pg_catalog.pg_has_role(r.oid, 'USAGE') AS usable
FROM pg_catalog.pg_roles r
WHERE r.rolname = ANY($1::text[])`;

// A NULL datacl means the built-in default ACL (PUBLIC: CONNECT, TEMPORARY; owner: everything), which
// acldefault('d', owner) spells out.
const DATABASES_SQL = `${QUERY_TAGS.databases}
SELECT d.datname::text AS name,
       pg_catalog.pg_get_userbyid(d.datdba)::text AS owner,
       ARRAY(SELECT a.privilege_type::text
             FROM pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
             WHERE a.grantee = 0
             ORDER BY 1) AS public_privileges,
       ARRAY(SELECT pg_catalog.pg_get_userbyid(a.grantee)::text
             FROM pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
             WHERE a.grantee <> 0 AND a.privilege_type = 'CONNECT'
             ORDER BY 1) AS connect_grantees
FROM pg_catalog.pg_database d
WHERE d.datname = ANY($1::text[])`;

const SCHEMA_SQL = `${QUERY_TAGS.schema}
SELECT COALESCE(bool_or(a.grantee = 0 AND a.privilege_type = 'CREATE'), false) AS public_can_create
FROM pg_catalog.pg_namespace n
CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
WHERE n.nspname = 'public'`;

function field<T>(row: Row, key: string, check: (value: unknown) => value is T, query: string): T {
  const value = row[key];
  if (!check(value)) {
    throw new Error(`unexpected ${typeof value} in column ${key} of catalog query ${query}`);
  }
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

export async function inspectCluster(
  session: SqlSession,
  roleNames: readonly string[],
  databaseNames: readonly string[],
): Promise<ClusterState> {
  const [me] = await session.query(WHOAMI_SQL);
  if (!me) {
    throw new Error('cannot determine the connected user (pg_roles has no row for current_user)');
  }
  const currentUser = field(me, 'current_user', isString, 'whoami');
  const currentUserIsSuperuser = field(me, 'is_superuser', isBoolean, 'whoami');

  const roles: Record<string, RoleState> = {};
  for (const row of await session.query(ROLES_SQL, [[...roleNames]])) {
    roles[field(row, 'name', isString, 'roles')] = {
      canLogin: field(row, 'can_login', isBoolean, 'roles'),
      usableByCurrentUser: field(row, 'usable', isBoolean, 'roles'),
    };
  }

  const databases: Record<string, DatabaseState> = {};
  for (const row of await session.query(DATABASES_SQL, [[...databaseNames]])) {
    databases[field(row, 'name', isString, 'databases')] = {
      owner: field(row, 'owner', isString, 'databases'),
      publicPrivileges: field(row, 'public_privileges', isStringArray, 'databases'),
      connectGrantees: field(row, 'connect_grantees', isStringArray, 'databases'),
    };
  }

  return { currentUser, currentUserIsSuperuser, roles, databases };
}

/** Run on a connection to the database in question. */
export async function inspectDatabase(session: SqlSession): Promise<InDatabaseState> {
  const [row] = await session.query(SCHEMA_SQL);
  if (!row) {
    throw new Error('schema inspection returned no row');
  }
  return { publicCanCreateInPublicSchema: field(row, 'public_can_create', isBoolean, 'schema') };
}
