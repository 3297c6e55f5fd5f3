/**
 * Strict validation of the custom resource's ResourceProperties.
 *
 * Contract (CloudFormation delivers every scalar as a string; `ServiceToken` is added by CloudFormation):
 *
 * ```json
 * {
 *   "ServiceToken": "<provider framework function arn>",
 *   "MasterSecretArn": "arn:aws:secretsmanager:<region>:<account>:secret:<name>",
 *   "Databases": [
 *     { "name": "orders", "owner": "order_service", "secretArn": "arn:aws:secretsmanager:...:secret:..." }
 *   ]
 * }
 * ```
 *
 * Every error names the offending field (`Databases[1].owner`) and its value. No property carries a password,
 * so echoing values is safe.
 */
import { NAME_PATTERN } from './sql';

export interface DatabaseSpec {
  /** Database name, e.g. `orders`. */
  readonly name: string;
  /** Login role that owns the database, e.g. `order_service`. */
  readonly owner: string;
  /** Secrets Manager secret holding `{ username, password }` for `owner` (an RDS DatabaseSecret). */
  readonly secretArn: string;
}

export interface BootstrapProperties {
  readonly masterSecretArn: string;
  readonly databases: readonly DatabaseSpec[];
}

export class PropertyValidationError extends Error {
  override readonly name = 'PropertyValidationError';
}

const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Database names the handler must never claim: PostgreSQL's own and RDS's. */
const RESERVED_DATABASES = new Set(['postgres', 'template0', 'template1', 'rdsadmin']);
/** Role names PostgreSQL rejects or that mean something else in a role specification, plus RDS's admin role. */
const RESERVED_ROLES = new Set(['public', 'none', 'current_user', 'current_role', 'session_user', 'rdsadmin']);
/** Prefixes reserved for built-in roles (`pg_*` by PostgreSQL, `rds_*` / `rdsadmin` by RDS). */
const RESERVED_ROLE_PREFIXES = ['pg_', 'rds_'];

const TOP_LEVEL_KEYS = new Set(['ServiceToken', 'MasterSecretArn', 'Databases']);
const ENTRY_KEYS = new Set(['name', 'owner', 'secretArn']);

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function fail(field: string, value: unknown, problem: string): never {
  throw new PropertyValidationError(`${field}: ${problem} (got ${show(value)})`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(field: string, record: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(record)) {
    if (!allowed.has(key)) {
      fail(`${field}.${key}`, record[key], `unknown property; allowed: ${[...allowed].join(', ')}`);
    }
  }
}

function secretArn(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SECRET_ARN_PATTERN.test(value)) {
    fail(
      field,
      value,
      'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
    );
  }
  return value;
}

function name(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    fail(field, value, `must match ${NAME_PATTERN}`);
  }
  return value;
}

export function parseProperties(raw: unknown): BootstrapProperties {
  if (!isRecord(raw)) {
    fail('ResourceProperties', raw, 'must be an object');
  }
  rejectUnknownKeys('ResourceProperties', raw, TOP_LEVEL_KEYS);
  const masterSecretArn = secretArn('MasterSecretArn', raw.MasterSecretArn);

  const list = raw.Databases;
  if (!Array.isArray(list) || list.length === 0) {
    fail('Databases', list, 'must be a non-empty array of { name, owner, secretArn }');
  }

  const databases: DatabaseSpec[] = [];
  const seenNames = new Map<string, number>();
  const seenOwners = new Map<string, number>();
  const seenSecrets = new Map<string, number>();
  list.forEach((entry: unknown, index: number) => {
    const at = `Databases[${index}]`;
    if (!isRecord(entry)) {
      fail(at, entry, 'must be an object { name, owner, secretArn }');
    }
    rejectUnknownKeys(at, entry, ENTRY_KEYS);
    const dbName = name(`${at}.name`, entry.name);
    const owner = name(`${at}.owner`, entry.owner);
    const arn = secretArn(`${at}.secretArn`, entry.secretArn);

    if (RESERVED_DATABASES.has(dbName)) {
      fail(`${at}.name`, dbName, 'is a reserved database name');
    }
    if (RESERVED_ROLES.has(owner) || RESERVED_ROLE_PREFIXES.some((prefix) => owner.startsWith(prefix))) {
      fail(`${at}.owner`, owner, `is a reserved role name (reserved: ${[...RESERVED_ROLES].join(', ')}, pg_*, rds_*)`);
    }
    if (owner.endsWith('_clone')) {
      fail(`${at}.owner`, owner, 'must not end in _clone (that suffix is the multi-user rotation clone of a role)');
    }

    const dupName = seenNames.get(dbName);
    if (dupName !== undefined) {
      fail(`${at}.name`, dbName, `duplicates Databases[${dupName}].name`);
    }
    const dupOwner = seenOwners.get(owner);
    if (dupOwner !== undefined) {
      fail(`${at}.owner`, owner, `duplicates Databases[${dupOwner}].owner; each database needs its own role`);
    }
    const dupSecret = seenSecrets.get(arn);
    if (dupSecret !== undefined) {
      fail(`${at}.secretArn`, arn, `duplicates Databases[${dupSecret}].secretArn`);
    }
    if (arn === masterSecretArn) {
      fail(`${at}.secretArn`, arn, 'must not be the master secret');
    }
    seenNames.set(dbName, index);
    seenOwners.set(owner, index);
    seenSecrets.set(arn, index);
    databases.push({ name: dbName, owner, secretArn: arn });
  });

  return { masterSecretArn, databases };
}
