/**
 * Pure planning: desired databases + observed cluster state -> ordered SQL steps.
 *
 * Nothing here talks to a database or reads a secret. `index.ts` runs two phases:
 * 1. on the maintenance connection: inspect roles/databases, {@link planCluster}, execute;
 * 2. for each desired database: connect to it, inspect schema `public`, {@link planInDatabase}, execute.
 * Phase 2 comes after phase 1 so that the master user already has access to the (possibly new) database.
 *
 * Execution rules the plan relies on:
 * - every step is sent as its own query, outside any transaction block (CREATE DATABASE refuses to run inside
 *   one, and a multi-statement query string would be an implicit transaction);
 * - `database: null` steps run on the maintenance connection (the master secret's `dbname`, default `postgres`);
 *   other steps run on a connection to the named database;
 * - `summary` is what gets logged; `sql` is never logged because a password step carries the SCRAM verifier.
 */
import { ident, literal } from './sql';

export interface DesiredDatabase {
  readonly name: string;
  readonly owner: string;
  /**
   * SCRAM-SHA-256 verifier to (re)set on `owner`, or `null` when `owner`'s password must be left alone: the
   * service secret currently holds the multi-user-rotation clone (`<owner>_clone`), so the current password in
   * the secret belongs to the clone and `owner`'s password is owned by the rotation function.
   */
  readonly ownerPasswordVerifier: string | null;
}

export interface RoleState {
  readonly canLogin: boolean;
  /**
   * The connected (master) user can use this role's privileges (`pg_has_role(role, 'USAGE')`). Needed to
   * `CREATE DATABASE ... OWNER role` / `ALTER DATABASE ... OWNER TO role` as a non-superuser (RDS's master user is
   * `rds_superuser`, not a superuser) and to grant/revoke as the database owner.
   */
  readonly usableByCurrentUser: boolean;
}

export interface DatabaseState {
  readonly owner: string;
  /** Privileges PUBLIC holds on the database (`CONNECT`, `TEMPORARY`, `CREATE`); empty once revoked. */
  readonly publicPrivileges: readonly string[];
  /** Roles holding an explicit or owner-default CONNECT grant on the database. */
  readonly connectGrantees: readonly string[];
}

/** State inside one database, read on a connection to that database. */
export interface InDatabaseState {
  /** Schema `public` exists and PUBLIC holds CREATE on it (the default before PostgreSQL 15). */
  readonly publicCanCreateInPublicSchema: boolean;
}

export interface ClusterState {
  readonly currentUser: string;
  readonly currentUserIsSuperuser: boolean;
  /** Only the roles the plan cares about; a missing key means the role does not exist. */
  readonly roles: Readonly<Record<string, RoleState>>;
  /** Only the databases the plan cares about; a missing key means the database does not exist. */
  readonly databases: Readonly<Record<string, DatabaseState>>;
}

export type StepKind =
  | 'create-role'
  | 'enable-login'
  | 'set-password'
  | 'grant-role-to-master'
  | 'create-database'
  | 'change-database-owner'
  | 'revoke-database-public'
  | 'grant-connect'
  | 'revoke-schema-create';

