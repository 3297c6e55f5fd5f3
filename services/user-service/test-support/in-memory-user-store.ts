import { AlreadyExistsError } from '../../../lib/runtime/errors';
import type { UserStore } from '../domain/ports';
import { type NewUser, type User, type UserRecord, withoutCredential } from '../domain/user';

/** A UserStore in a Map, held to the same contract as the SQL store (store/user-store.contract.ts). */
export class InMemoryUserStore implements UserStore {
  private readonly byId = new Map<string, UserRecord>();

  async insert(user: NewUser): Promise<User> {
    const email = user.email.toLowerCase();
    if ([...this.byId.values()].some((u) => u.email.toLowerCase() === email)) {
      throw new AlreadyExistsError('an account with this email already exists', 'email');
    }
    const record: UserRecord = { ...user, createdAt: new Date() };
    this.byId.set(user.id, record);
    return withoutCredential(record);
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const wanted = email.toLowerCase();
    return [...this.byId.values()].find((u) => u.email.toLowerCase() === wanted);
  }

  async findById(id: string): Promise<User | undefined> {
    const record = this.byId.get(id);
    return record ? withoutCredential(record) : undefined;
  }

  get size(): number {
    return this.byId.size;
  }
}
