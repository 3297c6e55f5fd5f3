import type { AccessClaims } from '../../../lib/runtime/auth';
import type { NewUser, User, UserRecord } from './user';

/** Where accounts live. Emails arrive normalized (trimmed, lower-case). */
export interface UserStore {
  /** Creates the account; an email already taken (in any letter case) throws AlreadyExistsError on 'email'. */
  insert(user: NewUser): Promise<User>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findById(id: string): Promise<User | undefined>;
}

/**
 * A memory-hard password hash (scrypt in production). The domain decides what a good password is
 * (password-policy.ts); this port only turns one into a hash and checks a guess against a hash.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`; false (never an error) for a wrong password or a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * A hash of no one's password, made with the same cost as `hash`, so that checking a password for an
   * unknown email costs the same work as checking it for a known one.
   */
  readonly dummyHash: string;
}

/** Signs access tokens (the kit's TokenIssuer fits). */
export interface AccessTokenIssuer {
  issue(claims: AccessClaims): Promise<{ token: string; expiresIn: number }>;
}
