import { AlreadyExistsError, NotFoundError, UnauthenticatedError } from '../../../lib/runtime/errors';
import { checkPassword, normalizePassword } from './password-policy';
import type { AccessTokenIssuer, PasswordHasher, UserStore } from './ports';
import { type Session, type User, withoutCredential } from './user';
import { EMAIL_MAX_LENGTH, normalizeEmail, parseEmail, parseName, parseUserId } from './validation';

/** The one answer to any failed sign-in, so a caller cannot tell an unknown email from a wrong password. */
export const INVALID_CREDENTIALS = 'invalid email or password';

export interface RegistrationInput {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

export interface AccountsDependencies {
  readonly users: UserStore;
  readonly hasher: PasswordHasher;
  readonly tokens: AccessTokenIssuer;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
}

/** Registration, sign-in and lookup of accounts: the user-service's use cases, free of any transport. */
export class UserAccounts {
  private readonly newId: () => string;

  constructor(private readonly deps: AccountsDependencies) {
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /**
   * Creates a customer account. Checks email, then password, then name, and throws the first problem as
   * INVALID_ARGUMENT on that field. A taken email is ALREADY_EXISTS on 'email' — decided by the store's
   * unique index, so two concurrent registrations cannot both win.
   */
  async register(input: RegistrationInput): Promise<User> {
    const email = parseEmail(input.email);
    const password = checkPassword(input.password, email);
    const name = parseName(input.name);
    const passwordHash = await this.deps.hasher.hash(password);
    return this.deps.users.insert({ id: this.newId(), email, name, role: 'customer', passwordHash });
  }

  /**
   * Verifies credentials and issues an access token. Every failure is the same UNAUTHENTICATED with the same
   * message, and costs the same work: an unknown (or impossible) email is checked against a dummy hash.
   */
  async authenticate(emailInput: string, passwordInput: string): Promise<Session> {
    const email = normalizeEmail(emailInput);
    const password = normalizePassword(passwordInput);
    // An email longer than any stored one cannot match; skip the lookup but not the hashing.
    const user = email.length <= EMAIL_MAX_LENGTH ? await this.deps.users.findByEmail(email) : undefined;
    const matches = await this.deps.hasher.verify(user?.passwordHash ?? this.deps.hasher.dummyHash, password);
    if (!user || !matches) throw new UnauthenticatedError(INVALID_CREDENTIALS);
    const { token, expiresIn } = await this.deps.tokens.issue({ sub: user.id, email: user.email, role: user.role });
    return { accessToken: token, expiresInSeconds: expiresIn, user: withoutCredential(user) };
  }

  /**
   * Any caller that reaches this service may read any account: deciding who may read whom (a customer
   * only themselves, an admin anyone) is the api-gateway's job, which holds the caller's verified token.
   */
  async getUser(idInput: string): Promise<User> {
    const id = parseUserId(idInput);
    const user = await this.deps.users.findById(id);
    if (!user) throw new NotFoundError('user', 'id');
    return user;
  }

  /**
   * Makes sure an admin account with this email exists. An existing account (of any role) is left exactly as
   * it is — its password is never replaced on restart; a concurrent start of another replica that creates
   * it first counts as existing.
   */
  async ensureAdmin(input: RegistrationInput): Promise<{ created: boolean; user: User }> {
    const email = parseEmail(input.email);
    const existing = await this.deps.users.findByEmail(email);
    if (existing) return { created: false, user: withoutCredential(existing) };
    const password = checkPassword(input.password, email);
    const name = parseName(input.name);
    const passwordHash = await this.deps.hasher.hash(password);
    try {
      const user = await this.deps.users.insert({ id: this.newId(), email, name, role: 'admin', passwordHash });
      return { created: true, user };
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      const raced = await this.deps.users.findByEmail(email);
      if (!raced) throw error;
      return { created: false, user: withoutCredential(raced) };
    }
  }
}
