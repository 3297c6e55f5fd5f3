import { randomUUID } from 'node:crypto';
import type { Database } from '../../../lib/runtime/db';
import { AlreadyExistsError } from '../../../lib/runtime/errors';
import { createLogger } from '../../../lib/runtime/logger';
import { loadMigrations, migrate } from '../../../lib/runtime/migrate';
import type { UserStore } from '../domain/ports';
import type { NewUser } from '../domain/user';
import { domainErrorOf } from '../test-support/errors';
import { MIGRATIONS_DIR, PostgresUserStore } from './user-store';

const HASH = '$scrypt$ln=12,r=8,p=5$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

const newUser = (overrides: Partial<NewUser> = {}): NewUser => ({
  id: randomUUID(),
  email: `user-${randomUUID()}@example.com`,
  name: 'Ada Lovelace',
  role: 'customer',
  passwordHash: HASH,
  ...overrides,
});

/**
 * What every UserStore must do, registered as tests for one implementation. `open` gives each test a fresh,
 * empty store; `close` (when given) releases what `open` made.
 */
export function userStoreContract(open: () => Promise<{ store: UserStore; close?: () => Promise<void> }>): void {
  let store: UserStore;
  let close: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    ({ store, close } = await open());
  });
  afterEach(async () => {
    await close?.();
  });

  it('returns what it stored, with a creation time, and never the hash from insert or findById', async () => {
    const before = Date.now();
    const input = newUser({ role: 'admin' });
    const created = await store.insert(input);
    expect(created).toEqual({
      id: input.id,
      email: input.email,
      name: input.name,
      role: 'admin',
      createdAt: expect.any(Date),
    });
    // Database and test clocks are the same machine's; a minute of slack covers rounding, not drift.
    expect(Math.abs(created.createdAt.getTime() - before)).toBeLessThan(60_000);
    expect(await store.findById(input.id)).toEqual(created);
  });

  it('finds by email in any letter case, with the password hash', async () => {
    const input = newUser({ email: 'grace.hopper@example.com' });
    await store.insert(input);
    const found = await store.findByEmail('Grace.Hopper@EXAMPLE.com');
    expect(found).toMatchObject({ id: input.id, email: 'grace.hopper@example.com', passwordHash: HASH });
  });

  it('finds nothing for an unknown email or id', async () => {
    await store.insert(newUser());
    expect(await store.findByEmail('nobody@example.com')).toBeUndefined();
    expect(await store.findById(randomUUID())).toBeUndefined();
  });

  it('keeps names in any script exactly, up to 100 characters', async () => {
    const names = ['李雷', 'Zoë 👩‍💻', '😀'.repeat(100), "O'Brien; DROP TABLE users; --"];
    for (const name of names) {
      const input = newUser({ name });
      await store.insert(input);
      expect((await store.findById(input.id))?.name).toBe(name);
    }
  });

  it('refuses a second account for the same email, in any letter case, as ALREADY_EXISTS on email', async () => {
    await store.insert(newUser({ email: 'ada@example.com' }));
    for (const email of ['ada@example.com', 'ADA@Example.com']) {
      const error = await domainErrorOf(() => store.insert(newUser({ email })));
      expect(error).toBeInstanceOf(AlreadyExistsError);
      expect(error).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email' });
    }
  });

  it('lets exactly one of two concurrent inserts of the same email win', async () => {
    const results = await Promise.allSettled([
      store.insert(newUser({ email: 'race@example.com', name: 'First' })),
      store.insert(newUser({ email: 'race@example.com', name: 'Second' })),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email' });
    const stored = await store.findByEmail('race@example.com');
    expect(stored?.id).toBe((won[0] as PromiseFulfilledResult<{ id: string }>).value.id);
  });
}

/** What the SQL store adds on a real database: its migrations and constraints. */
export function sqlUserStoreContract(openDatabase: () => Promise<{ db: Database; close: () => Promise<void> }>): void {
  const logger = createLogger({ service: 'user-service-test', level: 'silent' });
  const migrations = loadMigrations(MIGRATIONS_DIR);

  userStoreContract(async () => {
    const { db, close } = await openDatabase();
    await migrate(db, migrations, logger);
    return { store: new PostgresUserStore(db), close };
  });

  describe('schema', () => {
    let db: Database;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ db, close } = await openDatabase());
      await migrate(db, migrations, logger);
    });
    afterEach(async () => {
      await close();
    });

    it('applies its migrations once: a restart applies nothing', async () => {
      expect(await migrate(db, migrations, logger)).toEqual([]);
    });

    it.each([
      ['a role outside customer/admin', { role: 'root' }],
      ['a hash that is not a PHC string', { password_hash: 'plain-text' }],
      ['an empty name', { name: '' }],
      ['a 101-character name', { name: 'n'.repeat(101) }],
    ])('refuses %s even from a writer that skips the domain', async (_what, override) => {
      const row = { id: randomUUID(), email: 'x@example.com', name: 'X', role: 'customer', password_hash: HASH };
      const values = { ...row, ...override };
      await expect(
        db.query('INSERT INTO users (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)', [
          values.id,
          values.email,
          values.name,
          values.role,
          values.password_hash,
        ]),
      ).rejects.toMatchObject({ code: '23514' });
    });
  });
}
