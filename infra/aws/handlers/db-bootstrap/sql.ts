/**
 * SQL text helpers for the db-bootstrap custom resource.
 *
 * Quoting is delegated to `pg` (its exported `escapeIdentifier` / `escapeLiteral`, the same functions behind
 * `Client.prototype.escapeIdentifier` / `escapeLiteral`); nothing here hand-rolls an escaper. On top of that, the
 * handler only ever quotes names that already passed {@link NAME_PATTERN}, so quoting is defence in depth rather
 * than the only barrier.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { escapeIdentifier, escapeLiteral } from 'pg';

/**
 * Database and role names accepted by the handler: lower-case, starts with a letter, at most 63 bytes (PostgreSQL's
 * NAMEDATALEN - 1). Lower-case only, so the quoted identifier means the same as the unquoted one in psql.
 */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** Quotes a database or role name; refuses anything outside {@link NAME_PATTERN}. */
export function ident(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(`refusing to quote identifier ${JSON.stringify(name)}: does not match ${NAME_PATTERN}`);
  }
  return escapeIdentifier(name);
}

/**
 * Quotes a string literal. pg's `escapeLiteral` silently turns a non-string into `''`, which would be an empty
 * password; this wrapper refuses that, and refuses NUL, which PostgreSQL text cannot hold.
 */
export function literal(value: string): string {
  if (typeof value !== 'string') {
    throw new TypeError('literal() needs a string');
  }
  if (value.includes('\u0000')) {
    throw new Error('literal() refuses a string containing NUL');
  }
  return escapeLiteral(value);
}

/** PostgreSQL's own default (`scram_iterations`, and libpq's `PQencryptPasswordConn`). */
export const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores in `pg_authid.rolpassword`:
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802 / RFC 7677 key derivation).
 *
 * The handler sends this verifier in `CREATE/ALTER ROLE ... PASSWORD '<verifier>'` instead of the cleartext
 * password, exactly like psql's `\password` (libpq `PQencryptPasswordConn`). That keeps the cleartext out of the
 * SQL text, so it cannot surface in the server log (`log_statement = 'ddl'`, `log_min_error_statement`),
 * `pg_stat_statements` or `pg_stat_activity`. PostgreSQL stores a value that is already a verifier as-is, whatever
 * `password_encryption` says.
 *
 * Only printable ASCII passwords are accepted (Secrets Manager generated passwords always are): for those,
 * SASLprep (RFC 4013), which the server and clients apply before hashing, is the identity, so this verifier
 * matches what any client derives.
 */
export function scramSha256Verifier(password: string, options: { salt?: Buffer; iterations?: number } = {}): string {
  assertPrintableAsciiPassword(password);
  const salt = options.salt ?? randomBytes(SCRAM_SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Throws (without echoing the password) unless it is non-empty printable ASCII. */
export function assertPrintableAsciiPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0) {
    throw new Error('password must be a non-empty string');
  }
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new Error('password must consist of printable ASCII characters only');
  }
}
