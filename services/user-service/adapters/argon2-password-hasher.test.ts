import { Argon2PasswordHasher, MIN_MEMORY_KIB } from './argon2-password-hasher';

describe('Argon2PasswordHasher', () => {
  let hasher: Argon2PasswordHasher;

  beforeAll(async () => {
    hasher = await Argon2PasswordHasher.create({ memoryKib: MIN_MEMORY_KIB });
  });

  it('hashes with argon2id, the configured memory, two passes and one lane, and a fresh salt each time', async () => {
    const first = await hasher.hash('Kestrel2Harbor');
    const second = await hasher.hash('Kestrel2Harbor');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=4096,p=1,t=2\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('Kestrel2Harbor');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('Kestrel2Harbor');
    await expect(hasher.verify(hash, 'Kestrel2Harbor')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'kestrel2harbor')).resolves.toBe(false);
    await expect(hasher.verify(hash, '')).resolves.toBe(false);
  });

  it('verifies non-ASCII passwords byte for byte', async () => {
    const hash = await hasher.hash('Zoë-🦅-Harbor');
    await expect(hasher.verify(hash, 'Zoë-🦅-Harbor')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'Zoe-🦅-Harbor')).resolves.toBe(false);
  });

  it('answers false, not an error, for a hash it cannot read', async () => {
    for (const hash of ['', 'plain-text', '$argon2id$v=19$m=4096,p=1,t=2$broken']) {
      await expect(hasher.verify(hash, 'Kestrel2Harbor')).resolves.toBe(false);
    }
  });

  it('has a dummy hash of the same cost that no password matches', async () => {
    expect(hasher.dummyHash).toMatch(/^\$argon2id\$v=19\$m=4096,p=1,t=2\$/);
    await expect(hasher.verify(hasher.dummyHash, '')).resolves.toBe(false);
    await expect(hasher.verify(hasher.dummyHash, 'Kestrel2Harbor')).resolves.toBe(false);
  });

  it('defaults to the OWASP minimum of 19456 KiB', async () => {
    const standard = await Argon2PasswordHasher.create();
    expect(standard.dummyHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it.each([4095, 0, -1, 4096.5, Number.NaN])('refuses %s KiB of memory', async (memoryKib) => {
    await expect(Argon2PasswordHasher.create({ memoryKib })).rejects.toThrow('whole number of KiB >= 4096');
  });
});