export interface Step {
  readonly kind: StepKind;
  /** `null`: maintenance connection; otherwise the database whose connection runs the step. */
  readonly database: string | null;
  readonly sql: string;
  /** Safe to log: names only, never the verifier. */
  readonly summary: string;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/** Phase 1: roles, database creation/ownership and database-level privileges (maintenance connection). */
export function planCluster(desired: readonly DesiredDatabase[], state: ClusterState): Step[] {
  return desired.flatMap((entry) => planOne(entry, state));
}

/**
 * Phase 2: inside database `name`. PostgreSQL 15+ already creates `public` without CREATE for PUBLIC, so on those
 * versions this is normally empty.
 */
export function planInDatabase(name: string, state: InDatabaseState): Step[] {
  if (!state.publicCanCreateInPublicSchema) {
    return [];
  }
  return [
    {
      kind: 'revoke-schema-create',
      database: name,
      sql: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
      summary: `revoke CREATE on schema public from PUBLIC in database ${name}`,
    },
  ];
}

function planOne(entry: DesiredDatabase, state: ClusterState): Step[] {
  const { name, owner, ownerPasswordVerifier } = entry;
  const db = ident(name);
  const role = ident(owner);
  const steps: Step[] = [];
  const existingRole = state.roles[owner];
  const existingDb = state.databases[name];

  if (owner === state.currentUser) {
    throw new PlanError(`owner ${JSON.stringify(owner)} of database ${JSON.stringify(name)} is the master user itself`);
  }

  // --- role -------------------------------------------------------------------------------------------------
  if (!existingRole) {
    if (ownerPasswordVerifier === null) {
      throw new PlanError(
        `role ${JSON.stringify(owner)} does not exist but its secret holds the rotation clone ${JSON.stringify(`${owner}_clone`)}; ` +
          `the password of ${JSON.stringify(owner)} is not in the secret's current version, so it cannot be created. ` +
          'Create the role by hand or reset the secret to the owner user.',
      );
    }
    steps.push({
      kind: 'create-role',
      database: null,
      sql: `CREATE ROLE ${role} WITH LOGIN PASSWORD ${literal(ownerPasswordVerifier)}`,
      summary: `create role ${owner} (LOGIN, password from its secret)`,
    });
  } else {
    if (!existingRole.canLogin) {
      steps.push({
        kind: 'enable-login',
        database: null,
        sql: `ALTER ROLE ${role} WITH LOGIN`,
        summary: `enable LOGIN for role ${owner}`,
      });
    }
    // Passwords cannot be read back (and RDS's master cannot read pg_authid), so converge by always setting it.
    // Safe with rotation: rotation updates the database before it promotes the new secret version to AWSCURRENT.
    if (ownerPasswordVerifier !== null) {
      steps.push({
        kind: 'set-password',
        database: null,
        sql: `ALTER ROLE ${role} WITH PASSWORD ${literal(ownerPasswordVerifier)}`,
        summary: `set password of role ${owner} from its secret`,
      });
    }
  }

  if (!state.currentUserIsSuperuser && !existingRole?.usableByCurrentUser) {
    steps.push({
      kind: 'grant-role-to-master',
      database: null,
      sql: `GRANT ${role} TO CURRENT_USER`,
      summary: `grant role ${owner} to the master user (needed to own/administer database ${name})`,
    });
  }

  // --- database ---------------------------------------------------------------------------------------------
  const created = !existingDb;
  const ownerChanged = existingDb !== undefined && existingDb.owner !== owner;
  if (created) {
    steps.push({
      kind: 'create-database',
      database: null,
      sql: `CREATE DATABASE ${db} WITH OWNER ${role}`,
      summary: `create database ${name} owned by ${owner}`,
    });
  } else if (ownerChanged) {
    steps.push({
      kind: 'change-database-owner',
      database: null,
      sql: `ALTER DATABASE ${db} OWNER TO ${role}`,
      summary: `change owner of database ${name} from ${existingDb.owner} to ${owner} (objects inside keep their owners)`,
    });
  }

  if (created || (existingDb?.publicPrivileges.length ?? 0) > 0) {
    steps.push({
      kind: 'revoke-database-public',
      database: null,
      sql: `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
      summary: `revoke all privileges on database ${name} from PUBLIC`,
    });
  }
  if (created || ownerChanged || !existingDb?.connectGrantees.includes(owner)) {
    steps.push({
      kind: 'grant-connect',
      database: null,
      sql: `GRANT CONNECT ON DATABASE ${db} TO ${role}`,
      summary: `grant CONNECT on database ${name} to ${owner}`,
    });
  }

  return steps;
}
