import * as path from 'node:path';
import type { Queryable } from '../../../lib/runtime/db';
import { AlreadyExistsError } from '../../../lib/runtime/errors';
import type { UserStore } from '../domain/ports';
import type { NewUser, Role, User, UserRecord } from '../domain/user';

/** The schema's migrations, applied at start by the kit's `migrate`. */
export const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');

/** The unique index on lower(email), from migrations/0002_index_users_by_email.sql. */
const EMAIL_UNIQUE_INDEX = 'users_email_lower_key';
const UNIQUE_VIOLATION = '23505';

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: Date | string;
}

const COLUMNS = 'id, email, name, role, password_hash, created_at';

const toRecord = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  passwordHash: row.password_hash,
  createdAt: new Date(row.created_at),
});

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: new Date(row.created_at),
});

/** pg reports a unique violation with `code` (SQLSTATE) and the violated `constraint`. */
function isEmailTaken(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && constraint === EMAIL_UNIQUE_INDEX;
}

/** Accounts in the service's schema (table `users`); the same SQL on every PostgreSQL (embedded, RDS, Cloud SQL). */
export class PostgresUserStore implements UserStore {
  constructor(private readonly db: Queryable) {}

  async insert(user: NewUser): Promise<User> {
    try {
      const result = await this.db.query<UserRow>(
        `INSERT INTO users (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [user.id, user.email, user.name, user.role, user.passwordHash],
      );
      const row = result.rows[0];
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return toUser(row);
    } catch (error) {
      if (isEmailTaken(error)) throw new AlreadyExistsError('an account with this email already exists', 'email');
      throw error;
    }
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const result = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email]);
    const row = result.rows[0];
    return row ? toRecord(row) : undefined;
  }

  async findById(id: string): Promise<User | undefined> {
    const result = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? toUser(row) : undefined;
  }
}
