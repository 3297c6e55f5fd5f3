import type { Role } from '../../../lib/runtime/auth';

export type { Role } from '../../../lib/runtime/auth';

/** An account as every caller may see it: never its password hash. */
export interface User {
  readonly id: string;
  /** Normalized: trimmed, lower-case. */
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

/** An account with its credential, as only the domain and the store handle it. */
export interface UserRecord extends User {
  /** scrypt PHC string. */
  readonly passwordHash: string;
}

/** What the store needs to create an account; the database sets `createdAt`. */
export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
}

/** A signed access token and how many seconds it stays valid. */
export interface Session {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  readonly user: User;
}

/** An allow-list copy, so a credential can never ride along into a response or a log. */
export const withoutCredential = ({ id, email, name, role, createdAt }: UserRecord): User => ({
  id,
  email,
  name,
  role,
  createdAt,
});
