import type { AccessClaims } from '../../../lib/runtime/auth';
import { domainErrorOf } from '../test-support/errors';
import { FakePasswordHasher } from '../test-support/fake-password-hasher';
import { InMemoryUserStore } from '../test-support/in-memory-user-store';
import { INVALID_CREDENTIALS, UserAccounts } from './accounts';

const PASSWORD = 'Kestrel2Harbor';

function setup() {
  const users = new InMemoryUserStore();
  const hasher = new FakePasswordHasher();
  const issued: AccessClaims[] = [];
  const tokens = {
    issue: async (claims: AccessClaims) => {
      issued.push(claims);
      return { token: `token-for-${claims.sub}`, expiresIn: 900 };
    },
  };
  let n = 0;
  const newId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const accounts = new UserAccounts({ users, hasher, tokens, newId });
  return { accounts, users, hasher, issued };
}

describe('UserAccounts.register', () => {
  it('creates a customer with the normalized email and trimmed name, storing only the hash', async () => {
    const { accounts, users, hasher } = setup();
    const user = await accounts.register({ email: ' Ada@Example.COM ', password: PASSWORD, name: '  Ada  ' });
    expect(user).toMatchObject({ email: 'ada@example.com', name: 'Ada', role: 'customer' });
    expect(user).not.toHaveProperty('passwordHash');
    expect(hasher.hashed).toEqual([PASSWORD]);
    expect((await users.findByEmail('ada@example.com'))?.passwordHash).toBe(`$scrypt$fake$${PASSWORD}`);
  });

  it.each([
    ['email', { email: 'not-an-email', password: PASSWORD, name: 'Ada' }],
    ['password', { email: 'ada@example.com', password: 'short', name: 'Ada' }],
    ['name', { email: 'ada@example.com', password: PASSWORD, name: '   ' }],
  ])('refuses a bad %s before hashing or storing anything', async (field, input) => {
    const { accounts, users, hasher } = setup();
    const error = await domainErrorOf(() => accounts.register(input));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(hasher.hashed).toEqual([]);
    expect(users.size).toBe(0);
  });

  it('reports the email first when several fields are bad', async () => {
    const { accounts } = setup();
    const error = await domainErrorOf(() => accounts.register({ email: '', password: '', name: '' }));
    expect(error.field).toBe('email');
  });

  it('refuses a second account for the same email in another letter case', async () => {
    const { accounts } = setup();
    await accounts.register({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' });
    const error = await domainErrorOf(() =>
      accounts.register({ email: 'ADA@example.com', password: 'Other-Pass-42', name: 'Imposter' }),
    );
    expect(error).toMatchObject({ code: 'ALREADY_EXISTS', field: 'email' });
  });
});

describe('UserAccounts.authenticate', () => {
  it('issues a token with the user id, email and role', async () => {
    const { accounts, issued } = setup();
    const user = await accounts.register({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' });
    const session = await accounts.authenticate('  ADA@example.com', PASSWORD);
    expect(session).toEqual({ accessToken: `token-for-${user.id}`, expiresInSeconds: 900, user });
    expect(issued).toEqual([{ sub: user.id, email: 'ada@example.com', role: 'customer' }]);
  });

  it('answers a wrong password and an unknown email identically, and checks a hash in both cases', async () => {
    const { accounts, hasher, issued } = setup();
    await accounts.register({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' });

    const wrongPassword = await domainErrorOf(() => accounts.authenticate('ada@example.com', 'Wrong-Pass-42'));
    const unknownEmail = await domainErrorOf(() => accounts.authenticate('nobody@example.com', PASSWORD));

    for (const error of [wrongPassword, unknownEmail]) {
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: INVALID_CREDENTIALS });
      expect(error.field).toBeUndefined();
    }
    expect(hasher.verified).toEqual([
      { hash: `$scrypt$fake$${PASSWORD}`, password: 'Wrong-Pass-42' },
      { hash: hasher.dummyHash, password: PASSWORD },
    ]);
    expect(issued).toEqual([]);
  });

  it.each([
    ['an empty email', '', PASSWORD],
    ['a malformed email', 'not an email', PASSWORD],
    ['an email longer than any account', `${'a'.repeat(300)}@example.com`, PASSWORD],
    ['an empty password', 'ada@example.com', ''],
    ['a huge password', 'ada@example.com', 'x'.repeat(100_000)],
  ])('answers %s with the same UNAUTHENTICATED, after a hash check', async (_what, email, password) => {
    const { accounts, hasher } = setup();
    await accounts.register({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' });
    const error = await domainErrorOf(() => accounts.authenticate(email, password));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: INVALID_CREDENTIALS });
    expect(hasher.verified).toHaveLength(1);
  });

  it('matches a password typed in another Unicode form (NFKC)', async () => {
    const { accounts } = setup();
    await accounts.register({ email: 'zoe@example.com', password: 'Zo\u00eb-Harbor-2x', name: 'Zoë' });
    await expect(accounts.authenticate('zoe@example.com', 'Zoe\u0308-Harbor-2x')).resolves.toBeDefined();
  });
});

describe('UserAccounts.getUser', () => {
  it('returns the user, without its hash', async () => {
    const { accounts } = setup();
    const user = await accounts.register({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' });
    const found = await accounts.getUser(user.id.toUpperCase());
    expect(found).toEqual(user);
    expect(found).not.toHaveProperty('passwordHash');
  });

  it('is INVALID_ARGUMENT on id for a malformed id, NOT_FOUND for an unknown one', async () => {
    const { accounts } = setup();
    expect(await domainErrorOf(() => accounts.getUser('42'))).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'id' });
    expect(await domainErrorOf(() => accounts.getUser('9b2f4c1e-3d5a-4f6b-8c7d-0e1f2a3b4c5d'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'user not found',
    });
  });
});

describe('UserAccounts.ensureAdmin', () => {
  const admin = { email: 'Root@Example.com', password: 'Admin-Pass-2025', name: 'Administrator' };

  it('creates an admin once; a second call with another password changes nothing', async () => {
    const { accounts, users, hasher } = setup();
    const first = await accounts.ensureAdmin(admin);
    expect(first).toMatchObject({ created: true, user: { email: 'root@example.com', role: 'admin' } });
    const second = await accounts.ensureAdmin({ ...admin, password: 'Another-Pass-2025' });
    expect(second).toEqual({ created: false, user: first.user });
    expect(hasher.hashed).toEqual(['Admin-Pass-2025']);
    expect((await users.findByEmail('root@example.com'))?.passwordHash).toBe('$scrypt$fake$Admin-Pass-2025');
  });

  it('leaves an existing customer with that email alone', async () => {
    const { accounts } = setup();
    const customer = await accounts.register({ email: 'root@example.com', password: PASSWORD, name: 'Root' });
    expect(await accounts.ensureAdmin(admin)).toEqual({ created: false, user: customer });
  });

  it('counts an admin created by another replica in the meantime as existing', async () => {
    const { accounts, users } = setup();
    const otherReplica = new UserAccounts({
      users,
      hasher: new FakePasswordHasher(),
      tokens: { issue: async () => ({ token: '', expiresIn: 1 }) },
    });
    // The other replica inserts between this replica's lookup and its insert.
    const findByEmail = users.findByEmail.bind(users);
    let raced = false;
    users.findByEmail = async (email) => {
      const found = await findByEmail(email);
      if (!raced) {
        raced = true;
        await otherReplica.ensureAdmin(admin);
      }
      return found;
    };
    const result = await accounts.ensureAdmin(admin);
    expect(result.created).toBe(false);
    expect(result.user).toMatchObject({ email: 'root@example.com', role: 'admin' });
    expect(users.size).toBe(1);
  });

  it('refuses a bad bootstrap email or password with the field at fault', async () => {
    const { accounts } = setup();
    expect(await domainErrorOf(() => accounts.ensureAdmin({ ...admin, email: 'root' }))).toMatchObject({
      field: 'email',
    });
    expect(await domainErrorOf(() => accounts.ensureAdmin({ ...admin, password: 'password123' }))).toMatchObject({
      field: 'password',
    });
  });
});
